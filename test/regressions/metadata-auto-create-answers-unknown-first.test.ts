// Regression (issue 19, defect 9): an auto-creating Metadata created the missing topic before
// answering and returned it with its partitions, so a client that deleted a topic and then asked
// for it saw it come straight back. Kafka 4.4 (KRaft) answers UNKNOWN_TOPIC_OR_PARTITION and
// creates the topic in the background with num.partitions partitions (AutoTopicCreationManager;
// the differential case metadata-auto-create compares the two brokers).
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Admin } from '@platformatic/kafka';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';

let tb: TestBroker;
beforeAll(async () => { tb = await startBroker({ numPartitions: 2 }); });
afterAll(async () => { await tb?.destroy(); });

test('a deleted topic does not come straight back with partitions; it is auto-created afterwards with num.partitions', async () => {
  const admin = kafkajs(tb.bootstrap).admin();
  await admin.connect();
  const pk = new Admin({ clientId: 'hw-regression', bootstrapBrokers: [tb.bootstrap], retries: false });
  try {
    await admin.createTopics({ topics: [{ topic: 'recreated', numPartitions: 5 }] });
    await admin.deleteTopics({ topics: ['recreated'] });
    expect(await admin.listTopics()).toEqual([]);

    // The first auto-creating Metadata answers the error, as Kafka does, instead of the topic.
    await expect(pk.metadata({ topics: ['recreated'], autocreateTopics: true, forceUpdate: true })).rejects.toThrow();

    // The creation it started finishes in the background, with num.partitions (2), not the old 5.
    await expect.poll(async () => (await admin.listTopics()).includes('recreated'), { timeout: 5_000 }).toBe(true);
    const md = await admin.fetchTopicMetadata({ topics: ['recreated'] });
    expect(md.topics[0]!.partitions.map((p) => p.partitionId).sort()).toEqual([0, 1]);
  } finally {
    await pk.close();
    await admin.disconnect();
  }
});
