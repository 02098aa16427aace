// Regression: records were duplicated when they moved from a buffer to segments. Here segments
// roll every 32 KiB while a reader consumes concurrently: no duplicate, no gap, and no fetch ever
// returns an offset at or past the high watermark it reported.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import { connect, fetchOnce } from '../helpers/fetch.ts';

let tb: TestBroker;
beforeAll(async () => { tb = await startBroker(); });
afterAll(async () => { await tb?.destroy(); });

test('segment rolls during a produce-consume run', async () => {
  const kafka = kafkajs(tb.bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'rolling', numPartitions: 2, configEntries: [{ name: 'segment.bytes', value: String(32 * 1024) }] }] });
  const producer = kafka.producer();
  await producer.connect();
  const TOTAL = 6000;
  const producing = (async () => {
    for (let i = 0; i < TOTAL; i += 100) {
      await producer.send({ topic: 'rolling', acks: -1, messages: Array.from({ length: 100 }, (_, j) => ({ partition: (i + j) % 2, value: `r${i + j}-${'x'.repeat(40)}` })) });
    }
  })();
  const c = await connect(tb.bootstrap);
  const seen = [new Set<string>(), new Set<string>()];
  const next = [0n, 0n];
  const deadline = Date.now() + 30_000;
  let done = false;
  producing.then(() => { done = true; });
  while (Date.now() < deadline) {
    for (const p of [0, 1]) {
      const f = await fetchOnce(c, 'rolling', p, next[p]!, { maxWaitMs: 20, minBytes: 1, maxBytes: 8 * 1024 });
      expect(f.errorCode).toBe(0);
      for (const r of f.records) {
        expect(r.offset).toBeLessThan(f.highWatermark);
        if (r.offset < next[p]!) continue;
        expect(r.offset).toBe(next[p]);
        const value = r.value!.toString();
        expect(seen[p]!.has(value)).toBe(false);
        seen[p]!.add(value);
        next[p] = r.offset + 1n;
      }
    }
    if (done && seen[0]!.size + seen[1]!.size === TOTAL) break;
  }
  await producing;
  expect(seen[0]!.size + seen[1]!.size).toBe(TOTAL);
  // The run really crossed several segment rolls.
  const segments = readdirSync(path.join(tb.dataDir, 'rolling-0')).filter((f) => f.endsWith('.log'));
  expect(segments.length).toBeGreaterThan(3);
  c.close();
  await producer.disconnect();
  await admin.disconnect();
});
