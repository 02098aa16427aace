// A first end-to-end check: KafkaJS creates a topic, produces and consumes through a real broker.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';

let tb: TestBroker;
beforeAll(async () => { tb = await startBroker(); });
afterAll(async () => { await tb?.destroy(); });

test('KafkaJS admin, producer and consumer', async () => {
  const kafka = kafkajs(tb.bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  expect(await admin.createTopics({ topics: [{ topic: 'smoke', numPartitions: 3 }] })).toBe(true);
  expect(await admin.listTopics()).toContain('smoke');
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'smoke', messages: [{ key: 'a', value: 'one', partition: 0 }, { key: 'b', value: 'two', partition: 1 }] });
  const offsets = await admin.fetchTopicOffsets('smoke');
  expect(offsets.map((o) => [o.partition, o.high]).sort()).toEqual([[0, '1'], [1, '1'], [2, '0']]);
  await producer.disconnect();
  await admin.disconnect();
});
