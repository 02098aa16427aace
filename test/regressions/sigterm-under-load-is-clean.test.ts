// Graceful shutdown: SIGTERM during produce load exits 0 within the bound; every acknowledged
// record is there after the restart, and the restart skips the tail scan (clean-shutdown markers).
import { rmSync } from 'node:fs';
import { afterAll, expect, test } from 'vitest';
import { tempDataDir } from '../helpers/broker.ts';
import { startProcessBroker } from '../helpers/process-broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import { readAll } from '../helpers/fetch.ts';

const dataDir = tempDataDir();
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

test('SIGTERM under load: exit 0, nothing acknowledged lost, clean restart', async () => {
  const first = await startProcessBroker(dataDir);
  const kafka = kafkajs(first.bootstrap, { retry: { retries: 0 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'graceful', numPartitions: 3 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const acked: string[] = [];
  let n = 0;
  const load = (async () => {
    for (;;) {
      const batch = Array.from({ length: 20 }, () => ({ partition: n % 3, value: `g${n++}` }));
      try {
        await producer.send({ topic: 'graceful', acks: -1, messages: batch });
        acked.push(...batch.map((m) => m.value));
      } catch {
        return;
      }
    }
  })();
  while (acked.length < 2000) await new Promise((r) => setTimeout(r, 10));
  const code = await first.kill('SIGTERM');
  await load;
  await producer.disconnect().catch(() => undefined);
  // Exit 0 is the bound too: the CLI exits 1 when a stop takes longer than 20 s.
  expect(code).toBe(0);
  expect(first.lines.some((l) => l.includes('stopped cleanly'))).toBe(true);

  const second = await startProcessBroker(dataDir);
  try {
    const found = new Set<string>();
    for (let p = 0; p < 3; p++) for (const r of await readAll(second.bootstrap, 'graceful', p)) found.add(r.value!.toString());
    for (const v of acked) expect(found.has(v), v).toBe(true);
    // Clean markers: no partition went through the unclean-shutdown tail scan.
    expect(second.lines.filter((l) => /recovered after unclean shutdown|truncated/.test(l))).toEqual([]);
  } finally {
    await second.kill('SIGKILL');
  }
});
