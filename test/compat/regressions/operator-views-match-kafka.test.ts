// Regression (issue 19, defects 5 and 6): authorized operations were never filled in (admin UIs
// gate features on them), and DescribeLogDirs was not served (kafka-log-dirs, Cruise Control, web
// UIs). Driven by librdkafka's admin client (confluent-kafka) and kafka-python; the expected
// answers are what Apache Kafka 4.4 gave the same script with no authorizer.
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

test('authorized operations and log dirs answer what Kafka answers with no authorizer', async () => {
  expect(existsSync(PYTHON), `${PYTHON} is missing: run npm run compat:install`).toBe(true);
  const r = await run(['test/compat/python/operator_views.py', '--bootstrap', tb.bootstrap, '--topic', 'operator-views']);
  expect(r.code, r.stderr).toBe(0);
  expect(JSON.parse(r.stdout.trim().split('\n').pop()!)).toEqual({
    cluster_operations: ['ALTER', 'ALTER_CONFIGS', 'CLUSTER_ACTION', 'CREATE', 'DESCRIBE', 'DESCRIBE_CONFIGS', 'IDEMPOTENT_WRITE'],
    topic_operations: ['ALTER', 'ALTER_CONFIGS', 'CREATE', 'DELETE', 'DESCRIBE', 'DESCRIBE_CONFIGS', 'READ', 'WRITE'],
    log_dirs: 1,
    log_dir_errors: [0],
    log_dir_partitions: [0, 1],
  });
}, 120_000);
