// Regression (issue 19, defects 3 and 4), driven by librdkafka's admin client (confluent-kafka):
// AlterConfigs (key 33) was not served, and IncrementalAlterConfigs refused broker resources and
// APPEND/SUBTRACT. The expected answers are Apache Kafka 4.4's (the same script run against it),
// except where noted: Kafka accepts `compact` (compaction is issue 12) and a SUBTRACT that empties
// cleanup.policy, which Highwater refuses with INVALID_CONFIG.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBroker, type TestBroker } from '../../helpers/broker.ts';

const PYTHON = 'test/compat/python/.venv/bin/python';

let tb: TestBroker;
beforeAll(async () => { tb = await startBroker(); });
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

test('confluent-kafka alters topic and broker configs, and appends to a list setting', async () => {
  expect(existsSync(PYTHON), `${PYTHON} is missing: run npm run compat:install`).toBe(true);
  const r = await run(['test/compat/python/configs_through_librdkafka.py', '--bootstrap', tb.bootstrap, '--topic', 'configs']);
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout.trim().split('\n').pop()!);
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
  expect(out.append_compact).toBe('refused');
}, 120_000);
