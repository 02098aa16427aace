// Idempotent producers after the cleaner has run: a retried batch is still answered with its
// original offsets, and the producer's sequence goes on, also after a restart that rebuilds
// producer state from the cleaned log alone (the cleaner keeps each producer's last batch, emptied
// if need be, as Kafka does).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { ApiKey } from '../../src/protocol/generated/index.ts';
import { buildRecordBatch } from '../../src/protocol/records.ts';
import type { KafkaConnection } from '../../src/client/kafka-connection.ts';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { connect, fetchOnce } from '../helpers/fetch.ts';

let b: TestBroker | undefined;
afterAll(async () => {
  await b?.destroy();
});

type ProduceAnswer = { responses: { partitionResponses: { errorCode: number; baseOffset: bigint }[] }[] };

async function produce(c: KafkaConnection, topic: string, batch: Buffer): Promise<{ errorCode: number; baseOffset: bigint }> {
  const res = await c.request<ProduceAnswer>(ApiKey.Produce, 9, { transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: 0, records: batch }] }] });
  return res.responses[0]!.partitionResponses[0]!;
}

const keyed = (round: number, producer?: { id: bigint; seq: number }) => buildRecordBatch({
  baseTimestamp: BigInt(Date.now()),
  records: ['k0', 'k1', 'k2'].map((k) => ({ key: Buffer.from(k), value: Buffer.from(`${k}-${round}-${'y'.repeat(60)}`) })),
  producerId: producer?.id ?? -1n, producerEpoch: producer ? 0 : -1, baseSequence: producer?.seq ?? -1,
});

test('retries are deduplicated and sequences go on after cleaning, and after a restart that replays the cleaned log', async () => {
  b = await startBroker({ logCleanerBackoffMs: 100, shards: 1 });
  const topic = 'compacted-idempotent';
  let c = await connect(b.bootstrap);
  await c.request(ApiKey.CreateTopics, 5, { topics: [{ name: topic, numPartitions: 1, replicationFactor: 1, assignments: [], configs: [
    { name: 'cleanup.policy', value: 'compact' }, { name: 'segment.bytes', value: '1024' }, { name: 'min.cleanable.dirty.ratio', value: '0.01' },
  ] }], timeoutMs: 5000, validateOnly: false });
  const init = await c.request<{ errorCode: number; producerId: bigint }>(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 });
  expect(init.errorCode).toBe(0);
  const id = init.producerId;
  let seq = 0;
  const sent: { batch: Buffer; baseOffset: bigint }[] = [];
  for (let round = 0; round < 10; round++) {
    const batch = keyed(round, { id, seq });
    const answer = await produce(c, topic, Buffer.from(batch));
    expect(answer.errorCode).toBe(0);
    sent.push({ batch, baseOffset: answer.baseOffset });
    seq += 3;
  }
  // Later plain writes of the same keys make every idempotent record obsolete: the cleaner may
  // empty the producer's batches, and keeps its last one.
  for (let round = 10; round < 40; round++) expect((await produce(c, topic, keyed(round))).errorCode).toBe(0);
  const deadline = Date.now() + 20_000;
  for (;;) {
    const read = await fetchOnce(c, topic, 0, 0n);
    if (!read.records.some((r) => r.value?.toString().endsWith(`-0-${'y'.repeat(60)}`))) break;
    if (Date.now() > deadline) throw new Error('the cleaner did not run');
    await new Promise((r) => setTimeout(r, 200));
  }
  // A retry of the producer's last batch: answered with its original offset, not written again.
  const last = sent.at(-1)!;
  expect(await produce(c, topic, Buffer.from(last.batch))).toEqual(expect.objectContaining({ errorCode: 0, baseOffset: last.baseOffset }));
  await c.close();

  // Restart, with the producer-state snapshot removed: state comes from the cleaned log alone.
  await b.stop();
  rmSync(join(b.dataDir, `${topic}-0`, 'producer-state.json'), { force: true });
  b = await b.restart();
  c = await connect(b.bootstrap);
  expect(await produce(c, topic, Buffer.from(last.batch))).toEqual(expect.objectContaining({ errorCode: 0, baseOffset: last.baseOffset }));
  const next = await produce(c, topic, keyed(99, { id, seq }));
  expect(next.errorCode).toBe(0);
  // A sequence gap is still refused (OUT_OF_ORDER_SEQUENCE_NUMBER): the state is really there.
  expect((await produce(c, topic, keyed(100, { id, seq: seq + 30 }))).errorCode).toBe(45);
  await c.close();
});
