// IncrementalAlterConfigs: SET and DELETE of topic configs through the metadata; the rest refused.
import { afterEach, beforeEach, expect, test } from 'vitest';
import incrementalAlterConfigs from '../../../../src/acceptor/handlers/44-incremental-alter-configs.ts';
import { ResourceType } from '../../../../src/acceptor/handlers/32-describe-configs.ts';
import { ConfigOperation } from '../../../../src/acceptor/topic-admin.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { IncrementalAlterConfigsResponse } from '../../../../src/protocol/generated/incremental-alter-configs-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); s.addTopic('t', 1, { 'segment.bytes': '1048576' }); });
afterEach(() => s.close());

const alter = (resources: unknown[], validateOnly = false) => call<IncrementalAlterConfigsResponse>(incrementalAlterConfigs, s, 1, { resources, validateOnly });

test('SET and DELETE change the topic\'s configs; broker resources, unknown topics and bad values are refused', async () => {
  const res = await alter([
    { resourceType: ResourceType.TOPIC, resourceName: 't', configs: [{ name: 'retention.ms', configOperation: ConfigOperation.SET, value: '60000' }, { name: 'segment.bytes', configOperation: ConfigOperation.DELETE, value: null }] },
    { resourceType: ResourceType.BROKER, resourceName: '1', configs: [] },
    { resourceType: ResourceType.TOPIC, resourceName: 'nope', configs: [] },
    { resourceType: ResourceType.TOPIC, resourceName: 't', configs: [{ name: 'retention.ms', configOperation: ConfigOperation.APPEND, value: '1' }] },
  ]);
  expect(res!.responses.map((r) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.INVALID_REQUEST, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_CONFIG]);
  expect(s.cluster.topicByName('t')!.configs).toEqual({ 'retention.ms': '60000' });
});

test('validate_only checks without writing', async () => {
  const res = await alter([{ resourceType: ResourceType.TOPIC, resourceName: 't', configs: [{ name: 'retention.ms', configOperation: ConfigOperation.SET, value: '1' }] }], true);
  expect(res!.responses[0]!.errorCode).toBe(ErrorCode.NONE);
  expect(s.metadataWrites).toEqual([]);
});
