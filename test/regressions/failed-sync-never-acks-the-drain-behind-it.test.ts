// Regression guard for the pipelined group commit (issue 18): while one commit's fdatasync is in
// flight the shard writes the next requests, and neither they nor the one being synced may be
// acknowledged or made visible before a sync covers them. A real broker (--fsync always, one shard)
// and KafkaJS over real sockets; the shard's test hook (HIGHWATER_TEST_SYNC_FAULT_FILE) makes the
// syncs slow, then makes one partition's fail: every produce to it in that commit and behind it is
// refused, its high watermark never moves past what was synced, the other partition carries on,
// and after a restart the partition takes appends again.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Producer } from 'kafkajs';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import { connect, listOffset, readAll } from '../helpers/fetch.ts';

const TOPIC = 'pipelined';
let tb: TestBroker;
let faultDir: string;
let faultFile: string;
const producers: Producer[] = [];

beforeAll(async () => {
  faultDir = mkdtempSync(path.join(tmpdir(), 'highwater-sync-fault-'));
  faultFile = path.join(faultDir, 'fault');
  // Read by the shard workers this broker starts (they inherit the environment).
  process.env.HIGHWATER_TEST_SYNC_FAULT_FILE = faultFile;
  tb = await startBroker({ shards: 1, fsync: { kind: 'always' } });
});

afterAll(async () => {
  for (const p of producers) await p.disconnect().catch(() => undefined);
  await tb?.destroy();
  delete process.env.HIGHWATER_TEST_SYNC_FAULT_FILE;
  rmSync(faultDir, { recursive: true, force: true });
});

async function producer(): Promise<Producer> {
  // No retries: each answer is the broker's own.
  const p = kafkajs(tb.bootstrap, { retry: { retries: 0 } }).producer({ retry: { retries: 0 } });
  await p.connect();
  producers.push(p);
  return p;
}

async function latest(partition: number): Promise<bigint> {
  const c = await connect(tb.bootstrap);
  try {
    return (await listOffset(c, TOPIC, partition, -1n)).offset;
  } finally {
    c.close();
  }
}

test('a slow sync that fails: nothing written in it or behind it is acknowledged or published', async () => {
  const admin = kafkajs(tb.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }] });
  await admin.disconnect();
  const [a, b] = [await producer(), await producer()];
  for (const partition of [0, 1]) {
    await a.send({ topic: TOPIC, acks: 1, messages: Array.from({ length: 5 }, (_, i) => ({ partition, value: `warm-${i}` })) });
  }
  expect([await latest(0), await latest(1)]).toEqual([5n, 5n]);

  // Every sync now takes 1.5 s, and partition 0's then fails.
  writeFileSync(faultFile, `delay:1500\nfail:${TOPIC}-0\n`);
  const first = a.send({ topic: TOPIC, acks: 1, messages: [{ partition: 0, value: 'first' }] });
  const firstSettled = first.then(() => 'acknowledged', () => 'refused');
  await new Promise((resolve) => setTimeout(resolve, 300));
  // Written (probably) but its sync is still running: not visible.
  expect(await latest(0)).toBe(5n);
  // Written behind that sync, on the other connection: one more for partition 0, one for partition 1.
  const behind = b.send({ topic: TOPIC, acks: -1, messages: [{ partition: 0, value: 'behind' }] }).then(() => 'acknowledged', () => 'refused');
  const other = b.send({ topic: TOPIC, acks: 1, messages: [{ partition: 1, value: 'other' }] }).then(() => 'acknowledged', () => 'refused');
  expect(await firstSettled).toBe('refused');
  expect(await behind).toBe('refused');
  expect(await other).toBe('acknowledged');
  expect(await latest(0)).toBe(5n);
  expect(await latest(1)).toBe(6n);
  expect((await readAll(tb.bootstrap, TOPIC, 1)).map((r) => r.value!.toString()).at(-1)).toBe('other');

  // The partition stays offline (its sync failed) even once the disk is good again.
  writeFileSync(faultFile, '');
  await expect(a.send({ topic: TOPIC, acks: 1, messages: [{ partition: 0, value: 'while-offline' }] })).rejects.toThrow();
  expect(await latest(0)).toBe(5n);

  // A restart recovers it from its files (recovery decides its end) and it takes appends again.
  for (const p of producers.splice(0)) await p.disconnect();
  tb = await tb.restart();
  const c = await producer();
  const [after] = await c.send({ topic: TOPIC, acks: 1, messages: [{ partition: 0, value: 'after-restart' }] });
  const records = await readAll(tb.bootstrap, TOPIC, 0);
  records.forEach((r, i) => expect(r.offset).toBe(BigInt(i)));
  expect(records.slice(0, 5).map((r) => r.value!.toString())).toEqual(['warm-0', 'warm-1', 'warm-2', 'warm-3', 'warm-4']);
  expect(records.at(-1)!.value!.toString()).toBe('after-restart');
  expect(BigInt(after!.baseOffset!)).toBe(records.at(-1)!.offset);
});
