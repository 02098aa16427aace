// Classic static members (group.instance.id) with the Java client across a Highwater restart
// (issue 12): two members of a classic group (group.protocol=classic) hold their partitions, the
// broker restarts, and they carry on in the same generation with the same member ids and
// partitions: no partition is revoked or assigned again, and records produced after the restart
// reach them. The member is a single-file Java program (run by `java` from its source, on the
// classpath scripts/install-compat-clients.sh builds); it prints one JSON line per event.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { Kafka, logLevel } from 'kafkajs';
import { startBroker, type TestBroker } from '../../helpers/broker.ts';

const CLASSPATH_FILE = 'test/compat/java/target/classpath.txt';
const PARTITIONS = 6;

const MEMBER_SOURCE = String.raw`
import java.time.Duration;
import java.util.*;
import org.apache.kafka.clients.CommonClientConfigs;
import org.apache.kafka.clients.consumer.*;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;

public class StaticMember {
  static void emit(String ev, Object... kv) {
    StringBuilder b = new StringBuilder("{\"ev\":\"").append(ev).append('"');
    for (int i = 0; i < kv.length; i += 2) {
      b.append(",\"").append(kv[i]).append("\":");
      Object v = kv[i + 1];
      // Strings are quoted; a partition list (already JSON) is not.
      if (v instanceof String && !((String) v).startsWith("[")) b.append('"').append(v).append('"'); else b.append(v);
    }
    System.out.println(b.append('}'));
    System.out.flush();
  }

  static String partitions(Collection<TopicPartition> ps) {
    StringJoiner j = new StringJoiner(",", "[", "]");
    ps.stream().map(TopicPartition::partition).sorted().forEach(p -> j.add(String.valueOf(p)));
    return j.toString();
  }

  public static void main(String[] args) {
    Properties props = new Properties();
    props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, args[0]);
    props.put(ConsumerConfig.GROUP_ID_CONFIG, args[2]);
    props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, args[3]);
    props.put(ConsumerConfig.GROUP_PROTOCOL_CONFIG, "classic");
    // Long enough that a member slowed by a loaded machine still heartbeats within it after the restart.
    props.put(ConsumerConfig.SESSION_TIMEOUT_MS_CONFIG, "30000");
    props.put(ConsumerConfig.HEARTBEAT_INTERVAL_MS_CONFIG, "500");
    props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
    props.put(ConsumerConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, "500");
    // While its only broker is down, the client's default (rebootstrap) empties its metadata cache;
    // a leader whose poll sees that empty topic list asks to rejoin ("cached metadata has changed
    // ... to {static-java=[]}") and the group rebalances against any broker, Kafka too. Keeping the
    // cache leaves only the broker's part to test: members restored with their generation.
    props.put(CommonClientConfigs.METADATA_RECOVERY_STRATEGY_CONFIG, "none");
    props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
    try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
      consumer.subscribe(List.of(args[1]), new ConsumerRebalanceListener() {
        public void onPartitionsRevoked(Collection<TopicPartition> ps) { emit("revoked", "partitions", partitions(ps)); }
        public void onPartitionsAssigned(Collection<TopicPartition> ps) { emit("assigned", "partitions", partitions(ps)); }
        public void onPartitionsLost(Collection<TopicPartition> ps) { emit("lost", "partitions", partitions(ps)); }
      });
      long records = 0;
      long lastStatus = 0;
      while (true) {
        for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
          records++;
          emit("record", "value", r.value());
        }
        if (System.currentTimeMillis() - lastStatus > 300) {
          lastStatus = System.currentTimeMillis();
          ConsumerGroupMetadata g = consumer.groupMetadata();
          emit("status", "generation", g.generationId(), "memberId", g.memberId(), "assignment", partitions(consumer.assignment()), "records", records);
        }
      }
    }
  }
}
`;

interface Status { generation: number; memberId: string; assignment: number[] }

class JavaMember {
  readonly child: ChildProcess;
  readonly events: { ev: string; partitions?: number[]; value?: string }[] = [];
  status: Status | null = null;
  stderr = '';

