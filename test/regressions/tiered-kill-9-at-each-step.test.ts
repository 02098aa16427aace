// kill -9 at each step of tiered storage (HIGHWATER_TEST_TIER_CRASH, read by
// src/segments/remote-record.ts tierCrashPoint): during an upload (after the .log object, after
// the manifest), after the remote record, before a local delete, after DeleteRecords dropped
// remote segments from the record, after their objects were deleted. After the restart every
// acknowledged record is read back once, at its own offset, from offset 0 (or from the
// DeleteRecords offset), and the objects of dropped segments end up deleted. The store is a
// directory (file:// endpoint), so it outlives the broker process.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, expect, test } from 'vitest';
import { kafkajs } from '../helpers/kafkajs.ts';
import { startProcessBroker, type ProcessBroker } from '../helpers/process-broker.ts';

const UPLOAD_POINTS = ['after-log-upload', 'after-manifest', 'after-record', 'before-local-delete'] as const;
const DELETE_POINTS = ['after-remote-drop', 'after-remote-delete'] as const;
const TOPIC = 'tiered-crash';
const DELETE_BEFORE = 100;
let running: ProcessBroker | undefined;
const dirs: string[] = [];

afterEach(async () => {
  if (running && running.child.exitCode === null) await running.kill();
  running = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function start(dataDir: string, storeDir: string, crashAt?: string): Promise<ProcessBroker> {
  return startProcessBroker(dataDir, [
    '--remote-storage-bucket', 'crash', '--remote-storage-endpoint', pathToFileURL(storeDir).href,
    '--remote-log-manager-task-interval-ms', '100', '--retention-check-ms', '200', '--log-level', 'info',
  ], 0, { env: crashAt ? { HIGHWATER_TEST_TIER_CRASH: crashAt } : {} });
}

async function waitFor(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const partitionDir = (dataDir: string) => join(dataDir, `${TOPIC}-0`);
const firstLocalSegment = (dataDir: string) => readdirSync(partitionDir(dataDir)).filter((f) => f.endsWith('.log')).sort()[0];
const localCopyOfZeroGone = (dataDir: string) => existsSync(partitionDir(dataDir)) && firstLocalSegment(dataDir) !== '00000000000000000000.log';
function manifests(storeDir: string): string[] {
  const root = join(storeDir, 'crash');
  if (!existsSync(root)) return [];
  return (readdirSync(root, { recursive: true }) as string[]).filter((f) => f.endsWith('.manifest.json')).sort();
}

async function createTopic(bootstrap: string): Promise<void> {
  const admin = kafkajs(bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, configEntries: [
    { name: 'remote.storage.enable', value: 'true' }, { name: 'segment.bytes', value: '4096' }, { name: 'local.retention.bytes', value: '1' },
  ] }] });
  await admin.disconnect();
}

/** Produces acks=-1 until `rounds` are done or the broker dies; returns the acknowledged values in order. */
async function produce(b: ProcessBroker, rounds: number): Promise<string[]> {
  const producer = kafkajs(b.bootstrap, { retry: { retries: 0 } }).producer();
  await producer.connect();
  const acked: string[] = [];
  for (let round = 0; round < rounds && b.child.exitCode === null; round++) {
    const messages = Array.from({ length: 20 }, (_, k) => ({ value: `r${round}-m${k}-${'x'.repeat(80)}` }));
    try {
      await producer.send({ topic: TOPIC, acks: -1, messages });
      acked.push(...messages.map((m) => m.value));
    } catch {
      break;
    }
    await new Promise((r) => setTimeout(r, 15));
  }
  await producer.disconnect().catch(() => undefined);
  return acked;
}

/** Reads the partition from its earliest offset to its end: offsets and values, each once. */
async function readAll(bootstrap: string, group: string): Promise<{ low: bigint; high: bigint; values: Map<bigint, string> }> {
  const client = kafkajs(bootstrap);
  const admin = client.admin();
  await admin.connect();
  const [o] = await admin.fetchTopicOffsets(TOPIC);
  await admin.disconnect();
  const low = BigInt(o!.low);
  const high = BigInt(o!.high);
  const values = new Map<bigint, string>();
  let duplicates = 0;
  const consumer = client.consumer({ groupId: group, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`read ${values.size} of ${high - low} records`)), 30_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        const offset = BigInt(message.offset);
        if (values.has(offset)) duplicates++;
        values.set(offset, message.value!.toString());
        if (BigInt(values.size) >= high - low) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await new Promise((r) => setTimeout(r, 300));
  await consumer.disconnect();
  expect(duplicates).toBe(0);
  return { low, high, values };
}

