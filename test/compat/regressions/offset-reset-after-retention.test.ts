// Regression (issue 19, defect 1), driven by librdkafka through confluent-kafka-python: a consumer
// whose committed offset was deleted by retention resets to the earliest offset within the normal
// retry time, and librdkafka logs no parse errors. Needs the compat clients
// (`npm run compat:install`); run with `npx vitest run --config test/compat/regressions/vitest.config.ts`.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBroker, type TestBroker } from '../../helpers/broker.ts';

const PYTHON = 'test/compat/python/.venv/bin/python';

let tb: TestBroker;
beforeAll(async () => { tb = await startBroker({ retentionCheckMs: 200 }); });
afterAll(async () => { await tb?.destroy(); });

function run(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(PYTHON, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-20_000); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

test('a confluent-kafka consumer whose committed offset was deleted by retention resets to earliest', async () => {
  expect(existsSync(PYTHON), `${PYTHON} is missing: run npm run compat:install`).toBe(true);
  const r = await run(['test/compat/python/offset_reset_after_retention.py', '--bootstrap', tb.bootstrap, '--topic', 'retained', '--group', 'reset-group']);
  expect(r.code, r.stderr).toBe(0);
  const result = JSON.parse(r.stdout.trim().split('\n').pop()!) as { first_offset: number | null; low_watermark: number; reset_ms: number; parse_errors: number; log_lines: number };
  expect(result.first_offset).toBe(result.low_watermark);
  expect(result.parse_errors).toBe(0);
  // librdkafka's default retry backoff and rebalance take a few seconds; a fetch loop would not end.
  expect(result.reset_ms).toBeLessThan(20_000);
}, 120_000);
