// KafkaJS transactions against the transaction coordinator (issue 13): commit and abort across 3
// partitions of 2 topics, a read_committed consumer sees only committed records exactly once and a
// read_uncommitted one everything; a second producer with the same transactional id fences the
// first; a producer that begins a transaction and vanishes is aborted after its timeout and the LSO
// moves on; offsets sent in a transaction become visible only when it commits; state survives a restart.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Consumer, Kafka } from 'kafkajs';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';

let b: TestBroker;
let kafka: Kafka;
const consumers: Consumer[] = [];

beforeAll(async () => {
  b = await startBroker({ groupInitialRebalanceDelayMs: 0, groupMinSessionTimeoutMs: 1000 });
  kafka = kafkajs(b.bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'txa', numPartitions: 2 }, { topic: 'txb', numPartitions: 1 }, { topic: 'txt', numPartitions: 2 }, { topic: 'txo', numPartitions: 1 }] });
  await admin.disconnect();
});

afterAll(async () => {
  await Promise.allSettled(consumers.map((c) => c.disconnect()));
  await b?.destroy();
});

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function consumeAll(groupId: string, topics: string[], readUncommitted: boolean, expected: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId, readUncommitted, maxWaitTimeInMs: 100, sessionTimeout: 6000, heartbeatInterval: 500 });
  consumers.push(consumer);
  await consumer.connect();
  for (const topic of topics) await consumer.subscribe({ topic, fromBeginning: true });
  const seen: string[] = [];
  await consumer.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()); } });
  await until(`${expected} records in ${groupId}`, () => seen.length >= expected);
  // A little longer, so that a record seen twice or one that should stay hidden would show.
  await new Promise((r) => setTimeout(r, 500));
  await consumer.disconnect();
  return seen.sort();
}

