// Regression (issue 19, defect 7): record batches with a valid header and CRC but bad records
// inside (garbage bytes, a count that does not match, a record overrunning the batch, fake
// compressed payloads) were acknowledged and stored, and then confluent-kafka stopped silently at
// the bad offset while kafka-python raised CorruptRecordError. Every bad batch must be refused,
// and every consumer must read the good records on both sides of them.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBroker, type TestBroker } from '../../helpers/broker.ts';
import { PYTHON, run } from './python.ts';
import { connect } from '../../helpers/fetch.ts';
import { kafkajs } from '../../helpers/kafkajs.ts';
import { BAD_BATCHES } from '../../differential/cases/data-path.ts';
import { ApiKey } from '../../../src/protocol/generated/index.ts';
import { buildRecordBatch } from '../../../src/protocol/records.ts';
import type { ProduceResponse } from '../../../src/protocol/generated/produce-response.ts';
import type { KafkaConnection } from '../../../src/client/kafka-connection.ts';

const TOPIC = 'bad-batches';
const GOOD = Array.from({ length: 20 }, (_, i) => `g${i}`);

let tb: TestBroker;
let c: KafkaConnection;
beforeAll(async () => {
  tb = await startBroker();
  c = await connect(tb.bootstrap);
  const admin = kafkajs(tb.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }] });
  await admin.disconnect();
});
afterAll(async () => {
  c?.close();
  await tb?.destroy();
});

async function produce(records: Buffer): Promise<number> {
  const res = await c.request<ProduceResponse>(ApiKey.Produce, 9, {
    transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: TOPIC, partitionData: [{ index: 0, records }] }],
  });
  return res.responses[0]!.partitionResponses[0]!.errorCode;
}

const good = (keys: string[]) => buildRecordBatch({ baseTimestamp: BigInt(Date.now()), records: keys.map((k) => ({ key: Buffer.from(k), value: Buffer.from(`value of ${k}`) })) });


test('every bad batch is refused, and every client reads the good records around them', async () => {
  expect(await produce(good(GOOD.slice(0, 10)))).toBe(0);
  for (const [kind, make] of Object.entries(BAD_BATCHES)) {
    expect(await produce(make()), `${kind} must be refused`).not.toBe(0);
  }
  expect(await produce(good(GOOD.slice(10)))).toBe(0);

  expect(existsSync(PYTHON), `${PYTHON} is missing: run npm run compat:install`).toBe(true);
  for (const client of ['confluent-kafka', 'kafka-python']) {
    const r = await run(PYTHON, ['test/compat/python/read_partition.py', '--client', client, '--bootstrap', tb.bootstrap, '--topic', TOPIC]);
    expect(r.code, r.stderr).toBe(0);
    const read = JSON.parse(r.stdout.trim().split('\n').pop()!) as { keys: string[]; offsets: number[]; errors: string[] };
    expect({ client, keys: read.keys, errors: read.errors }).toEqual({ client, keys: GOOD, errors: [] });
    expect(read.offsets).toEqual(GOOD.map((_, i) => i));
  }

  const kcat = await run('kcat', ['-C', '-b', tb.bootstrap, '-t', TOPIC, '-p', '0', '-o', 'beginning', '-e', '-q', '-f', '%k\\n']);
  expect(kcat.code, kcat.stderr).toBe(0);
  expect(kcat.stdout.trim().split('\n')).toEqual(GOOD);

  const consumer = kafkajs(tb.bootstrap).consumer({ groupId: 'bad-batches-reader' });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  const keys: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`KafkaJS read ${keys.length} of ${GOOD.length}`)), 30_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        keys.push(message.key!.toString());
        if (keys.length === GOOD.length) { clearTimeout(timer); resolve(); }
      },
    });
  });
  await consumer.disconnect();
  expect(keys).toEqual(GOOD);
}, 120_000);
