// Regression: acks=0/1 writes were never made visible, and ListOffsets read the end of the log
// from segments instead of the watermark. For acks 0, 1 and -1: 10,000 records into 3 partitions,
// then ListOffsets(latest) at once equals what was sent, and a reader sees each record exactly
// once, offsets contiguous from 0.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CompressionTypes } from 'kafkajs';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import { connect, listOffset, readAll } from '../helpers/fetch.ts';

let tb: TestBroker;
beforeAll(async () => { tb = await startBroker(); });
afterAll(async () => { await tb?.destroy(); });

const RECORDS = 10_000;
const PARTITIONS = 3;

for (const acks of [0, 1, -1]) {
  test(`acks=${acks}: every record visible at once, exactly once, contiguous`, async () => {
    const topic = `acks-${acks === -1 ? 'all' : acks}`;
    const kafka = kafkajs(tb.bootstrap);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
    const producer = kafka.producer();
    await producer.connect();
    const sent = new Array<number>(PARTITIONS).fill(0);
    for (let start = 0; start < RECORDS; start += 500) {
      const messages = [];
      for (let i = start; i < start + 500; i++) {
        messages.push({ partition: i % PARTITIONS, key: `k${i}`, value: `value-${i}`, headers: { n: String(i) } });
        sent[i % PARTITIONS]! += 1;
      }
      await producer.send({ topic, acks, messages, compression: CompressionTypes.None });
    }
    const c = await connect(tb.bootstrap);
    for (let p = 0; p < PARTITIONS; p++) {
      let latest = await listOffset(c, topic, p, -1n);
      if (acks === 0) {
        // acks=0 is fire-and-forget: nothing tells the client when the append happened, so wait
        // (bounded) for it to become visible. The regression was that it never did.
        const deadline = Date.now() + 10_000;
        while (latest.offset < BigInt(sent[p]!) && Date.now() < deadline) {
          await new Promise((r) => setTimeout(r, 20));
          latest = await listOffset(c, topic, p, -1n);
        }
      }
      expect(latest.offset).toBe(BigInt(sent[p]!));
      const earliest = await listOffset(c, topic, p, -2n);
      expect(earliest.offset).toBe(0n);
      const records = await readAll(tb.bootstrap, topic, p);
      expect(records.length).toBe(sent[p]);
      records.forEach((r, i) => expect(r.offset).toBe(BigInt(i)));
      const values = new Set(records.map((r) => r.value!.toString()));
      expect(values.size).toBe(sent[p]);
      for (const r of records) {
        const n = Number(r.value!.toString().slice('value-'.length));
        expect(n % PARTITIONS).toBe(p);
        expect(r.key!.toString()).toBe(`k${n}`);
        expect(r.headers[0]).toEqual({ key: 'n', value: Buffer.from(String(n)) });
      }
    }
    c.close();
    await producer.disconnect();
    await admin.disconnect();
  });
}
