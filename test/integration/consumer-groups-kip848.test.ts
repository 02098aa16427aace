// The consumer group protocol (KIP-848) with a real client: @platformatic/kafka with
// groupProtocol 'consumer' (ConsumerGroupHeartbeat). Two consumers share a topic under the range
// assignor, read every record once, commit with their member epochs; the operator views (ListGroups
// group type, ConsumerGroupDescribe, the CLI's groups describe, the dashboard) show the group.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Admin, Consumer, Producer, stringDeserializers, stringSerializers } from '@platformatic/kafka';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import type { BrokerConfig } from '../../src/config.ts';
import { KafkaCluster } from '../../src/client/kafka-cluster.ts';
import { describeGroupWithLag } from '../../src/cli/groups.ts';
import { groupViewOf } from '../../src/http/group-view.ts';

const TOPIC = 'kip848-events';
const GROUP = 'kip848-group';
const PARTITIONS = 4;

let tb: TestBroker;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  tb = await startBroker({
    groupConsumerSessionTimeoutMs: 6000, groupConsumerMinSessionTimeoutMs: 1000, groupConsumerHeartbeatIntervalMs: 200, groupConsumerMinHeartbeatIntervalMs: 100,
  } as Partial<BrokerConfig>);
  const admin = new Admin({ clientId: 'admin', bootstrapBrokers: [tb.bootstrap] });
  await admin.createTopics({ topics: [TOPIC], partitions: PARTITIONS, replicas: 1 });
  await admin.close();
});

afterAll(async () => {
  for (const close of closers.reverse()) await close().catch(() => undefined);
  await tb?.destroy();
});

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('two consumer-protocol consumers split the partitions, read each record once and commit at their epochs', async () => {
  const producer = new Producer({ clientId: 'p', bootstrapBrokers: [tb.bootstrap], serializers: stringSerializers });
  closers.push(() => producer.close());
  const seen = new Map<string, number>();
  const consumers: Consumer<string, string, string, string>[] = [];
  for (const name of ['one', 'two']) {
    const consumer = new Consumer({
      groupId: GROUP, clientId: name, bootstrapBrokers: [tb.bootstrap], deserializers: stringDeserializers,
      groupProtocol: 'consumer', groupRemoteAssignor: 'range', rebalanceTimeout: 60_000,
    });
    consumers.push(consumer);
    closers.push(() => new Promise<void>((resolve) => consumer.close(true, () => resolve())));
    const stream = await consumer.consume({ topics: [TOPIC], mode: 'committed', fallbackMode: 'earliest', autocommit: 100, maxWaitTime: 100 });
    stream.on('data', (message) => seen.set(message.value, (seen.get(message.value) ?? 0) + 1));
  }
  const coordinator = tb.broker.groupCoordinator;
  await until('a stable consumer group of two with disjoint assignments', () => {
    const d = coordinator.consumerGroupDescribe(GROUP);
    if (d.groupState !== 'Stable' || d.members.length !== 2) return false;
    const owned = d.members.flatMap((m) => m.assignment.topicPartitions.flatMap((tp) => tp.partitions));
    return owned.length === PARTITIONS && new Set(owned).size === PARTITIONS && d.members.every((m) => m.assignment.topicPartitions.length > 0);
  });
  const described = coordinator.consumerGroupDescribe(GROUP);
  expect(described.assignorName).toBe('range');
  // range: the member ids in order get partitions 0-1 and 2-3.
  const sorted = [...described.members].sort((a, b) => (a.memberId < b.memberId ? -1 : 1));
  expect(sorted.map((m) => m.assignment.topicPartitions[0]!.partitions)).toEqual([[0, 1], [2, 3]]);
  expect(described.members.every((m) => m.memberEpoch === described.groupEpoch)).toBe(true);

  await until('both clients on the new assignment', () => {
    const held = consumers.flatMap((c) => (c.assignments ?? []).flatMap((a) => a.partitions));
    return held.length === PARTITIONS && new Set(held).size === PARTITIONS;
  });
  await producer.send({ messages: Array.from({ length: 40 }, (_, i) => ({ topic: TOPIC, partition: i % PARTITIONS, value: `v${i}` })) });
  await until('40 records', () => seen.size === 40);
  expect([...seen.values()].every((n) => n === 1)).toBe(true);
  await until('commits of every partition at 10', () => {
    const committed = coordinator.committedOffsets(GROUP);
    return committed.length === PARTITIONS && committed.every((c) => c.offset === 10n);
  });

  // Operator views.
  expect(coordinator.listGroups().find((g) => g.groupId === GROUP)).toMatchObject({ groupType: 'consumer', protocolType: 'consumer', state: 'Stable' });
  const dashboard = await groupViewOf(coordinator).groups();
  expect(dashboard.find((g) => g.groupId === GROUP)).toMatchObject({ groupType: 'consumer', state: 'Stable' });
  expect(dashboard.find((g) => g.groupId === GROUP)!.members).toHaveLength(2);
  const cluster = await KafkaCluster.connect(tb.bootstrap, 'test-cli');
  try {
    const d = await describeGroupWithLag(cluster, GROUP);
    expect(d.protocolType).toBe('consumer');
    expect(d.consumer!.groupEpoch).toBe(described.groupEpoch);
    expect(d.consumer!.members.map((m) => m.assignment).sort()).toEqual([`${TOPIC}:0,1`, `${TOPIC}:2,3`]);
    expect(d.lag.map((r) => r.lag)).toEqual([0n, 0n, 0n, 0n]);
    expect(new Set(d.lag.map((r) => r.memberId)).size).toBe(2);
  } finally {
    await cluster.close();
  }
}, 40_000);
