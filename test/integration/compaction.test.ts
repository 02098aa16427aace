// Log compaction end to end: a compacted topic with small segments, cleaned by the shards' cleaner
// threads, read back by KafkaJS (last value per key, gaps in offsets) and ListOffsets; keyless
// records refused with INVALID_RECORD; tombstones dropped once delete.retention.ms has passed.
import { Consumer, stringDeserializers } from '@platformatic/kafka';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { connect, fetchOnce } from '../helpers/fetch.ts';
import { kafkajs } from '../helpers/kafkajs.ts';

let b: TestBroker;

beforeAll(async () => {
  b = await startBroker({ logCleanerBackoffMs: 100, httpPort: 0 });
});

afterAll(async () => {
  await b?.destroy();
});

const COMPACT_CONFIGS = [
  { name: 'cleanup.policy', value: 'compact' },
  { name: 'segment.bytes', value: '2048' },
  { name: 'min.cleanable.dirty.ratio', value: '0.01' },
  { name: 'delete.retention.ms', value: '500' },
];

async function consumeAll(topic: string, expectCount: (n: number) => boolean): Promise<{ key: string; value: string | null; offset: bigint }[]> {
  const admin = kafkajs(b.bootstrap).admin();
  await admin.connect();
  const ends = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const high = BigInt(ends[0]!.high);
  const consumer = kafkajs(b.bootstrap).consumer({ groupId: `g-${topic}-${Math.random()}`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const out: { key: string; value: string | null; offset: bigint }[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`consumed ${out.length} records only`)), 20_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        out.push({ key: message.key!.toString(), value: message.value === null ? null : message.value.toString(), offset: BigInt(message.offset) });
        if (BigInt(message.offset) === high - 1n && expectCount(out.length)) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  return out;
}

async function waitFor(check: () => Promise<boolean>, what: string): Promise<void> {
  const deadline = Date.now() + 40_000;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

test('the cleaner keeps the last value per key; consumers read the gaps; keyless records are refused', async () => {
  const topic = 'compacted';
  const admin = kafkajs(b.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: COMPACT_CONFIGS }] });
  const producer = kafkajs(b.bootstrap).producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const expected = new Map<string, string | null>();
  let sent = 0;
  for (let round = 0; round < 30; round++) {
    const messages = [];
    for (let k = 0; k < 10; k++) {
      const key = `key-${k}`;
      // key-0 ends deleted (a tombstone in the last round).
      const value = k === 0 && round === 29 ? null : `v${round}-${k}-${'x'.repeat(40)}`;
      messages.push({ key, value });
      expected.set(key, value);
    }
    await producer.send({ topic, acks: -1, messages });
    sent += messages.length;
  }
  // Keyless: INVALID_RECORD, with the partition untouched.
  const refused = await producer.send({ topic, acks: -1, messages: [{ value: 'no key' }] }).then(() => null, (err: { type?: string }) => err);
  expect(refused?.type).toBe('INVALID_RECORD');
  await producer.disconnect();

  // Wait until a clean has removed most overwritten records.
  await waitFor(async () => {
    const all = await consumeAll(topic, () => true);
    return all.length < sent / 2;
  }, 'the cleaner');
  const records = await consumeAll(topic, () => true);
  const last = new Map<string, string | null>();
  let previous = -1n;
  let gaps = 0;
  for (const r of records) {
    expect(r.offset).toBeGreaterThan(previous);
    if (r.offset !== previous + 1n) gaps++;
    previous = r.offset;
    last.set(r.key, r.value);
  }
  expect(gaps).toBeGreaterThan(0);
  // The active segment and what the last clean did not reach may repeat keys: the last value wins.
  expect(last).toEqual(expected);
  const offsets = await admin.fetchTopicOffsets(topic);
  expect(BigInt(offsets[0]!.high)).toBe(BigInt(sent));
  expect(offsets[0]!.low).toBe('0');
  // A fetch at an offset the cleaner removed answers from the next batch holding a later offset.
  const gapAt = records.findIndex((r, i) => r.offset !== (i === 0 ? 0n : records[i - 1]!.offset + 1n));
  const firstGapEnd = records[gapAt]!;
  const inGap = gapAt === 0 ? 0n : records[gapAt - 1]!.offset + 1n;
  const raw = await connect(b.bootstrap);
  const fetched = await fetchOnce(raw, topic, 0, inGap);
  await raw.close();
  expect(fetched.errorCode).toBe(0);
  expect(fetched.records.find((r) => r.offset >= inGap)?.offset).toBe(firstGapEnd.offset);

  // @platformatic/kafka reads the same compacted log: the same offsets and values.
  const consumer = new Consumer({ groupId: 'platformatic-compacted', clientId: 'p', bootstrapBrokers: [b.bootstrap], deserializers: stringDeserializers, maxWaitTime: 100 });
  const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxWaitTime: 100 });
  const viaPlatformatic: { offset: bigint; value: string | null }[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`platformatic read ${viaPlatformatic.length} of ${records.length}`)), 20_000);
    stream.on('data', (m) => {
      viaPlatformatic.push({ offset: m.offset, value: m.value === undefined || m.value === null || m.value === '' ? null : m.value });
      if (viaPlatformatic.length === records.length) {
        clearTimeout(timer);
        resolve();
      }
    });
  });
  await new Promise<void>((resolve) => consumer.close(true, () => resolve()));
  expect(viaPlatformatic.map((r) => r.offset)).toEqual(records.map((r) => r.offset));

  // ListOffsets by timestamp lands on a record that is still there (the first at or after it).
  const [atStart] = await admin.fetchTopicOffsetsByTimestamp(topic, 0);
  expect(records.map((r) => r.offset)).toContain(BigInt(atStart!.offset));
  await admin.disconnect();

  // The operator's view: cleaner runs and bytes per shard, dirty ratio and last clean per partition.
  const metrics = await (await fetch(`http://127.0.0.1:${b.broker.httpPort}/metrics`)).text();
  expect(metrics).toMatch(/highwater_log_cleaner_runs_total\{shard="\d"\} [1-9]/);
  expect(metrics).toMatch(/highwater_log_cleaner_bytes_cleaned_total\{shard="\d"\} [1-9]/);
  expect(metrics).toMatch(/highwater_partition_cleaner_dirty_ratio\{topic="compacted",partition="0"\} [0-9.e-]+/);
  expect(metrics).toMatch(/highwater_partition_cleaner_last_clean_timestamp_seconds\{topic="compacted",partition="0"\} 1[0-9.e+]+/);
  expect(metrics).not.toMatch(/highwater_partition_cleaner_dirty_ratio\{topic="__/);
});

