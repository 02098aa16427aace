// Regression (issue 19, defect 7): batches with a valid header and CRC but bad records inside
// (garbage, a count that does not match, a record past the end, fake gzip/zstd/lz4 payloads) were
// acknowledged and stored, and every consumer then stopped at the bad offset. Now each is refused
// with Kafka's code (INVALID_RECORD, UNKNOWN_SERVER_ERROR for an undecompressable payload,
// CORRUPT_MESSAGE for a bad CRC) and a KafkaJS consumer reads every good record around them.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CompressionTypes } from 'kafkajs';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { connect } from '../helpers/fetch.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import { ApiKey } from '../../src/protocol/generated/index.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import type { ProduceResponse } from '../../src/protocol/generated/produce-response.ts';
import { BAD_BATCHES } from '../differential/cases/data-path.ts';

const TOPIC = 'bad-records';
let tb: TestBroker;

beforeAll(async () => {
  tb = await startBroker();
});
afterAll(async () => {
  await tb?.destroy();
});

test('every bad batch is refused and the partitions stay readable by a real consumer', async () => {
  const kafka = kafkajs(tb.bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 2 }] });
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const send = (from: number, compression = CompressionTypes.None) => producer.send({
    topic: TOPIC, compression,
    messages: Array.from({ length: 4 }, (_, i) => ({ partition: i % 2, key: `k${from + i}`, value: `v${from + i}` })),
  });
  await send(0);

  const c = await connect(tb.bootstrap);
  const expected: Record<string, number> = {
    'garbage-records': ErrorCode.INVALID_RECORD, 'count-mismatch': ErrorCode.INVALID_RECORD, 'record-overruns-batch': ErrorCode.INVALID_RECORD,
    'fake-gzip': ErrorCode.UNKNOWN_SERVER_ERROR, 'fake-zstd': ErrorCode.UNKNOWN_SERVER_ERROR, 'fake-lz4': ErrorCode.UNKNOWN_SERVER_ERROR,
    'trailing-bytes': ErrorCode.INVALID_RECORD, 'unknown-codec': ErrorCode.UNKNOWN_SERVER_ERROR, 'bad-crc': ErrorCode.CORRUPT_MESSAGE,
  };
  for (const [kind, make] of Object.entries(BAD_BATCHES)) {
    for (const partition of [0, 1]) {
      const res = await c.request<ProduceResponse>(ApiKey.Produce, 9, {
        transactionalId: null, acks: -1, timeoutMs: 10_000, topicData: [{ name: TOPIC, partitionData: [{ index: partition, records: make() }] }],
      });
      expect(res.responses[0]!.partitionResponses[0]!.errorCode, kind).toBe(expected[kind]);
    }
  }
  c.close();

  await send(4, CompressionTypes.GZIP);
  await send(8);
  await producer.disconnect();

  const consumer = kafka.consumer({ groupId: 'bad-records-reader', maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  const seen: string[] = [];
  await consumer.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()); } });
  const deadline = Date.now() + 15_000;
  while (seen.length < 12 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await consumer.disconnect();
  expect(seen.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `v${i}`).sort());
}, 30_000);
