// read_committed below the local log start: the aborted transactions come from the uploaded
// .txnindex objects, so a KafkaJS read_committed consumer sees only committed records, reading the
// remote tier (in-memory object store) from offset 0.
import { afterEach, expect, it } from 'vitest';
import { startBroker, type TestBroker } from '../../../helpers/broker.ts';
import { kafkajs } from '../../../helpers/kafkajs.ts';
import { MemoryObjectStore } from '../../../helpers/memory-object-store.ts';

const TOPIC = 'tiered-txn';
let b: TestBroker | undefined;
afterEach(async () => { await b?.destroy(); b = undefined; });

async function waitFor(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

it('a read_committed consumer skips aborted transactions that are only in the object store', async () => {
  const store = new MemoryObjectStore();
  b = await startBroker({ remoteStorageBucket: 'test', remoteLogManagerTaskIntervalMs: 100, retentionCheckMs: 200 }, undefined, { objectStore: store });
  const admin = kafkajs(b.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, configEntries: [
    { name: 'remote.storage.enable', value: 'true' }, { name: 'segment.bytes', value: '2048' }, { name: 'local.retention.bytes', value: '1' },
  ] }] });
  await admin.disconnect();
  const producer = kafkajs(b.bootstrap).producer({ transactionalId: 'tiered-txn', maxInFlightRequests: 1, idempotent: true });
  await producer.connect();
  const committed: string[] = [];
  for (let t = 0; t < 24; t++) {
    const txn = await producer.transaction();
    const values = Array.from({ length: 5 }, (_, k) => `t${t}-m${k}-${'q'.repeat(60)}`);
    await txn.send({ topic: TOPIC, messages: values.map((value) => ({ value, partition: 0 })) });
    if (t % 3 === 1) {
      await txn.abort();
    } else {
      await txn.commit();
      committed.push(...values);
    }
  }
  await producer.disconnect();
  const h = b.broker.partitions(TOPIC)![0]!;
  // Most of the log, aborted transactions included, is only remote now.
  await waitFor('most of the log only remote', () => b!.broker.watermarks.localLogStartOffset(h.slot) * 2n > b!.broker.watermarks.highWatermark(h.slot));
  expect(store.keys().some((k) => k.endsWith('.txnindex'))).toBe(true);

  const consumer = kafkajs(b.bootstrap).consumer({ groupId: 'rc', maxWaitTimeInMs: 200, readUncommitted: false });
  const seen: string[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()); } });
  await waitFor('every committed record', () => seen.length >= committed.length);
  await new Promise((r) => setTimeout(r, 500));
  await consumer.disconnect();
  expect(seen).toEqual(committed);
}, 60_000);
