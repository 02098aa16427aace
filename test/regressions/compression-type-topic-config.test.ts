// Regression (issue 19, defect 2): compression.type accepted only `producer`, so a topic created
// with compression.type=gzip (or lz4) was refused. Now KafkaJS creates both, produces uncompressed
// and gzip batches into each, a KafkaJS consumer reads every record back in order, and the stored
// batches carry the topic's codec (recompressed by the broker when the producer's differs).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { CompressionCodecs, CompressionTypes } from 'kafkajs';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { connect } from '../helpers/fetch.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import { ApiKey } from '../../src/protocol/generated/index.ts';
import type { FetchResponse } from '../../src/protocol/generated/fetch-response.ts';
import { compress, compressionCodecOf, decompress } from '../../src/protocol/compression.ts';
import { forEachBatch, readAttributes } from '../../src/protocol/record-batch.ts';

let tb: TestBroker;

// KafkaJS ships only gzip: its consumer reads the lz4 topic's batches through this codec plugin.
CompressionCodecs[CompressionTypes.LZ4] = () => ({
  compress: async (encoder: { buffer: Buffer }) => compress('lz4', encoder.buffer),
  decompress: async (buffer: Buffer) => decompress('lz4', buffer),
});

beforeAll(async () => {
  tb = await startBroker();
});
afterAll(async () => {
  await tb?.destroy();
});

async function storedCodecs(topic: string): Promise<string[]> {
  const c = await connect(tb.bootstrap);
  try {
    const res = await c.request<FetchResponse>(ApiKey.Fetch, 12, {
      maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 24, isolationLevel: 0,
      topics: [{ topic, partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 1 << 24 }] }],
    });
    const records = res.responses[0]!.partitions[0]!.records!;
    const codecs: string[] = [];
    forEachBatch(records, (at) => { codecs.push(compressionCodecOf(readAttributes(records, at))!); }, { origin: 'log' });
    return codecs;
  } finally {
    c.close();
  }
}

test.each([['gzip', 'gzip'], ['lz4', 'lz4']] as const)('a compression.type=%s topic stores every batch as %s and a consumer reads them all', async (type, codec) => {
  const topic = `ct-${type}`;
  const kafka = kafkajs(tb.bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 1, configEntries: [{ name: 'compression.type', value: type }] }] });
  const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: 2, name: topic, configNames: ['compression.type'] }] });
  expect(described.resources[0]!.configEntries[0]!.configValue).toBe(type);
  await admin.disconnect();

  const producer = kafka.producer();
  await producer.connect();
  const send = (from: number, compression: CompressionTypes) => producer.send({
    topic, compression, messages: Array.from({ length: 5 }, (_, i) => ({ key: `k${from + i}`, value: `v${from + i}`, headers: { n: String(from + i) } })),
  });
  const first = await send(0, CompressionTypes.None);
  const second = await send(5, CompressionTypes.GZIP);
  const third = await send(10, CompressionTypes.None);
  await producer.disconnect();
  expect([first, second, third].map((r) => r[0]!.baseOffset)).toEqual(['0', '5', '10']);

  expect(await storedCodecs(topic)).toEqual([codec, codec, codec]);

  const consumer = kafka.consumer({ groupId: `${topic}-reader`, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const seen: Array<[string, string, string]> = [];
  await consumer.run({ eachMessage: async ({ message }) => { seen.push([message.offset, message.value!.toString(), message.headers!.n!.toString()]); } });
  const deadline = Date.now() + 15_000;
  while (seen.length < 15 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await consumer.disconnect();
  expect(seen).toEqual(Array.from({ length: 15 }, (_, i) => [String(i), `v${i}`, String(i)]));
}, 30_000);
