// Regression (issue 19 defect 4): IncrementalAlterConfigs refused broker resources and APPEND/SUBTRACT.
// A dynamic broker default must reach open partitions at once (message.max.bytes refuses a large
// batch), survive a restart (metadata log), and show in DescribeConfigs with its source.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Kafka, logLevel, ConfigResourceTypes } from 'kafkajs';
import { startBroker, type TestBroker } from '../helpers/broker.ts';

let b: TestBroker;
beforeAll(async () => { b = await startBroker({ nodeId: 1 }); });
afterAll(async () => { await b?.destroy(); });

const DYNAMIC_BROKER_CONFIG = 2;
const DYNAMIC_DEFAULT_BROKER_CONFIG = 3;

test('broker defaults apply live and durably; list operations on cleanup.policy', async () => {
  const kafka = () => new Kafka({ clientId: 'iac-broker', brokers: [b.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 0 } });
  let admin = kafka().admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'iacb', numPartitions: 2 }] });
  const producer = kafka().producer();
  await producer.connect();
  await producer.send({ topic: 'iacb', messages: [{ partition: 1, value: 'x'.repeat(2000) }] });

  // KafkaJS has no incrementalAlterConfigs; its AlterConfigs carries the same broker semantics.
  // KafkaJS refuses the empty resource name of the cluster default: the second test sends that one.
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configEntries: [{ name: 'message.max.bytes', value: '500' }, { name: 'log.retention.ms', value: '7200000' }] }] });
  await expect(producer.send({ topic: 'iacb', messages: [{ partition: 1, value: 'x'.repeat(2000) }] })).rejects.toMatchObject({ type: 'MESSAGE_TOO_LARGE' });
  await producer.disconnect();

  const describe = async () => {
    const r = await admin.describeConfigs({ includeSynonyms: true, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'iacb', configNames: ['max.message.bytes', 'retention.ms'] }] });
    return Object.fromEntries(r.resources[0]!.configEntries.map((e) => [e.configName, e]));
  };
  let topic = await describe();
  expect(topic['max.message.bytes']).toMatchObject({ configValue: '500', configSource: DYNAMIC_BROKER_CONFIG });
  expect(topic['retention.ms']).toMatchObject({ configValue: '7200000', configSource: DYNAMIC_BROKER_CONFIG });
  await admin.disconnect();

  b = await b.restart();
  admin = kafka().admin();
  await admin.connect();
  try {
    topic = await describe();
    expect(topic['max.message.bytes']).toMatchObject({ configValue: '500', configSource: DYNAMIC_BROKER_CONFIG });
    expect(b.broker.metadata.brokerConfigs('1')).toEqual({ 'message.max.bytes': '500', 'log.retention.ms': '7200000' });
  } finally {
    await admin.disconnect();
  }
});

test('IncrementalAlterConfigs over the wire: APPEND/SUBTRACT, broker SET and DELETE, refusals', async () => {
  const { KafkaConnection } = await import('../../src/client/kafka-connection.ts');
  const c = await KafkaConnection.connect('127.0.0.1', b.port);
  try {
    await c.request(19, 5, { topics: [{ name: 'iacl', numPartitions: 1, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false });
    const iac = (resourceType: number, resourceName: string, name: string, configOperation: number, value: string | null) =>
      c.request<{ responses: { errorCode: number }[] }>(44, 1, { resources: [{ resourceType, resourceName, configs: [{ name, configOperation, value }] }], validateOnly: false }).then((r) => r.responses[0]!.errorCode);
    expect(await iac(2, 'iacl', 'cleanup.policy', 2, 'delete')).toBe(0);
    expect(b.broker.metadata.topicByName('iacl')!.configs['cleanup.policy']).toBe('delete');
    expect(await iac(2, 'iacl', 'cleanup.policy', 2, 'compact')).toBe(0); // APPEND: delete,compact (issue 12)
    expect(await iac(2, 'iacl', 'retention.ms', 2, '5')).toBe(40);
    expect(await iac(4, '1', 'log.retention.bytes', 0, '1000000')).toBe(0);
    expect(b.broker.metadata.brokerConfigs('1')['log.retention.bytes']).toBe('1000000');
    expect(await iac(4, '1', 'log.retention.bytes', 1, null)).toBe(0);
    expect(b.broker.metadata.brokerConfigs('1')['log.retention.bytes']).toBeUndefined();
    expect(await iac(4, '', 'log.segment.bytes', 0, '2000000')).toBe(0);
    const d = await c.request<{ results: { configs: { name: string; value: string; configSource: number }[] }[] }>(32, 4, { resources: [{ resourceType: 2, resourceName: 'iacl', configurationKeys: ['segment.bytes'] }], includeSynonyms: true, includeDocumentation: false });
    expect(d.results[0]!.configs[0]).toMatchObject({ value: '2000000', configSource: DYNAMIC_DEFAULT_BROKER_CONFIG });
    expect(await iac(4, '1', 'log.cleaner.threads', 0, '2')).toBe(42);
    expect(await iac(32, 'g', 'consumer.session.timeout.ms', 0, '50000')).toBe(40);
  } finally {
    c.close();
  }
});
