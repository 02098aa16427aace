// Probe (issue 13): what a Kafka broker answers read_committed Fetch v12 and ListOffsets v7 with for a
// log of committed, aborted and open transactions, and how it stores the markers. Rerun against a
// Kafka started by bench/kafka/start.sh: node bench/kafka/probe-read-committed.ts [host:port]
// (test/integration/transactions-kafka-answers.test.ts pins Highwater to the answers it printed).
import { Kafka, logLevel } from 'kafkajs';
import { KafkaConnection } from '../../src/client/kafka-connection.ts';
import { fetchIsolated, listLatest } from '../../test/helpers/txn.ts';
import { forEachBatch } from '../../src/protocol/record-batch.ts';
import { decodeRecordBatch } from '../../src/protocol/records.ts';

const kafka = new Kafka({ brokers: [process.argv[2] ?? '127.0.0.1:9093'], logLevel: logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
const topic = `probe-${Date.now()}`;
await admin.createTopics({ topics: [{ topic, numPartitions: 1 }] });
await admin.disconnect();
const plain = kafka.producer();
await plain.connect();
const mk = (id: string) => kafka.producer({ transactionalId: id, idempotent: true, maxInFlightRequests: 1 });
const a = mk('probe-a'); await a.connect();
const b = mk('probe-b'); await b.connect();
const o = mk('probe-o'); await o.connect();
await plain.send({ topic, messages: [{ partition: 0, value: 'p0' }] });
const ta = await a.transaction();
await ta.send({ topic, messages: [{ partition: 0, value: 'a1' }] });
const tb = await b.transaction();
await tb.send({ topic, messages: [{ partition: 0, value: 'b1' }] });
await ta.abort();
await tb.commit();
const to = await o.transaction();
await to.send({ topic, messages: [{ partition: 0, value: 'o1' }] });
const ta2 = await a.transaction();
await ta2.send({ topic, messages: [{ partition: 0, value: 'a2' }] });
await ta2.abort();
const c = await KafkaConnection.connect((process.argv[2] ?? '127.0.0.1:9093').split(':')[0]!, Number((process.argv[2] ?? '127.0.0.1:9093').split(':')[1]), { clientId: 'probe' });
const show = (label: string, f: Awaited<ReturnType<typeof fetchIsolated>>) => console.log(label, JSON.stringify({ err: f.errorCode, hwm: String(f.highWatermark), lso: String(f.lastStableOffset), aborted: f.abortedTransactions?.map((x) => [String(x.producerId), String(x.firstOffset)]) ?? null, markers: f.markers.map(String), next: String(f.nextOffset), values: f.records.map((r) => r.value?.toString()) }));
show('rc@0', await fetchIsolated(c, topic, 0, 0n));
show('rc@2', await fetchIsolated(c, topic, 0, 2n));
show('rc@5', await fetchIsolated(c, topic, 0, 5n));
show('rc@7', await fetchIsolated(c, topic, 0, 7n));
show('ru@0', await fetchIsolated(c, topic, 0, 0n, { isolationLevel: 0 }));
console.log('latest', String(await listLatest(c, topic, 0, 0)), String(await listLatest(c, topic, 0, 1)));
const raw = (await fetchIsolated(c, topic, 0, 0n, { isolationLevel: 0 })).raw;
forEachBatch(raw, (at, size) => {
  const f = raw.subarray(at, at + size);
  const d = decodeRecordBatch(f);
  console.log('batch', String(d.baseOffset), 'attr', d.attributes.toString(16), 'ple', d.partitionLeaderEpoch, 'pid', String(d.producerId), 'epoch', d.producerEpoch, 'seq', d.baseSequence, 'n', d.records.length,
    'ts', String(d.baseTimestamp), String(d.maxTimestamp), d.records.map((r) => [r.key?.toString('hex'), r.value?.toString('hex'), String(r.timestamp - d.baseTimestamp), r.headers.length]));
}, { origin: 'log' });
await to.commit();
show('rc@0 after', await fetchIsolated(c, topic, 0, 0n));
c.close();
for (const p of [plain, a, b, o]) await p.disconnect();
