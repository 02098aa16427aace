// Regression (issue 19, defect 1), driven by librdkafka through confluent-kafka-python: a consumer
// whose committed offset was deleted by retention resets to the earliest offset within the normal
// retry time, and librdkafka logs no parse errors. Needs the compat clients
// (`npm run compat:install`); run with `npx vitest run --config test/compat/regressions/vitest.config.ts`.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBroker, type TestBroker } from '../../helpers/broker.ts';
import { pythonResult } from './python.ts';


let tb: TestBroker;
beforeAll(async () => { tb = await startBroker({ retentionCheckMs: 200 }); });
afterAll(async () => { await tb?.destroy(); });


test('a confluent-kafka consumer whose committed offset was deleted by retention resets to earliest', async () => {
  const result = await pythonResult<{ first_offset: number | null; low_watermark: number; reset_ms: number; parse_errors: number; log_lines: number }>(
    'offset_reset_after_retention.py', ['--bootstrap', tb.bootstrap, '--topic', 'retained', '--group', 'reset-group']);
  expect(result.first_offset).toBe(result.low_watermark);
  expect(result.parse_errors).toBe(0);
  // librdkafka's default retry backoff and rebalance take a few seconds; a fetch loop would not end.
  expect(result.reset_ms).toBeLessThan(20_000);
}, 120_000);
