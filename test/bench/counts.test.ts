// What the bench reports against what the broker stored: a small produce to a real Highwater,
// checked with ListOffsets; then the same records read back (consume) and an e2e run; and the
// discard server's acknowledgements.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { runBench } from '../../bench/generator/run.ts';
import { DEFAULT_OPTIONS, type BenchOptions } from '../../bench/generator/options.ts';
import { EARLIEST, LATEST, connectAdmin, ensureTopic, listOffsets } from '../../bench/generator/admin.ts';
import { startDiscardServer } from '../../bench/discard-server.ts';

let tb: TestBroker;
beforeAll(async () => { tb = await startBroker({ fsync: { kind: 'never' } }); });
afterAll(async () => { await tb?.destroy(); });

const quiet = (over: Partial<BenchOptions>): BenchOptions => ({ ...DEFAULT_OPTIONS, bootstrap: tb.bootstrap, warmupMs: 0, progressIntervalMs: 0, durationMs: 30_000, ...over });

async function endOffsets(topic: string, partitions: number[]): Promise<bigint[]> {
  const admin = await connectAdmin({ host: '127.0.0.1', port: tb.port });
  try {
    const start = await listOffsets(admin, topic, partitions, EARLIEST);
    const end = await listOffsets(admin, topic, partitions, LATEST);
    return end.map((e, i) => e - start[i]!);
  } finally {
    admin.close();
  }
}

test('produce: 5,000 records reported = 5,000 stored, partition by partition', async () => {
  const result = await runBench(quiet({ mode: 'produce', topic: 'counts', partitions: 3, records: 5000, producers: 2 }));
  expect(result.produce!.errors).toBe(0);
  expect(result.produce!.totalRecords).toBe(5000);
  expect(result.produce!.records).toBe(5000);
  const stored = await endOffsets('counts', [0, 1, 2]);
  expect(stored.reduce((a, b) => a + b, 0n)).toBe(5000n);
  expect([0, 1, 2].map((p) => BigInt(result.produce!.perPartition[p]!))).toEqual(stored);
  expect(result.produce!.latency.count).toBe(5000);
});

test('acks=0 and acks=all count what was stored too', async () => {
  for (const acks of [0, -1] as const) {
    const topic = `counts-acks${acks}`;
    const result = await runBench(quiet({ mode: 'produce', topic, partitions: 2, records: 3001, acks }));
    expect(result.produce!.totalRecords).toBe(3001);
    // acks=0 gets no answer: wait (bounded) until the broker has appended what was written.
    let stored = 0n;
    for (let i = 0; i < 50 && stored !== 3001n; i++) {
      stored = (await endOffsets(topic, [0, 1])).reduce((a, b) => a + b, 0n);
      if (stored !== 3001n) await new Promise((r) => setTimeout(r, 100));
    }
    expect(stored).toBe(3001n);
  }
});

test('consume reads back every stored record', async () => {
  const result = await runBench(quiet({ mode: 'consume', topic: 'counts', consumers: 2 }));
  expect(result.consume!.errors).toBe(0);
  expect(result.consume!.records).toBe(5000);
  expect(result.consume!.perPartition).toEqual((await runBench(quiet({ mode: 'consume', topic: 'counts', consumers: 1 }))).consume!.perPartition);
});

test('e2e: every produced record is consumed and timed', async () => {
  const result = await runBench(quiet({ mode: 'e2e', topic: 'counts-e2e', partitions: 2, records: 2000, rate: 4000 }));
  expect(result.produce!.totalRecords).toBe(2000);
  expect(result.consume!.totalRecords).toBe(2000);
  expect(result.endToEnd!.latency.count).toBe(2000);
  expect(result.endToEnd!.latency.p50Ms).toBeGreaterThan(0);
  // The run created its topic and deletes it afterwards.
  expect(result.cleanup).toMatchObject({ topic: 'counts-e2e', created: true, deleted: true });
  const admin = await connectAdmin({ host: '127.0.0.1', port: tb.port });
  try {
    await expect(ensureTopic(admin, 'counts-e2e', 2, false)).rejects.toThrow(/does not exist/);
  } finally {
    admin.close();
  }
});

test('produce keeps its topic for consume and says how much it left; --delete-topic removes it', async () => {
  const kept = await runBench(quiet({ mode: 'produce', topic: 'counts-left', partitions: 2, records: 1200, recordSize: 100 }));
  expect(kept.cleanup).toMatchObject({ topic: 'counts-left', created: true, deleted: false, leftRecords: 1200, leftBytes: 120_000 });
  expect(kept.cleanup!.note).toMatch(/left topic counts-left on the broker with 1,200 records/);
  const again = await runBench(quiet({ mode: 'produce', topic: 'counts-left', partitions: 2, records: 300, recordSize: 100, cleanup: 'delete' }));
  expect(again.cleanup).toMatchObject({ created: false, deleted: true });
});

test('discard server acknowledges without storing and the bench counts its acks', async () => {
  const discard = await startDiscardServer({ partitions: 4 });
  try {
    const result = await runBench(quiet({ mode: 'produce', bootstrap: `127.0.0.1:${discard.port}`, topic: 'void', partitions: 4, records: 4000 }));
    expect(result.produce!.totalRecords).toBe(4000);
    expect([...discard.acknowledged.values()].reduce((a, b) => a + b, 0n)).toBe(4000n);
  } finally {
    await discard.close();
  }
});
