// kill -9 at each step of the cleaner's swap (HIGHWATER_TEST_CLEANER_CRASH, read only by
// src/wal/cleaner-swap.ts), then a restart: every acknowledged record is either still there at its
// own offset with its own value or was legitimately compacted away (an older record of its key),
// the last record of every key is there, no offset is served twice and the end offset is unchanged.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { kafkajs } from '../helpers/kafkajs.ts';
import { startProcessBroker, type ProcessBroker } from '../helpers/process-broker.ts';

const POINTS = ['before-commit', 'after-commit', 'after-delete', 'after-index-rename', 'after-swap'] as const;
let running: ProcessBroker | undefined;
const dirs: string[] = [];

afterEach(async () => {
  if (running && running.child.exitCode === null) await running.kill();
  running = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start(dataDir: string, crashAt?: string): Promise<ProcessBroker> {
  if (crashAt) process.env.HIGHWATER_TEST_CLEANER_CRASH = crashAt;
  try {
    return await startProcessBroker(dataDir, ['--log-cleaner-backoff-ms', '100', '--log-level', 'info']);
  } finally {
    delete process.env.HIGHWATER_TEST_CLEANER_CRASH;
  }
}

test.each(POINTS)('a kill -9 at %s loses and doubles nothing', async (point) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'highwater-swap-crash-'));
  dirs.push(dataDir);
  running = await start(dataDir, point);
  const topic = 'swapped';
  const admin = kafkajs(running.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [
    { name: 'cleanup.policy', value: 'compact' }, { name: 'segment.bytes', value: '2048' }, { name: 'min.cleanable.dirty.ratio', value: '0.01' },
  ] }] });
  await admin.disconnect();
  const producer = kafkajs(running.bootstrap, { retry: { retries: 0 } }).producer();
  await producer.connect();
  const produced: string[] = [];
  const exited = new Promise<void>((resolve) => running!.child.once('exit', () => resolve()));
  // Produce until the cleaner's first swap kills the broker at the crash point.
  let crashed = false;
  void exited.then(() => { crashed = true; });
  for (let round = 0; round < 200 && !crashed; round++) {
    const messages = Array.from({ length: 10 }, (_, k) => ({ key: `key-${k}`, value: `r${round}-k${k}-${'x'.repeat(30)}` }));
    try {
      await producer.send({ topic, acks: -1, messages });
      produced.push(...messages.map((m) => m.value));
    } catch {
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  await exited;
  await producer.disconnect().catch(() => undefined);
  expect(running.lines.some((l) => l.includes('log cleaner swapped'))).toBe(false);

  running = await start(dataDir);
  // Past the commit point recovery finishes the swap; before it the cleaned files are dropped.
  expect(running.lines.some((l) => l.includes('recovery completed an interrupted cleaner swap'))).toBe(point !== 'before-commit' && point !== 'after-swap');
  const client = kafkajs(running.bootstrap);
  const a = client.admin();
  await a.connect();
  const high = BigInt((await a.fetchTopicOffsets(topic))[0]!.high);
  await a.disconnect();
  // Acknowledged records are all below the end offset; a batch written but not acknowledged may be there too.
  expect(high).toBeGreaterThanOrEqual(BigInt(produced.length));
  const consumer = client.consumer({ groupId: `check-${point}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen = new Map<bigint, string>();
  let duplicates = 0;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${seen.size} records`)), 20_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        const offset = BigInt(message.offset);
        if (seen.has(offset)) duplicates++;
        seen.set(offset, message.value!.toString());
        if (offset === high - 1n) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  expect(duplicates).toBe(0);
  // Each record read is the one produced at that offset; each key's last acknowledged record is there.
  for (const [offset, value] of seen) if (offset < BigInt(produced.length)) expect(value).toBe(produced[Number(offset)]);
  const lastOfKey = new Map<string, number>();
  produced.forEach((v, i) => lastOfKey.set(v.split('-')[1]!, i));
  for (const i of lastOfKey.values()) expect(seen.get(BigInt(i))).toBe(produced[i]);
}, 90_000);