  constructor(source: string, bootstrap: string, topic: string, group: string, instance: string) {
    const classpath = readFileSync(CLASSPATH_FILE, 'utf8').trim();
    this.child = spawn('java', ['-Xmx128m', '-Dorg.slf4j.simpleLogger.defaultLogLevel=warn', '-cp', classpath, source, bootstrap, topic, group, instance], { stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    this.child.stdout!.on('data', (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('{')) continue;
        const e = JSON.parse(line) as { ev: string; partitions?: number[]; value?: string } & Partial<Status>;
        if (e.ev === 'status') this.status = { generation: e.generation!, memberId: e.memberId!, assignment: e.assignment! };
        else this.events.push(e);
      }
    });
    this.child.stderr!.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-4000); });
  }

  get rebalanceEvents(): string[] {
    return this.events.filter((e) => e.ev !== 'record').map((e) => `${e.ev}:${JSON.stringify(e.partitions)}`);
  }

  get values(): string[] {
    return this.events.filter((e) => e.ev === 'record').map((e) => e.value!);
  }
}

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function until(what: string, check: () => boolean, timeoutMs = 60_000, members: JavaMember[] = []): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) {
      const said = members.map((m) => `${JSON.stringify(m.status)} ${m.rebalanceEvents.join(' ')}\n${m.stderr}`).join('\n---\n');
      throw new Error(`timed out waiting for ${what}\n${said}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

test.skipIf(!existsSync(CLASSPATH_FILE))('Java static members keep their generation, member ids and partitions across a broker restart', async () => {
  let tb: TestBroker = await startBroker({ groupMinSessionTimeoutMs: 1000, groupInitialRebalanceDelayMs: 1000 });
  cleanups.push(() => tb.destroy());
  const dir = mkdtempSync(path.join(tmpdir(), 'highwater-static-java-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const source = path.join(dir, 'StaticMember.java');
  writeFileSync(source, MEMBER_SOURCE);
  const topic = 'static-java';
  const group = 'static-java-group';
  const kafka = new Kafka({ brokers: [tb.bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 20, initialRetryTime: 100, maxRetryTime: 1000 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: PARTITIONS }] });
  await admin.disconnect();

  const members = ['instance-1', 'instance-2'].map((instance) => new JavaMember(source, tb.bootstrap, topic, group, instance));
  cleanups.push(() => { for (const m of members) m.child.kill('SIGKILL'); });
  const split = () => {
    const held = members.flatMap((m) => m.status?.assignment ?? []);
    return held.length === PARTITIONS && new Set(held).size === PARTITIONS && members.every((m) => m.status!.assignment.length > 0);
  };
  await until('both members to share the partitions', () => split() && members[0]!.status!.generation === members[1]!.status!.generation, 60_000, members);
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic, messages: Array.from({ length: 30 }, (_, i) => ({ value: `before-${i}`, partition: i % PARTITIONS })) });
  await until('30 records before the restart', () => members.flatMap((m) => m.values).length === 30, 60_000, members);
  const before = members.map((m) => ({ ...m.status! }));
  const eventsBefore = members.map((m) => m.rebalanceEvents);
  const groupBefore = tb.broker.groupCoordinator.describeGroup(group);
  expect(groupBefore.generationId).toBe(before[0]!.generation);

  await producer.disconnect();
  tb = await tb.restart();

  const producerAfter = kafka.producer();
  await producerAfter.connect();
  await producerAfter.send({ topic, messages: Array.from({ length: 30 }, (_, i) => ({ value: `after-${i}`, partition: i % PARTITIONS })) });
  await producerAfter.disconnect();
  await until('30 more records after the restart', () => members.flatMap((m) => m.values).length === 60, 90_000, members);
  // A few heartbeats more, so a rebalance the restart caused would have shown.
  await new Promise((r) => setTimeout(r, 2000));
  for (const [i, m] of members.entries()) {
    expect(m.status, m.stderr).toEqual(before[i]);
    expect(m.rebalanceEvents).toEqual(eventsBefore[i]);
  }
  const values = members.flatMap((m) => m.values);
  expect(new Set(values).size).toBe(60);
  const groupAfter = tb.broker.groupCoordinator.describeGroup(group);
  expect([groupAfter.state, groupAfter.generationId]).toEqual(['Stable', groupBefore.generationId]);
  expect(groupAfter.members.map((m) => m.memberId).sort()).toEqual(groupBefore.members.map((m) => m.memberId).sort());
}, 180_000);
