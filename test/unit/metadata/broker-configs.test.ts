// The layering of broker log defaults, checked against what Kafka 4.4 answered to DescribeConfigs
// (probes against bench/kafka; the differential suite's admin cases compare the same answers).
import { expect, test } from 'vitest';
import { ConfigSource, brokerSynonyms, effectiveTopicDefaults, resolveTopicDefault, staticLogConfigs, validateBrokerConfig } from '../../../src/metadata/broker-configs.ts';

const none = { dynamicNode: {}, dynamicDefault: {}, staticConfigs: {} };

test('at Kafka defaults, retention.ms lists no synonym (log.retention.ms has none) but resolves from log.retention.hours', () => {
  expect(brokerSynonyms('log.retention.ms', 'retention.ms', none)).toEqual([]);
  expect(resolveTopicDefault('retention.ms', none)).toBe('604800000');
  expect(brokerSynonyms('log.segment.bytes', 'segment.bytes', none)).toEqual([{ name: 'log.segment.bytes', value: '1073741824', source: ConfigSource.DEFAULT_CONFIG }]);
});

test('node over cluster default over static, every layer listed in Kafka order', () => {
  const layers = { dynamicNode: { 'log.retention.ms': '3600000' }, dynamicDefault: { 'log.retention.ms': '7200000' }, staticConfigs: staticLogConfigs({ 'retention.ms': '1000' }) };
  expect(brokerSynonyms('log.retention.ms', 'retention.ms', layers).map((s) => `${s.name}:${s.value}:${s.source}`))
    .toEqual(['log.retention.ms:3600000:2', 'log.retention.ms:7200000:3', 'log.retention.ms:1000:4', 'log.retention.hours:168:5']);
  expect(effectiveTopicDefaults(layers)['retention.ms']).toBe('3600000');
  expect(effectiveTopicDefaults({ ...none, staticConfigs: { 'log.roll.hours': '2' } })['segment.ms']).toBe('7200000');
});

test('only the dynamic settings Highwater honours may be changed', () => {
  expect(validateBrokerConfig('log.retention.ms', '1000')).toBeNull();
  expect(validateBrokerConfig('log.retention.hours', '1')).toBe('Cannot update these configs dynamically: [log.retention.hours]');
  expect(validateBrokerConfig('log.cleaner.threads', '1')).toMatch(/Cannot update/);
  expect(validateBrokerConfig('log.cleanup.policy', 'compact')).toBeNull();
  expect(validateBrokerConfig('log.cleanup.policy', 'compact,delete')).toBeNull();
  expect(validateBrokerConfig('log.cleanup.policy', 'shred')).toBe('Invalid value shred for configuration log.cleanup.policy: String must be one of: compact, delete');
  expect(validateBrokerConfig('log.cleaner.min.cleanable.ratio', '1.5')).toBe('Invalid value 1.5 for configuration log.cleaner.min.cleanable.ratio: Value must be no more than 1.0');
  expect(validateBrokerConfig('log.cleaner.delete.retention.ms', '-1')).toBe('Invalid value -1 for configuration log.cleaner.delete.retention.ms: Value must be at least 0');
});
