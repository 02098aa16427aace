// read_committed Fetch and ListOffsets answers pinned to what Apache Kafka 4.4 answered for the
// same log (probed 2026-12-02: KafkaJS transactional producers against a single-node Kafka 4.4,
// then these exact Fetch v12 / ListOffsets v7 requests). The log is rebuilt here with raw produce
// and pool-written markers, batch for batch as Kafka stored it:
//   0 p0 (plain)  1 a1 (txn, producer 3)  2 b1 (txn, producer 4)  3 ABORT(3)  4 o1 (txn, producer 5)
//   5 COMMIT(4)   6 a2 (txn, producer 3)  7 ABORT(3)              -> HWM 8, LSO 4 (producer 5 open)
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { KafkaConnection } from '../../src/client/kafka-connection.ts';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { connect } from '../helpers/fetch.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import { fetchIsolated, listLatest, produceTxn, txnProducer, writeMarker, type CommittedFetch } from '../helpers/txn.ts';

let b: TestBroker;
let c: KafkaConnection;

beforeAll(async () => {
  b = await startBroker({ transactionPartitionVerificationEnable: false }); // raw markers, no coordinator
  const admin = kafkajs(b.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'probe', numPartitions: 1 }] });
  await admin.disconnect();
  c = await connect(b.bootstrap);
  const [p3, p4, p5] = [txnProducer(3n), txnProducer(4n), txnProducer(5n)];
  await produceTxn(c, txnProducer(-1n), 'probe', 0, ['p0'], { transactional: false });
  await produceTxn(c, p3, 'probe', 0, ['a1']);
  await produceTxn(c, p4, 'probe', 0, ['b1']);
  await writeMarker(b.broker, p3, 'probe', 0, false);
  await produceTxn(c, p5, 'probe', 0, ['o1']);
  await writeMarker(b.broker, p4, 'probe', 0, true);
  await produceTxn(c, p3, 'probe', 0, ['a2']);
  await writeMarker(b.broker, p3, 'probe', 0, false);
});

afterAll(async () => {
  c?.close();
  await b?.destroy();
});

const shape = (f: CommittedFetch) => ({
  err: f.errorCode, hwm: String(f.highWatermark), lso: String(f.lastStableOffset),
  aborted: f.abortedTransactions?.map((x) => [String(x.producerId), String(x.firstOffset)]) ?? null,
  markers: f.markers.map(String), next: String(f.nextOffset), values: f.records.map((r) => r.value?.toString()),
});

it('answers read_committed fetches and ListOffsets as Kafka 4.4 did', async () => {
  expect(shape(await fetchIsolated(c, 'probe', 0, 0n))).toEqual({ err: 0, hwm: '8', lso: '4', aborted: [['3', '1'], ['3', '6']], markers: ['3'], next: '4', values: ['p0', 'a1', 'b1'] });
  expect(shape(await fetchIsolated(c, 'probe', 0, 2n))).toEqual({ err: 0, hwm: '8', lso: '4', aborted: [['3', '1'], ['3', '6']], markers: ['3'], next: '4', values: ['b1'] });
  expect(shape(await fetchIsolated(c, 'probe', 0, 5n))).toEqual({ err: 0, hwm: '8', lso: '4', aborted: [], markers: [], next: '5', values: [] });
  expect(shape(await fetchIsolated(c, 'probe', 0, 7n))).toEqual({ err: 0, hwm: '8', lso: '4', aborted: [], markers: [], next: '7', values: [] });
  expect(shape(await fetchIsolated(c, 'probe', 0, 0n, { isolationLevel: 0 }))).toEqual({
    err: 0, hwm: '8', lso: '4', aborted: null, markers: ['3', '5', '7'], next: '8', values: ['p0', 'a1', 'b1', 'o1', 'a2'],
  });
  expect([await listLatest(c, 'probe', 0, 0), await listLatest(c, 'probe', 0, 1)]).toEqual([8n, 4n]);
});
