// Consumer groups with KafkaJS over real sockets: two, then three consumers on a 6-partition topic,
// a member leaving, a silent member evicted; assignments disjoint and covering after every
// rebalance, and every record consumed exactly once throughout.
import { afterAll, beforeAll, expect, test } from 'vitest';
import type { Consumer, Producer } from 'kafkajs';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import type { BrokerConfig } from '../../src/config.ts';
import { KafkaConnection } from '../../src/client/kafka-connection.ts';
import { ApiKey } from '../../src/protocol/generated/index.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { Reader, Writer } from '../../src/protocol/primitives.ts';
import { decodeConsumerProtocolAssignment } from '../../src/protocol/generated/consumer-protocol-assignment.ts';
import { encodeConsumerProtocolSubscription } from '../../src/protocol/generated/consumer-protocol-subscription.ts';
import type { JoinGroupResponse } from '../../src/protocol/generated/join-group-response.ts';
import type { SyncGroupResponse } from '../../src/protocol/generated/sync-group-response.ts';

const TOPIC = 'events';
const GROUP = 'workers';
const PARTITIONS = 6;

let tb: TestBroker;
let producer: Producer;
const consumers: Consumer[] = [];
const seen = new Map<string, number>();
let produced = 0;

beforeAll(async () => {
  tb = await startBroker({ groupMinSessionTimeoutMs: 1000, groupInitialRebalanceDelayMs: 100 } as Partial<BrokerConfig>);
  const kafka = kafkajs(tb.bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
  await admin.disconnect();
  producer = kafka.producer();
  await producer.connect();
});

afterAll(async () => {
  await Promise.allSettled(consumers.map((c) => c.disconnect()));
  await producer?.disconnect();
  await tb?.destroy();
});

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startConsumer(): Promise<Consumer> {
  const consumer = kafkajs(tb.bootstrap).consumer({ groupId: GROUP, sessionTimeout: 6000, heartbeatInterval: 200, rebalanceTimeout: 10_000, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const key = message.value!.toString();
      seen.set(key, (seen.get(key) ?? 0) + 1);
    },
  });
  consumers.push(consumer);
  return consumer;
}

/** The partitions the broker handed each member, decoded from the relayed assignment bytes. */
function brokerAssignments(): Map<string, number[]> {
  const d = tb.broker.groupCoordinator.describeGroup(GROUP);
  const out = new Map<string, number[]>();
  for (const m of d.members) {
    const r = new Reader(m.memberAssignment);
    const version = r.int16();
    const a = decodeConsumerProtocolAssignment(r, version);
    out.set(m.memberId, a.assignedPartitions.flatMap((t) => (t.topic === TOPIC ? t.partitions : [])));
  }
  return out;
}

async function waitForStableGroup(members: number): Promise<Map<string, number[]>> {
  await until(`a stable group of ${members} covering every partition`, () => {
    const d = tb.broker.groupCoordinator.describeGroup(GROUP);
    if (d.state !== 'Stable' || d.members.length !== members) return false;
    const all = [...brokerAssignments().values()].flat();
    return all.length === PARTITIONS;
  });
  const assignments = brokerAssignments();
  const all = [...assignments.values()].flat().sort((a, b) => a - b);
  // Disjoint (no partition twice) and covering (every partition once).
  expect(all).toEqual([0, 1, 2, 3, 4, 5]);
  for (const partitions of assignments.values()) expect(partitions.length).toBeGreaterThan(0);
  return assignments;
}

async function produceRound(round: string): Promise<void> {
  const messages = Array.from({ length: PARTITIONS * 10 }, (_, i) => ({ value: `${round}-${i}`, partition: i % PARTITIONS }));
  await producer.send({ topic: TOPIC, messages });
  produced += messages.length;
  await until(`${produced} records consumed`, () => seen.size >= produced);
}

test('two, then three consumers; one leaves; a silent member is evicted; every record once', async () => {
  const a = await startConsumer();
  await startConsumer();
  await waitForStableGroup(2);
  await produceRound('two');

  await startConsumer();
  await waitForStableGroup(3);
  await produceRound('three');

  await a.disconnect();
  consumers.splice(consumers.indexOf(a), 1);
  await waitForStableGroup(2);
  await produceRound('after-leave');

  // A member that joins, takes its partitions and then goes silent (socket closed, no LeaveGroup).
  const silent = await KafkaConnection.connect('127.0.0.1', tb.port, { clientId: 'silent' });
  const w = new Writer(64);
  w.int16(0);
  encodeConsumerProtocolSubscription(w, 0, { topics: [TOPIC], userData: null });
  const protocols = [{ name: 'RoundRobinAssigner', metadata: w.finish() }];
  const join = (memberId: string) => silent.request<JoinGroupResponse>(ApiKey.JoinGroup, 5, {
    groupId: GROUP, sessionTimeoutMs: 1000, rebalanceTimeoutMs: 10_000, memberId, groupInstanceId: null, protocolType: 'consumer', protocols,
  });
  let joined = await join('');
  if (joined.errorCode === ErrorCode.MEMBER_ID_REQUIRED) joined = await join(joined.memberId);
  expect(joined.errorCode).toBe(ErrorCode.NONE);
  const synced = await silent.request<SyncGroupResponse>(ApiKey.SyncGroup, 3, {
    groupId: GROUP, generationId: joined.generationId, memberId: joined.memberId, groupInstanceId: null, assignments: [],
  });
  expect(synced.errorCode).toBe(ErrorCode.NONE);
  const withSilent = await waitForStableGroup(3);
  expect(withSilent.get(joined.memberId)!.length).toBeGreaterThan(0);
  silent.close();
  // Evicted after its 1 s session; the two KafkaJS consumers take everything back.
  const evicted = await waitForStableGroup(2);
  expect(evicted.has(joined.memberId)).toBe(false);
  await produceRound('after-eviction');

  expect(seen.size).toBe(produced);
  const duplicates = [...seen].filter(([, n]) => n !== 1);
  expect(duplicates).toEqual([]);
}, 55_000);
