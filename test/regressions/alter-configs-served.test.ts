// Regression (issue 19 defect 3): AlterConfigs (key 33) was not served, so KafkaJS's alterConfigs,
// confluent-kafka's alter_configs() and Sarama's AlterConfig failed. KafkaJS sends AlterConfigs
// v0; the request replaces the topic's whole set of dynamic configs, as Kafka does.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Kafka, logLevel, ConfigResourceTypes } from 'kafkajs';
import { startBroker, type TestBroker } from '../helpers/broker.ts';

let b: TestBroker;
beforeAll(async () => { b = await startBroker({ nodeId: 1 }); });
afterAll(async () => { await b?.destroy(); });

test('KafkaJS alterConfigs replaces the topic configs, validateOnly changes nothing, errors come per resource', async () => {
  const admin = new Kafka({ clientId: 'alter-configs', brokers: [b.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic: 'ac', numPartitions: 2, configEntries: [{ name: 'retention.ms', value: '3600000' }] }] });
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'ac', configEntries: [{ name: 'segment.bytes', value: '1048576' }] }] });
    // retention.ms was not named, so it went back to its default: AlterConfigs is not incremental.
    expect(b.broker.metadata.topicByName('ac')!.configs).toEqual({ 'segment.bytes': '1048576' });
    const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'ac', configNames: ['segment.bytes', 'retention.ms'] }] });
    const byName = Object.fromEntries(described.resources[0]!.configEntries.map((e) => [e.configName, e.configValue]));
    expect(byName).toEqual({ 'segment.bytes': '1048576', 'retention.ms': '604800000' });

    await admin.alterConfigs({ validateOnly: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'ac', configEntries: [{ name: 'retention.ms', value: '1000' }] }] });
    expect(b.broker.metadata.topicByName('ac')!.configs).toEqual({ 'segment.bytes': '1048576' });

    await expect(admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'ac', configEntries: [{ name: 'no.such.config', value: '1' }] }] }))
      .rejects.toMatchObject({ type: 'INVALID_CONFIG' });
    await expect(admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'ac-nope', configEntries: [{ name: 'retention.ms', value: '1' }] }] }))
      .rejects.toMatchObject({ type: 'UNKNOWN_TOPIC_OR_PARTITION' });
    expect(b.broker.metadata.topicByName('ac')!.configs).toEqual({ 'segment.bytes': '1048576' });

    // A broker resource: the dynamic log defaults of this node, replaced as a whole too.
    await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configEntries: [{ name: 'log.retention.ms', value: '7200000' }] }] });
    expect(b.broker.metadata.brokerConfigs('1')).toEqual({ 'log.retention.ms': '7200000' });
    await expect(admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configEntries: [{ name: 'broker.id', value: '2' }] }] }))
      .rejects.toMatchObject({ type: 'INVALID_REQUEST' });
  } finally {
    await admin.disconnect();
  }
});
