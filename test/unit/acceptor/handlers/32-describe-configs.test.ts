// DescribeConfigs: topic configs with their source, broker configs, synonyms and documentation.
import { afterEach, beforeEach, expect, test } from 'vitest';
import describeConfigs, { ResourceType } from '../../../../src/acceptor/handlers/32-describe-configs.ts';
import { ConfigSource } from '../../../../src/acceptor/topic-configs-view.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { DescribeConfigsResponse } from '../../../../src/protocol/generated/describe-configs-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices({ nodeId: 2 }); s.addTopic('t', 1, { 'retention.ms': '5000' }); });
afterEach(() => s.close());

const describe = (resources: unknown[], includeSynonyms = false, includeDocumentation = false) =>
  call<DescribeConfigsResponse>(describeConfigs, s, 4, { resources, includeSynonyms, includeDocumentation });

test('a topic override is DYNAMIC_TOPIC_CONFIG, the rest defaults; synonyms and docs only when asked', async () => {
  const res = await describe([{ resourceType: ResourceType.TOPIC, resourceName: 't', configurationKeys: ['retention.ms', 'segment.bytes'] }], true, false);
  const configs = res!.results[0]!.configs;
  expect(configs.map((c) => c.name).sort()).toEqual(['retention.ms', 'segment.bytes']);
  const retention = configs.find((c) => c.name === 'retention.ms');
  const segment = configs.find((c) => c.name === 'segment.bytes');
  expect(retention).toMatchObject({ name: 'retention.ms', value: '5000', configSource: ConfigSource.DYNAMIC_TOPIC_CONFIG, isDefault: false, documentation: null });
  // Kafka drops log.retention.hours (168) because log.retention.ms, the primary synonym, has no value.
  expect(retention!.synonyms.map((x) => x.source)).toEqual([ConfigSource.DYNAMIC_TOPIC_CONFIG]);
  expect(segment).toMatchObject({ name: 'segment.bytes', configSource: ConfigSource.DEFAULT_CONFIG, isDefault: true });
  const plain = await describe([{ resourceType: ResourceType.TOPIC, resourceName: 't', configurationKeys: ['retention.ms'] }], false, true);
  expect(plain!.results[0]!.configs[0]!.synonyms).toEqual([]);
  expect(plain!.results[0]!.configs[0]!.documentation).not.toBeNull();
});

test('broker configs for this node id; another id, an unknown topic or another resource type are refused', async () => {
  const res = await describe([
    { resourceType: ResourceType.BROKER, resourceName: '2', configurationKeys: ['broker.id'] },
    { resourceType: ResourceType.BROKER, resourceName: '7', configurationKeys: null },
    { resourceType: ResourceType.TOPIC, resourceName: 'nope', configurationKeys: null },
    { resourceType: 8, resourceName: 'x', configurationKeys: null },
  ]);
  expect(res!.results.map((r) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.INVALID_REQUEST, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.INVALID_REQUEST]);
  expect(res!.results[0]!.configs).toMatchObject([{ name: 'broker.id', value: '2', readOnly: true }]);
});
