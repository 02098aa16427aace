// A mixed group during a rolling upgrade (group.consumer.migration.policy, default bidirectional):
// a KafkaJS consumer (classic protocol) holds the group; an @platformatic/kafka consumer with
// groupProtocol 'consumer' joins it, which upgrades the group to a consumer group with the KafkaJS
// member as a classic member (JoinGroup/SyncGroup/Heartbeat, assignments from the broker's
// assignor); when the consumer-protocol member leaves, the group is downgraded back to a classic
// group and KafkaJS gets every partition again. Every record produced is read.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Consumer as KafkaJsConsumer } from 'kafkajs';
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import type { BrokerConfig } from '../../src/config.ts';
import { Reader } from '../../src/protocol/primitives.ts';
import { decodeConsumerProtocolAssignment } from '../../src/protocol/generated/consumer-protocol-assignment.ts';

const TOPIC = 'migration-events';
const GROUP = 'migration-group';
const PARTITIONS = 4;

let tb: TestBroker;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  tb = await startBroker({
    groupConsumerSessionTimeoutMs: 6000, groupConsumerMinSessionTimeoutMs: 1000, groupConsumerHeartbeatIntervalMs: 200, groupConsumerMinHeartbeatIntervalMs: 100,
    groupConsumerAssignmentIntervalMs: 0,
  } as Partial<BrokerConfig>);
  const admin = new Admin({ clientId: 'admin', bootstrapBrokers: [tb.bootstrap] });
  await admin.createTopics({ topics: [TOPIC], partitions: PARTITIONS, replicas: 1 });
  await admin.close();
});

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await tb?.destroy();
});

async function until(what: string, check: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('classic KafkaJS + consumer-protocol @platformatic/kafka in one group: upgrade, shared partitions, downgrade', async () => {
  const coordinator = tb.broker.groupCoordinator;
  const producer = new Producer({ clientId: 'p', bootstrapBrokers: [tb.bootstrap], serializers: stringSerializers });
  closers.push(() => producer.close());
  const seen = new Map<string, number>();
  let produced = 0;
  const produce = async (n: number) => {
    await producer.send({ messages: Array.from({ length: n }, (_, i) => ({ topic: TOPIC, partition: (produced + i) % PARTITIONS, value: `v${produced + i}` })) });
    produced += n;
  };

  const classic: KafkaJsConsumer = kafkajs(tb.bootstrap).consumer({ groupId: GROUP, sessionTimeout: 6000, heartbeatInterval: 200, rebalanceTimeout: 10_000, maxWaitTimeInMs: 100 });
  closers.push(() => classic.disconnect());
  await classic.connect();
  await classic.subscribe({ topic: TOPIC, fromBeginning: true });
  await classic.run({ eachMessage: async ({ message }) => { seen.set(message.value!.toString(), (seen.get(message.value!.toString()) ?? 0) + 1); } });
  await until('a stable classic group of one', () => coordinator.describeGroup(GROUP).state === 'Stable');
  await produce(20);
  await until('20 records', () => seen.size === 20);

  const modern = new Consumer({
    groupId: GROUP, clientId: 'modern', bootstrapBrokers: [tb.bootstrap], deserializers: stringDeserializers,
    groupProtocol: 'consumer', rebalanceTimeout: 60_000,
  });
  closers.push(() => new Promise<void>((resolve) => modern.close(true, () => resolve())));
  const stream = await modern.consume({ topics: [TOPIC], mode: 'committed', fallbackMode: 'earliest', autocommit: 100, maxWaitTime: 100 });
  stream.on('data', (message) => seen.set(message.value, (seen.get(message.value) ?? 0) + 1));

  await until('a stable consumer group of two, sharing the partitions', () => {
    const d = coordinator.consumerGroupDescribe(GROUP);
    if (d.errorCode !== 0 || d.groupState !== 'Stable' || d.members.length !== 2) return false;
    const owned = d.members.flatMap((m) => m.assignment.topicPartitions.flatMap((tp) => tp.partitions));
    return owned.length === PARTITIONS && new Set(owned).size === PARTITIONS && d.members.every((m) => m.assignment.topicPartitions.length > 0);
  });
  expect(coordinator.listGroups().find((g) => g.groupId === GROUP)?.groupType).toBe('consumer');
  await until('the consumer-protocol client on its share', () => (modern.assignments ?? []).flatMap((a) => a.partitions).length > 0);
  await produce(20);
  await until('40 records', () => seen.size === 40);

  await new Promise<void>((resolve) => modern.close(true, () => resolve()));
  await until('the group downgraded to a classic group', () => coordinator.listGroups().find((g) => g.groupId === GROUP)?.groupType === 'classic');
  await until('the classic member holding every partition again', () => {
    const d = coordinator.describeGroup(GROUP);
    if (d.state !== 'Stable' || d.members.length !== 1) return false;
    const r = new Reader(d.members[0]!.memberAssignment);
    const a = decodeConsumerProtocolAssignment(r, r.int16());
    return a.assignedPartitions.flatMap((tp) => tp.partitions).length === PARTITIONS;
  });
  await produce(20);
  await until('60 records', () => seen.size === 60);
  expect([...seen.keys()].length).toBe(produced);
});
