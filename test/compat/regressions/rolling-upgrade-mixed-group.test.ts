// Issue 16: a rolling upgrade of a consumer group from the classic protocol to the consumer group
// protocol and back (group.consumer.migration.policy, Kafka's default bidirectional), with the Java
// client 4.x, against Highwater and, when its distribution is fetched (KAFKA_DIST_DIR), Apache
// Kafka 4.4. Three members on group.protocol=classic (CooperativeStickyAssignor) under produce
// load are restarted one by one with group.protocol=consumer (the first one upgrades the group;
// the classic ones stay in it as classic members), then one by one back to classic (the last
// consumer-protocol member leaving downgrades it). No acknowledged record is lost, none is
// committed twice, no partition is owned by two members at once.
import { appendFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type TestBroker } from '../../helpers/broker.ts';
import {
  checkRun, freePort, HIGHWATER_GROUP_SETTINGS, kafkaAvailable, kafkaStart, kafkaStop, LoadProducer, Member, memberCommand, memberInstalled, settled, until,
} from './consumer-protocol.ts';

const cleanups: (() => Promise<unknown>)[] = [];
/** ROLLING_TRACE=<file>: each step with its time, to see where a slow run spends it. */
const trace = (what: string) => { if (process.env.ROLLING_TRACE) appendFileSync(process.env.ROLLING_TRACE, `${new Date().toISOString()} ${what}\n`); };
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

interface Target {
  bootstrap: string;
  groupType?: (group: string) => string | undefined;
}

async function highwater(): Promise<Target> {
  const tb: TestBroker = await startBroker(HIGHWATER_GROUP_SETTINGS);
  cleanups.push(() => tb.destroy());
  return { bootstrap: tb.bootstrap, groupType: (group) => tb.broker.groupCoordinator.listGroups().find((g) => g.groupId === group)?.groupType };
}

async function kafka(): Promise<Target> {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'kip848-mixed-kafka-'));
  const port = await freePort();
  const controllerPort = await freePort();
  cleanups.push(async () => { await kafkaStop(dataDir); rmSync(dataDir, { recursive: true, force: true }); });
  await kafkaStart(port, controllerPort, dataDir);
  return { bootstrap: `127.0.0.1:${port}` };
}

async function scenario(target: Target): Promise<void> {
  const topic = 'rolling-upgrade';
  const group = 'rolling-upgrade-group';
  const admin = new Kafka({ brokers: [target.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 6 }], waitForLeaders: true });
  await admin.disconnect();

  const producer = new LoadProducer(target.bootstrap);
  await producer.start(topic);
  cleanups.push(() => producer.stop());
  const all: Member[] = [];
  const live: Member[] = [];
  const start = (name: string, protocol: 'classic' | 'consumer') => {
    const m = new Member(name, memberCommand('java', target.bootstrap, topic, group, name, protocol));
    cleanups.push(async () => { if (!m.exited) m.kill(); });
    all.push(m);
    live.push(m);
    return m;
  };
  for (const name of ['a', 'b', 'c']) {
    start(`${name}-classic`, 'classic');
    await until(`${name}-classic to get partitions`, () => settled(live)).catch((err: Error) => {
      throw new Error(`${err.message}\n${live.map((m) => `${m.name}: owned [${[...m.owned]}], events ${m.events.slice(-8).join(' ')}; stderr ${m.stderr.slice(-1500)}`).join('\n')}`);
    });
  }
  expect(target.groupType?.(group) ?? 'classic').toBe('classic');
  trace('three classic members settled');

  // Restart each member with the other protocol, one at a time, waiting for the group to settle.
  const roll = async (protocol: 'classic' | 'consumer') => {
    for (const name of ['a', 'b', 'c']) {
      const old = live.find((m) => m.name.startsWith(`${name}-`))!;
      trace(`${old.name} leaving`);
      await old.leave();
      trace(`${old.name} left`);
      live.splice(live.indexOf(old), 1);
      start(`${name}-${protocol}-${all.length}`, protocol);
      trace(`${name} started on ${protocol}`);
      await until(`${name} on the ${protocol} protocol to get partitions`, () => settled(live)).catch((err: Error) => {
        throw new Error(`${err.message}\n${live.map((m) => `${m.name}: owned [${[...m.owned]}], events ${m.events.slice(-8).join(' ')}; stderr ${m.stderr.slice(-1500)}`).join('\n')}`);
      });
    }
  };
  await roll('consumer');
  expect(target.groupType?.(group) ?? 'consumer').toBe('consumer');
  const readBefore = live.reduce((n, m) => n + m.records.length, 0);
  await until('reads on the consumer protocol', () => live.reduce((n, m) => n + m.records.length, 0) > readBefore + 20);
  await roll('classic');
  expect(target.groupType?.(group) ?? 'classic').toBe('classic');

  trace('rolled back to classic');
  await producer.stop();
  const missing = () => {
    const read = new Set(all.flatMap((m) => [...m.records, ...(m.exited ? m.inflight : [])].map(([p, o]) => `${p}:${o}`)));
    return [...producer.acked].filter((k) => !read.has(k));
  };
  await until('every acknowledged record read and committed', () => missing().length === 0, 60_000);
  for (const m of [...live]) await m.leave();
  const offsetsAdmin = new Kafka({ brokers: [target.bootstrap], logLevel: logLevel.NOTHING }).admin();
  await offsetsAdmin.connect();
  const [fetched] = await offsetsAdmin.fetchOffsets({ groupId: group, topics: [topic] });
  await offsetsAdmin.disconnect();
  const { committed, acked } = checkRun(all, producer.acked, new Map(fetched!.partitions.map((p) => [p.partition, Number(p.offset)])));
  expect(acked).toBeGreaterThan(100);
  expect(committed).toBeGreaterThanOrEqual(acked);
}

test.skipIf(!memberInstalled('java'))('Java members rolled classic -> consumer -> classic on Highwater: upgrade and downgrade online, nothing lost or read twice', async () => {
  await scenario(await highwater());
}, 400_000);

test.skipIf(!memberInstalled('java') || !kafkaAvailable())('Java members rolled classic -> consumer -> classic on Apache Kafka: the same scenario', async () => {
  await scenario(await kafka());
}, 400_000);
