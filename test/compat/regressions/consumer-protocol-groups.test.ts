// KIP-848 (issue 16): consumer groups under the consumer protocol, with librdkafka (confluent-kafka,
// group.protocol=consumer) and the Java client 4.x, against Highwater and, when its distribution is
// fetched (KAFKA_DIST_DIR), Apache Kafka 4.4. Three members join one at a time under produce load,
// one leaves, the broker restarts, one is killed without leaving; no acknowledged record is lost,
// none is committed twice, no partition is owned by two members at once, and on Highwater the
// group keeps its epoch across the restart (the members carry on, no rebalance).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type TestBroker } from '../../helpers/broker.ts';
import {
  checkRun, freePort, HIGHWATER_GROUP_SETTINGS, kafkaAvailable, kafkaStart, kafkaStop, LoadProducer, Member, memberCommand, memberInstalled, type MemberKind,
  PARTITIONS, settled, until,
} from './consumer-protocol.ts';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

interface Target {
  bootstrap: string;
  restart(): Promise<void>;
  /** Highwater only: the group epoch, to show the restart did not rebalance. */
  groupEpoch?: (group: string) => number;
}

async function highwater(): Promise<Target> {
  let tb: TestBroker = await startBroker(HIGHWATER_GROUP_SETTINGS);
  cleanups.push(() => tb.destroy());
  return {
    bootstrap: tb.bootstrap,
    async restart() { tb = await tb.restart(); },
    groupEpoch: (group) => tb.broker.groupCoordinator.consumerGroupDescribe(group).groupEpoch,
  };
}

async function kafka(): Promise<Target> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kip848-kafka-'));
  const port = await freePort();
  const controllerPort = await freePort();
  cleanups.push(async () => { await kafkaStop(dataDir); rmSync(dataDir, { recursive: true, force: true }); });
  await kafkaStart(port, controllerPort, dataDir);
  return {
    bootstrap: `127.0.0.1:${port}`,
    async restart() { await kafkaStop(dataDir); await kafkaStart(port, controllerPort, dataDir); },
  };
}

async function scenario(kind: MemberKind, target: Target): Promise<void> {
  const topic = `kip848-${kind}`;
  const group = `kip848-${kind}-group`;
  const admin = new Kafka({ brokers: [target.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }], waitForLeaders: true });
  await admin.disconnect();

  const producer = new LoadProducer(target.bootstrap);
  await producer.start(topic);
  cleanups.push(() => producer.stop());
  const members: Member[] = [];
  const join = async (name: string) => {
    const m = new Member(name, memberCommand(kind, target.bootstrap, topic, group, name));
    cleanups.push(async () => { if (!m.exited) m.kill(); });
    members.push(m);
    await until(`${name} to get partitions`, () => settled(members.filter((x) => !x.exited)));
    return m;
  };
  const m1 = await join('m1');
  await join('m2');
  const m3 = await join('m3');
  await until('records read by all three', () => members.every((m) => m.records.length > 0));

  await members[1]!.leave();
  await until('m1 and m3 to share every partition', () => settled([m1, m3]));

  const epochBefore = target.groupEpoch?.(group);
  await target.restart();
  const readBefore = m1.records.length + m3.records.length;
  await until('reads after the restart', () => m1.records.length + m3.records.length > readBefore + 20);
  if (epochBefore !== undefined) expect(target.groupEpoch!(group)).toBe(epochBefore);
  expect(settled([m1, m3])).toBe(true);

  m3.kill();
  await until('m1 to own every partition after m3 was fenced', () => settled([m1]), 120_000);
  await producer.stop();
  const missing = () => {
    const read = new Set(members.flatMap((m) => [...m.records, ...(m.exited ? m.inflight : [])].map(([p, o]) => `${p}:${o}`)));
    return [...producer.acked].filter((k) => !read.has(k));
  };
  await until('every acknowledged record read and committed', () => missing().length === 0, 60_000).catch((err: Error) => {
    const last = members.map((m) => `${m.name}: owned [${[...m.owned]}], events ${m.events.slice(-8).join(' ')}; stderr ${m.stderr.slice(-1500)}`);
    throw new Error(`${err.message}: ${missing().length} missing, e.g. ${missing().slice(0, 10).join(' ')}\n${last.join('\n')}`);
  });
  await m1.leave();
  const offsetsAdmin = new Kafka({ brokers: [target.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await offsetsAdmin.connect();
  const [fetched] = await offsetsAdmin.fetchOffsets({ groupId: group, topics: [topic] });
  await offsetsAdmin.disconnect();
  const committedOffsets = new Map(fetched!.partitions.map((p) => [p.partition, Number(p.offset)]));
  const { committed, acked } = checkRun(members, producer.acked, committedOffsets);
  expect(acked).toBeGreaterThan(100);
  expect(committed).toBeGreaterThanOrEqual(acked);
}

for (const kind of ['librdkafka', 'java'] as const) {
  test.skipIf(!memberInstalled(kind))(`${kind} members under the consumer protocol on Highwater: join, leave, restart, kill`, async () => {
    await scenario(kind, await highwater());
  }, 300_000);

  test.skipIf(!memberInstalled(kind) || !kafkaAvailable())(`${kind} members under the consumer protocol on Apache Kafka: the same scenario`, async () => {
    await scenario(kind, await kafka());
  }, 400_000);
}
