// Consumer groups with @platformatic/kafka (newest API versions: JoinGroup v9, OffsetCommit and
// OffsetFetch v8-9): two consumers split a 6-partition topic, read every record once and commit.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Consumer, Producer, stringDeserializers, stringSerializers, type MessagesStream } from '@platformatic/kafka';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import type { BrokerConfig } from '../../src/config.ts';
import { kafkajs } from '../helpers/kafkajs.ts';

const TOPIC = 'platformatic-events';
const GROUP = 'platformatic-group';
const PARTITIONS = 6;

let tb: TestBroker;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  tb = await startBroker({ groupMinSessionTimeoutMs: 1000, groupInitialRebalanceDelayMs: 100 } as Partial<BrokerConfig>);
  const admin = kafkajs(tb.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
  await admin.disconnect();
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

test('two @platformatic/kafka consumers share the partitions, read each record once and commit', async () => {
  const producer = new Producer({ clientId: 'p', bootstrapBrokers: [tb.bootstrap], serializers: stringSerializers });
  closers.push(() => producer.close());
  const seen = new Map<string, number>();
  const streams: MessagesStream<string, string, string, string>[] = [];
  const consumers: Consumer<string, string, string, string>[] = [];
  for (const name of ['one', 'two']) {
    const consumer = new Consumer({
      groupId: GROUP, clientId: name, bootstrapBrokers: [tb.bootstrap], deserializers: stringDeserializers,
      sessionTimeout: 3000, heartbeatInterval: 200, rebalanceTimeout: 5000,
    });
    consumers.push(consumer);
    closers.push(() => new Promise<void>((resolve) => consumer.close(true, () => resolve())));
    const stream = await consumer.consume({ topics: [TOPIC], mode: 'committed', fallbackMode: 'earliest', autocommit: 100, maxWaitTime: 100 });
    stream.on('data', (message) => seen.set(message.value, (seen.get(message.value) ?? 0) + 1));
    streams.push(stream);
  }
  await until('a stable group of two', () => {
    const d = tb.broker.groupCoordinator.describeGroup(GROUP);
    return d.state === 'Stable' && d.members.length === 2 && d.members.every((m) => m.memberAssignment.length > 0);
  });
  // The coordinator being stable is not enough: each client must have taken its new assignment,
  // and a fetch it sent under the first generation (which held all six partitions) may still be
  // answered. Wait until both clients hold disjoint assignments, then longer than one fetch wait.
  await until('both clients on the new assignment', () => {
    const held = consumers.flatMap((c) => (c.assignments ?? []).flatMap((a) => a.partitions));
    return held.length === PARTITIONS && new Set(held).size === PARTITIONS;
  });
  await new Promise((r) => setTimeout(r, 500));
  const messages = Array.from({ length: 60 }, (_, i) => ({ topic: TOPIC, partition: i % PARTITIONS, value: `v${i}` }));
  await producer.send({ messages });
  await until('60 records', () => seen.size === 60);
  expect([...seen.values()].every((n) => n === 1)).toBe(true);
  await until('commits of every partition at 10', () => {
    const committed = tb.broker.groupCoordinator.committedOffsets(GROUP);
    return committed.length === PARTITIONS && committed.every((c) => c.offset === 10n);
  });
}, 40_000);
