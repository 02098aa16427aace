// Topic administration through real admin clients (KafkaJS and @platformatic/kafka): create,
// list, describe, configs, partitions, delete; topics and their IDs survive a restart.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Admin } from '@platformatic/kafka';
import { ConfigResourceTypes } from 'kafkajs';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';

let tb: TestBroker;
beforeAll(async () => { tb = await startBroker(); });
afterAll(async () => { await tb?.destroy(); });

test('KafkaJS creates, lists, describes, alters and deletes topics', async () => {
  const admin = kafkajs(tb.bootstrap).admin();
  await admin.connect();
  expect(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 4, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] })).toBe(true);
  // A second create of the same topic reports it exists (KafkaJS returns false).
  expect(await admin.createTopics({ topics: [{ topic: 'orders', numPartitions: 4 }] })).toBe(false);
  await expect(admin.createTopics({ topics: [{ topic: 'bad name!', numPartitions: 1 }] })).rejects.toThrow();
  await expect(admin.createTopics({ topics: [{ topic: 'rf3', numPartitions: 1, replicationFactor: 3 }] })).rejects.toThrow();
  await expect(admin.createTopics({ topics: [{ topic: 'badcfg', numPartitions: 1, configEntries: [{ name: 'no.such.config', value: '1' }] }] })).rejects.toThrow();
  expect(await admin.listTopics()).toEqual(['orders']);
  const md = await admin.fetchTopicMetadata({ topics: ['orders'] });
  expect(md.topics[0]!.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1, 2, 3]);
  const configs = await admin.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'orders' }], includeSynonyms: false });
  const entries = configs.resources[0]!.configEntries;
  expect(entries.find((e) => e.configName === 'retention.ms')!.configValue).toBe('3600000');
  expect(entries.find((e) => e.configName === 'segment.bytes')!.configValue).toBe(String(1024 ** 3));
  await admin.createPartitions({ topicPartitions: [{ topic: 'orders', count: 6 }] });
  expect((await admin.fetchTopicMetadata({ topics: ['orders'] })).topics[0]!.partitions.length).toBe(6);
  await admin.deleteTopics({ topics: ['orders'] });
  expect(await admin.listTopics()).toEqual([]);
  await admin.disconnect();
});

test('@platformatic/kafka creates, lists and deletes topics, with topic IDs', async () => {
  const admin = new Admin({ clientId: 'hw-test', bootstrapBrokers: [tb.bootstrap] });
  try {
    const created = await admin.createTopics({ topics: ['pk-events'], partitions: 3, replicas: 1 });
    expect(created[0]!.name).toBe('pk-events');
    expect(created[0]!.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(await admin.listTopics()).toContain('pk-events');
    const md = await admin.metadata({ topics: ['pk-events'] });
    expect(md.topics.get('pk-events')!.partitionsCount).toBe(3);
    await admin.deleteTopics({ topics: ['pk-events'] });
    expect(await admin.listTopics()).not.toContain('pk-events');
  } finally {
    await admin.close();
  }
});

test('topics, partition counts, configs and topic IDs survive a restart', async () => {
  const admin = kafkajs(tb.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'durable', numPartitions: 5, configEntries: [{ name: 'segment.bytes', value: '1048576' }] }, { topic: 'gone', numPartitions: 1 }] });
  await admin.deleteTopics({ topics: ['gone'] });
  const before = await admin.fetchTopicMetadata({ topics: ['durable'] });
  await admin.disconnect();
  const idBefore = tb.broker.metadata.topicByName('durable')!.topicId;
  tb = await tb.restart();
  const admin2 = kafkajs(tb.bootstrap).admin();
  await admin2.connect();
  expect((await admin2.listTopics()).sort()).toEqual(['durable']);
  expect(await admin2.fetchTopicMetadata({ topics: ['durable'] })).toEqual(before);
  expect(tb.broker.metadata.topicByName('durable')!.topicId).toBe(idBefore);
  const configs = await admin2.describeConfigs({ resources: [{ type: ConfigResourceTypes.TOPIC, name: 'durable' }], includeSynonyms: false });
  expect(configs.resources[0]!.configEntries.find((e) => e.configName === 'segment.bytes')!.configValue).toBe('1048576');
  await admin2.disconnect();
});