test('a tombstone stays delete.retention.ms after its first clean, then goes', async () => {
  const topic = 'tombstones';
  const admin = kafkajs(b.bootstrap).admin();
  await admin.connect();
  // Long enough to see the tombstone alone between two polls, short enough for a test.
  const configEntries = COMPACT_CONFIGS.map((c) => (c.name === 'delete.retention.ms' ? { ...c, value: '8000' } : c));
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries }] });
  await admin.disconnect();
  const producer = kafkajs(b.bootstrap).producer();
  await producer.connect();
  await producer.send({ topic, acks: -1, messages: [{ key: 'gone', value: 'soon deleted' }, { key: 'gone', value: null }] });
  // Enough other records that the tombstone's segment rolls and is cleaned.
  for (let round = 0; round < 20; round++) {
    await producer.send({ topic, acks: -1, messages: Array.from({ length: 5 }, (_, k) => ({ key: `other-${k}`, value: `r${round}-${'z'.repeat(60)}` })) });
  }
  await producer.disconnect();
  let sawTombstone = false;
  await waitFor(async () => {
    const all = await consumeAll(topic, () => true);
    const gone = all.filter((r) => r.key === 'gone');
    // First only the tombstone is left of the key (its value record is cleaned away), then nothing.
    if (gone.length === 1 && gone[0]!.value === null) sawTombstone = true;
    return gone.length === 0;
  }, 'the tombstone to go');
  expect(sawTombstone).toBe(true);
}, 60_000);
