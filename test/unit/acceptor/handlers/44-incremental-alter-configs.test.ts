// IncrementalAlterConfigs: SET and DELETE of topic configs through the metadata; the rest refused.
import { afterEach, beforeEach, expect, test } from 'vitest';
import incrementalAlterConfigs from '../../../../src/acceptor/handlers/44-incremental-alter-configs.ts';
import { ResourceType } from '../../../../src/acceptor/handlers/32-describe-configs.ts';
import { ConfigOperation } from '../../../../src/acceptor/config-admin.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { IncrementalAlterConfigsResponse } from '../../../../src/protocol/generated/incremental-alter-configs-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); s.addTopic('t', 1, { 'segment.bytes': '1048576' }); });
afterEach(() => s.close());

const alter = (resources: unknown[], validateOnly = false) => call<IncrementalAlterConfigsResponse>(incrementalAlterConfigs, s, 1, { resources, validateOnly });

test('SET and DELETE change the topic\'s configs; unknown topics, non-list APPEND and duplicate resources are refused', async () => {
  s.addTopic('u', 1);
  const res = await alter([
    { resourceType: ResourceType.TOPIC, resourceName: 't', configs: [{ name: 'retention.ms', configOperation: ConfigOperation.SET, value: '60000' }, { name: 'segment.bytes', configOperation: ConfigOperation.DELETE, value: null }] },
    { resourceType: ResourceType.TOPIC, resourceName: 'nope', configs: [] },
    { resourceType: ResourceType.TOPIC, resourceName: 'u', configs: [{ name: 'retention.ms', configOperation: ConfigOperation.APPEND, value: '1' }] },
  ]);
  expect(res!.responses.map((r) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_CONFIG]);
  expect(s.cluster.topicByName('t')!.configs).toEqual({ 'retention.ms': '60000' });
  const twice = await alter([{ resourceType: ResourceType.TOPIC, resourceName: 'u', configs: [] }, { resourceType: ResourceType.TOPIC, resourceName: 'u', configs: [] }]);
  expect(twice!.responses.map((r) => r.errorCode)).toEqual([ErrorCode.INVALID_REQUEST, ErrorCode.INVALID_REQUEST]);
});

test('APPEND and SUBTRACT work on cleanup.policy; values Kafka does not know and an emptied list are refused', async () => {
  const op = (operation: number, value: string) => alter([{ resourceType: ResourceType.TOPIC, resourceName: 't', configs: [{ name: 'cleanup.policy', configOperation: operation, value }] }]);
  expect((await op(ConfigOperation.APPEND, 'delete'))!.responses[0]!.errorCode).toBe(ErrorCode.NONE);
  expect(s.cluster.topicByName('t')!.configs['cleanup.policy']).toBe('delete');
  expect((await op(ConfigOperation.APPEND, 'compact'))!.responses[0]!.errorCode).toBe(ErrorCode.NONE);
  expect(s.cluster.topicByName('t')!.configs['cleanup.policy']).toBe('delete,compact');
  expect((await op(ConfigOperation.SUBTRACT, 'delete'))!.responses[0]!.errorCode).toBe(ErrorCode.NONE);
  expect(s.cluster.topicByName('t')!.configs['cleanup.policy']).toBe('compact');
  expect((await op(ConfigOperation.APPEND, 'shred'))!.responses[0]!.errorCode).toBe(ErrorCode.INVALID_CONFIG);
  expect((await op(ConfigOperation.SUBTRACT, 'compact'))!.responses[0]!.errorCode).toBe(ErrorCode.INVALID_CONFIG);
});

test('broker resources: dynamic log defaults for this node and the cluster default; read-only, unknown and group configs are refused', async () => {
  const broker = (name: string, config: string, value: string, resourceType: number = ResourceType.BROKER) =>
    alter([{ resourceType, resourceName: name, configs: [{ name: config, configOperation: ConfigOperation.SET, value }] }]).then((r) => r!.responses[0]!);
  expect((await broker('1', 'log.retention.ms', '3600000')).errorCode).toBe(ErrorCode.NONE);
  expect((await broker('', 'log.segment.bytes', '2000000')).errorCode).toBe(ErrorCode.NONE);
  expect(s.cluster.brokerConfigs('1')).toEqual({ 'log.retention.ms': '3600000' });
  expect(s.cluster.brokerConfigs('')).toEqual({ 'log.segment.bytes': '2000000' });
  expect(await broker('1', 'log.retention.hours', '5')).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Cannot update these configs dynamically: [log.retention.hours]' });
  expect((await broker('1', 'no.such.config', '5')).errorCode).toBe(ErrorCode.INVALID_REQUEST);
  expect((await broker('1', 'log.retention.ms', 'soon')).errorCode).toBe(ErrorCode.INVALID_REQUEST);
  expect(await broker('7', 'log.retention.ms', '1')).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Unexpected broker id, expected 1, but received 7' });
  expect((await broker('g', 'consumer.session.timeout.ms', '50000', ResourceType.GROUP)).errorCode).toBe(ErrorCode.INVALID_CONFIG);
  expect(await broker('g', 'no.such', '1', ResourceType.GROUP)).toMatchObject({ errorCode: ErrorCode.INVALID_CONFIG, errorMessage: 'Unknown group config name: no.such' });
});

test('validate_only checks without writing', async () => {
  const res = await alter([{ resourceType: ResourceType.TOPIC, resourceName: 't', configs: [{ name: 'retention.ms', configOperation: ConfigOperation.SET, value: '1' }] }], true);
  expect(res!.responses[0]!.errorCode).toBe(ErrorCode.NONE);
  expect(s.metadataWrites).toEqual([]);
});