describe('KafkaJS transactions', () => {
  it('commits and aborts across 3 partitions of 2 topics; read_committed sees the committed ones once, read_uncommitted all', async () => {
    const producer = kafka.producer({ transactionalId: 'tx-commit-abort', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    const send = async (tag: string) => {
      const txn = await producer.transaction();
      await txn.send({ topic: 'txa', messages: [{ value: `${tag}-a0`, partition: 0 }, { value: `${tag}-a1`, partition: 1 }] });
      await txn.send({ topic: 'txb', messages: [{ value: `${tag}-b0`, partition: 0 }] });
      return txn;
    };
    await (await send('c1')).commit();
    await (await send('x1')).abort();
    await (await send('c2')).commit();
    await (await send('x2')).abort();
    await producer.disconnect();

    const committed = await consumeAll('rc-group', ['txa', 'txb'], false, 6);
    expect(committed).toEqual(['c1-a0', 'c1-a1', 'c1-b0', 'c2-a0', 'c2-a1', 'c2-b0']);
    const everything = await consumeAll('ru-group', ['txa', 'txb'], true, 12);
    expect(everything).toEqual(['c1-a0', 'c1-a1', 'c1-b0', 'c2-a0', 'c2-a1', 'c2-b0', 'x1-a0', 'x1-a1', 'x1-b0', 'x2-a0', 'x2-a1', 'x2-b0']);
  });

  it('a second producer with the same transactional id fences the first', async () => {
    const first = kafka.producer({ transactionalId: 'tx-fence', maxInFlightRequests: 1, idempotent: true, retry: { retries: 1 } });
    await first.connect();
    const open = await first.transaction();
    await open.send({ topic: 'txa', messages: [{ value: 'fenced-1', partition: 0 }] });
    const second = kafka.producer({ transactionalId: 'tx-fence', maxInFlightRequests: 1, idempotent: true });
    await second.connect();
    // KafkaJS sends InitProducerId with its first transaction: that aborts the first one's and bumps the epoch.
    const txn = await second.transaction();
    await expect(open.commit()).rejects.toThrow();
    await txn.send({ topic: 'txa', messages: [{ value: 'fence-winner', partition: 0 }] });
    await txn.commit();
    await Promise.allSettled([first.disconnect()]);
    await second.disconnect();
    const seen = await consumeAll('fence-group', ['txa'], false, 5);
    expect(seen.filter((v) => v.startsWith('fence'))).toEqual(['fence-winner']);
  });

  it('a transaction whose producer vanishes is aborted after its timeout, and the LSO moves on', async () => {
    const producer = kafka.producer({ transactionalId: 'tx-vanish', transactionTimeout: 1500, maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    const txn = await producer.transaction();
    await txn.send({ topic: 'txt', messages: [{ value: 'lost-0', partition: 0 }, { value: 'lost-1', partition: 1 }] });
    await producer.disconnect(); // never ends the transaction
    const handles = [0, 1].map((p) => b.broker.partition('txt', p)!);
    // The open transaction holds the LSO below the HWM on both partitions...
    for (const h of handles) expect(b.broker.watermarks.lastStableOffset(h.slot)).toBeLessThan(b.broker.watermarks.highWatermark(h.slot));
    // ...until the coordinator aborts it (abort markers move it to the HWM).
    await until('the timed-out transaction aborted', () => handles.every((h) => {
      const hwm = b.broker.watermarks.highWatermark(h.slot);
      return hwm === 2n && b.broker.watermarks.lastStableOffset(h.slot) === hwm;
    }), 15_000);
    // The producer's epoch was bumped: a new instance gets a higher one and works.
    const again = kafka.producer({ transactionalId: 'tx-vanish', maxInFlightRequests: 1, idempotent: true });
    await again.connect();
    const t2 = await again.transaction();
    await t2.send({ topic: 'txt', messages: [{ value: 'kept', partition: 0 }] });
    await t2.commit();
    await again.disconnect();
    expect(await consumeAll('vanish-group', ['txt'], false, 1)).toEqual(['kept']);
  });

  it('offsets sent in a transaction become the group\'s committed offsets only when it commits', async () => {
    const producer = kafka.producer({ transactionalId: 'tx-offsets', maxInFlightRequests: 1, idempotent: true });
    await producer.connect();
    const admin = kafka.admin();
    await admin.connect();
    const committedOffset = async () => (await admin.fetchOffsets({ groupId: 'eos-group', topics: ['txo'] }))[0]!.partitions[0]!.offset;
    const aborted = await producer.transaction();
    await aborted.send({ topic: 'txo', messages: [{ value: 'o1', partition: 0 }] });
    await aborted.sendOffsets({ consumerGroupId: 'eos-group', topics: [{ topic: 'txo', partitions: [{ partition: 0, offset: '5' }] }] });
    await aborted.abort();
    expect(await committedOffset()).toBe('-1');
    const txn = await producer.transaction();
    await txn.sendOffsets({ consumerGroupId: 'eos-group', topics: [{ topic: 'txo', partitions: [{ partition: 0, offset: '7' }] }] });
    expect(await committedOffset()).toBe('-1');
    await txn.commit();
    await until('the committed offset', async () => (await committedOffset()) === '7');
    await admin.disconnect();
    await producer.disconnect();
    // Durable: after a restart the offset and the transactional id's epoch are still there.
    b = await b.restart();
    kafka = kafkajs(b.bootstrap);
    const admin2 = kafka.admin();
    await admin2.connect();
    expect((await admin2.fetchOffsets({ groupId: 'eos-group', topics: ['txo'] }))[0]!.partitions[0]!.offset).toBe('7');
    await admin2.disconnect();
    const after = kafka.producer({ transactionalId: 'tx-offsets', maxInFlightRequests: 1, idempotent: true });
    await after.connect();
    const t = await after.transaction();
    await t.send({ topic: 'txo', messages: [{ value: 'o2', partition: 0 }] });
    await t.commit();
    await after.disconnect();
    expect(await consumeAll('txo-reader', ['txo'], false, 1)).toEqual(['o2']);
  });
});
