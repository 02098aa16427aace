// Regression (issue 19, defects 3 and 4), driven by librdkafka's admin client (confluent-kafka):
// AlterConfigs (key 33) was not served, and IncrementalAlterConfigs refused broker resources and
// APPEND/SUBTRACT. The expected answers are Apache Kafka 4.4's (the same script run against it),
// except where noted: Kafka accepts a SUBTRACT that empties cleanup.policy, which Highwater refuses
// with INVALID_CONFIG. `compact` is accepted since compaction (issue 12).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBroker, type TestBroker } from '../../helpers/broker.ts';
import { pythonResult } from './python.ts';


let tb: TestBroker;
beforeAll(async () => { tb = await startBroker(); });
afterAll(async () => { await tb?.destroy(); });


test('confluent-kafka alters topic and broker configs, and appends to a list setting', async () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the script's JSON, checked field by field below
  const out = await pythonResult<any>('configs_through_librdkafka.py', ['--bootstrap', tb.bootstrap, '--topic', 'configs']);
  // AlterConfigs replaces the whole set: retention.ms, not named the second time, is back to its default.
  expect(out.after_alter_two).toEqual({
    'retention.ms': { value: '3600000', source: 'DYNAMIC_TOPIC_CONFIG' },
    'max.message.bytes': { value: '500000', source: 'DYNAMIC_TOPIC_CONFIG' },
  });
  expect(out.after_alter_one).toEqual({
    'retention.ms': { value: '604800000', source: 'DEFAULT_CONFIG' },
    'max.message.bytes': { value: '600000', source: 'DYNAMIC_TOPIC_CONFIG' },
  });
  expect(out.broker['log.retention.ms'].source).toBe('DYNAMIC_BROKER_CONFIG');
  expect(out.topic_inherits).toEqual({ 'retention.ms': { value: '86400000', source: 'DYNAMIC_BROKER_CONFIG' } });
  expect(out.cleanup_APPEND).toEqual({ 'cleanup.policy': { value: 'delete', source: 'DYNAMIC_TOPIC_CONFIG' } });
  expect(out.cleanup_SUBTRACT.error).toContain('INVALID_CONFIG');
  expect(out.append_compact).toBe('accepted');
}, 120_000);