function expectContiguous(read: { low: bigint; high: bigint; values: Map<bigint, string> }, acked: string[], from: bigint): void {
  expect(read.low).toBe(from);
  expect(BigInt(read.values.size)).toBe(read.high - read.low);
  for (let offset = read.low; offset < read.high; offset++) expect(read.values.has(offset)).toBe(true);
  // Acknowledged records are all there at their own offsets (one producer, one partition, in order).
  for (let i = Number(from); i < acked.length; i++) expect(read.values.get(BigInt(i))).toBe(acked[i]);
}

test.each(UPLOAD_POINTS)('a kill -9 at %s loses and doubles nothing', async (point) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'highwater-tier-crash-'));
  const storeDir = mkdtempSync(join(tmpdir(), 'highwater-tier-store-'));
  dirs.push(dataDir, storeDir);
  running = await start(dataDir, storeDir, point);
  await createTopic(running.bootstrap);
  const exited = new Promise<void>((resolve) => running!.child.once('exit', () => resolve()));
  const acked = await produce(running, 60);
  await exited;
  expect(running.child.signalCode).toBe('SIGKILL');

  running = await start(dataDir, storeDir);
  await waitFor('an uploaded segment deleted locally', () => localCopyOfZeroGone(dataDir));
  const read = await readAll(running.bootstrap, `check-${point}`);
  expectContiguous(read, acked, 0n);
  expect(read.high).toBeGreaterThanOrEqual(BigInt(acked.length));
}, 90_000);

test.each(DELETE_POINTS)('a kill -9 at %s (DeleteRecords into the remote tier) loses and doubles nothing', async (point) => {
  const dataDir = mkdtempSync(join(tmpdir(), 'highwater-tier-crash-'));
  const storeDir = mkdtempSync(join(tmpdir(), 'highwater-tier-store-'));
  dirs.push(dataDir, storeDir);
  running = await start(dataDir, storeDir, point);
  await createTopic(running.bootstrap);
  const acked = await produce(running, 30);
  await waitFor('an uploaded segment deleted locally', () => localCopyOfZeroGone(dataDir)).catch((err: unknown) => {
    throw new Error(`${(err as Error).message}\n${running!.lines.slice(-30).join('\n')}`);
  });
  const before = manifests(storeDir);
  expect(before.length).toBeGreaterThan(1);
  const exited = new Promise<void>((resolve) => running!.child.once('exit', () => resolve()));
  const admin = kafkajs(running.bootstrap, { retry: { retries: 0 } }).admin();
  await admin.connect();
  // KafkaJS's deleteTopicRecords needs the topic's metadata loaded first.
  await admin.fetchTopicMetadata({ topics: [TOPIC] });
  await admin.deleteTopicRecords({ topic: TOPIC, partitions: [{ partition: 0, offset: String(DELETE_BEFORE) }] }).catch((err: unknown) => { running!.lines.push(`deleteTopicRecords: ${String(err)} ${JSON.stringify(err)}`); });
  await admin.disconnect().catch(() => undefined);
  await Promise.race([exited, new Promise((_, reject) => setTimeout(() => reject(new Error(`no crash at ${point}:\n${running!.lines.slice(-20).join('\n')}`)), 20_000))]);
  expect(running.child.signalCode).toBe('SIGKILL');

  running = await start(dataDir, storeDir);
  const read = await readAll(running.bootstrap, `check-${point}`);
  expectContiguous(read, acked, BigInt(DELETE_BEFORE));
  // The segments wholly below the DeleteRecords offset leave the bucket (pending deletions redone).
  const baseOf = (m: string) => BigInt(m.split('/').pop()!.slice(0, 20));
  const keepFrom = before.map(baseOf).filter((b) => b <= BigInt(DELETE_BEFORE)).reduce((a, b) => (b > a ? b : a), 0n);
  expect(keepFrom).toBeGreaterThan(0n);
  await waitFor('objects of dropped segments deleted', () => manifests(storeDir).every((m) => baseOf(m) >= keepFrom));
  expect(manifests(storeDir).length).toBeGreaterThan(0);
}, 90_000);
