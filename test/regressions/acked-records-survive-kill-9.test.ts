// Crash safety: with --fsync always, every record acknowledged at acks=-1 before a kill -9 is in the
// log after the restart, exactly once, offsets contiguous. With the default policy (always) that is
// the promise; interval:<ms> promises the same across a process kill (the page cache survives it).
import { rmSync } from 'node:fs';
import { afterAll, expect, test } from 'vitest';
import { tempDataDir } from '../helpers/broker.ts';
import { startProcessBroker } from '../helpers/process-broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import { readAll } from '../helpers/fetch.ts';

const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

for (const fsync of ['always', 'interval:50']) {
  test(`kill -9 under acks=-1 load loses no acknowledged record (--fsync ${fsync})`, async () => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const first = await startProcessBroker(dataDir, ['--fsync', fsync]);
    const kafka = kafkajs(first.bootstrap, { retry: { retries: 0 } });
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'crash', numPartitions: 3 }] });
    await admin.disconnect();
    const producer = kafka.producer({ allowAutoTopicCreation: false });
    await producer.connect();
    const acked = new Set<string>();
    let n = 0;
    let stop = false;
    const load = (async () => {
      while (!stop) {
        const batch = Array.from({ length: 50 }, () => ({ partition: n % 3, value: `m${n++}` }));
        try {
          await producer.send({ topic: 'crash', acks: -1, messages: batch });
          for (const m of batch) acked.add(m.value);
        } catch {
          return;
        }
      }
    })();
    while (acked.size < 3000) await new Promise((r) => setTimeout(r, 10));
    await first.kill('SIGKILL');
    stop = true;
    await load;
    await producer.disconnect().catch(() => undefined);

    const second = await startProcessBroker(dataDir, ['--fsync', fsync]);
    try {
      const found = new Map<string, number>();
      for (let p = 0; p < 3; p++) {
        const records = await readAll(second.bootstrap, 'crash', p);
        records.forEach((r, i) => expect(r.offset).toBe(BigInt(i)));
        for (const r of records) found.set(r.value!.toString(), (found.get(r.value!.toString()) ?? 0) + 1);
      }
      for (const value of acked) expect(found.get(value), value).toBe(1);
      for (const count of found.values()) expect(count).toBe(1);
    } finally {
      await second.kill('SIGKILL');
    }
  });
}
