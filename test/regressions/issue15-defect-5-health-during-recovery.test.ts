// Issue 15 defect 5: /healthz and /readyz started only after log recovery, so during a long
// recovery they refused connections and a liveness probe would kill a broker still recovering.
// Now the HTTP side port is up first: /healthz answers 200 at once, /readyz 503 with a reason
// until the broker serves, then 200.
import { rmSync } from 'node:fs';
import { afterAll, expect, test } from 'vitest';
import { tempDataDir } from '../helpers/broker.ts';
import { dataDirNeedingRecovery, startUntilHttp } from './issue15-slow-recovery.ts';
import { loadConfig } from '../../src/config.ts';

const dataDir = tempDataDir();
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

test('the default HTTP port is no longer 9644 (Redpanda\'s admin port)', () => {
  expect(loadConfig({}, {}).httpPort).toBe(7092);
});

test('during recovery: /healthz 200, /readyz 503 with a reason; then /readyz 200', async () => {
  await dataDirNeedingRecovery(dataDir, 600);
  const broker = await startUntilHttp(dataDir);
  try {
    const base = `http://127.0.0.1:${broker.httpPort}`;
    let readyLogged = false;
    void broker.ready.then(() => { readyLogged = true; });
    const reasons = new Set<string>();
    let healthyWhileNotReady = false;
    for (;;) {
      const [health, ready] = await Promise.all([fetch(`${base}/healthz`), fetch(`${base}/readyz`)]);
      const body = await ready.json() as { ready: boolean; reason: string | null };
      await health.text();
      if (ready.status === 200) {
        expect(body.ready).toBe(true);
        expect(body.reason).toBeNull();
        break;
      }
      expect(ready.status).toBe(503);
      expect(body.reason).toEqual(expect.any(String));
      reasons.add(body.reason!.replace(/\d+ of \d+/, 'n of m'));
      if (health.status === 200) healthyWhileNotReady = true;
      expect(readyLogged).toBe(false);
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(healthyWhileNotReady).toBe(true);
    expect([...reasons].some((r) => /recovering partitions/.test(r)), [...reasons].join('; ')).toBe(true);
    await broker.ready;
  } finally {
    await broker.stop();
  }
}, 180_000);
