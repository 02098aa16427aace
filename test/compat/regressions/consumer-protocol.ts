// The KIP-848 group scenario shared by the consumer-protocol regressions: members (separate
// processes: librdkafka through confluent-kafka, or the Java client) join one at a time under
// produce load, one leaves, the broker restarts, one is killed without leaving, and the last one
// reads to the end. Each member logs its assignment intervals and the records whose commit
// succeeded (test/compat/python/consumer_protocol_member.py, ConsumerProtocolMember.java); the
// checks: no record lost, none committed twice, no partition owned by two members at once.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { expect } from 'vitest';
import { SETTINGS, type BrokerConfig } from '../../../src/config.ts';
import { PYTHON, run } from './python.ts';

export const PARTITIONS = 6;

export type MemberKind = 'librdkafka' | 'java';

export function memberCommand(kind: MemberKind, bootstrap: string, topic: string, group: string, name: string, protocol: 'consumer' | 'classic' = 'consumer'): [string, string[]] {
  if (protocol === 'classic') return ['bash', ['test/compat/java/driver-member.sh', bootstrap, topic, group, name, 'classic']];
  if (kind === 'librdkafka') return [PYTHON, ['test/compat/python/consumer_protocol_member.py', '--bootstrap', bootstrap, '--topic', topic, '--group', group, '--name', name]];
  return ['bash', ['test/compat/java/driver-member.sh', bootstrap, topic, group, name]];
}

export function memberInstalled(kind: MemberKind): boolean {
  return kind === 'librdkafka' ? existsSync(PYTHON) : existsSync('test/compat/java/target/classpath.txt');
}

interface Interval { partition: number; from: number; to: number | null }

/** One member process and what it has said so far. */
export class Member {
  readonly name: string;
  readonly child: ChildProcess;
  readonly owned = new Set<number>();
  readonly intervals: Interval[] = [];
  readonly records: [number, number][] = [];
  /** The batch logged as being committed and not yet confirmed (the last commit of a killed member, or of one woken up by SIGTERM mid-commit, may have landed). */
  inflight: [number, number][] = [];
  readonly events: string[] = [];
  closed = false;
  exited = false;
  stderr = '';

  constructor(name: string, command: [string, string[]]) {
    this.name = name;
    this.child = spawn(command[0], command[1], { stdio: ['ignore', 'pipe', 'pipe'] });
    let pending = '';
    this.child.stdout!.on('data', (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) if (line.startsWith('{')) this.#event(JSON.parse(line) as { ev: string; t: number; partitions?: number[]; records?: [number, number][] });
    });
    this.child.stderr!.on('data', (d: Buffer) => { this.stderr = (this.stderr + d.toString()).slice(-8000); });
    this.child.on('exit', () => { this.exited = true; });
  }

  #event(e: { ev: string; t: number; partitions?: number[]; records?: [number, number][] }): void {
    this.events.push(e.ev);
    if (e.ev === 'assigned') {
      for (const p of e.partitions!) {
        if (this.owned.has(p)) continue;
        this.owned.add(p);
        this.intervals.push({ partition: p, from: e.t, to: null });
      }
    } else if (e.ev === 'revoked' || e.ev === 'lost') {
      for (const p of e.partitions!) this.#release(p, e.t);
    } else if (e.ev === 'processing') {
      this.inflight = e.records!;
    } else if (e.ev === 'commit-failed') {
      // Not committed: the member seeks back and reads these again (or the next owner does).
      this.inflight = [];
    } else if (e.ev === 'records') {
      this.records.push(...e.records!);
      this.inflight = [];
    } else if (e.ev === 'closed') {
      this.closed = true;
      for (const p of [...this.owned]) this.#release(p, e.t);
    }
  }

  #release(p: number, t: number): void {
    this.owned.delete(p);
    const open = this.intervals.find((i) => i.partition === p && i.to === null);
    if (open) open.to = t;
  }

  /** A killed member owned its partitions up to the moment it died. */
  kill(): void {
    const t = Date.now();
    this.child.kill('SIGKILL');
    for (const p of [...this.owned]) this.#release(p, t);
  }

  async leave(): Promise<void> {
    this.child.kill('SIGTERM');
    await until(`${this.name} to close`, () => this.exited, 60_000);
    expect(this.closed, `${this.name} did not close cleanly: ${this.stderr}`).toBe(true);
  }
}

export async function until(what: string, check: () => boolean, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Every partition owned by exactly one of `members`, each of them owning at least one. */
export function settled(members: Member[]): boolean {
  const owners = new Map<number, number>();
  for (const m of members) for (const p of m.owned) owners.set(p, (owners.get(p) ?? 0) + 1);
  return owners.size === PARTITIONS && [...owners.values()].every((n) => n === 1) && members.every((m) => m.owned.size > 0);
}

/** Produces to every partition, one record at a time with acks=-1, remembering what was acknowledged. */
export class LoadProducer {
  readonly acked = new Set<string>();
  #producer: Producer;
  #running = true;
  #loop: Promise<void> | undefined;
  errors = 0;

  constructor(bootstrap: string) {
    this.#producer = new Kafka({ clientId: 'kip848-load', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 30, initialRetryTime: 200 } })
      .producer({ allowAutoTopicCreation: false });
  }

  async start(topic: string): Promise<void> {
    await this.#producer.connect();
    let seq = 0;
    this.#loop = (async () => {
      while (this.#running) {
        const partition = seq % PARTITIONS;
        try {
          const [r] = await this.#producer.send({ topic, acks: -1, messages: [{ partition, value: `v-${seq}` }] });
          this.acked.add(`${r!.partition}:${r!.baseOffset}`);
        } catch {
          // During the broker restart: an unacknowledged record may or may not be in the log; only
          // acknowledged ones must be read.
          this.errors++;
        }
        seq++;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
  }

  async stop(): Promise<void> {
    this.#running = false;
    await this.#loop;
    await this.#producer.disconnect();
  }
}

/**
 * The checks on everything the members logged. `committedOffsets` is the group's offset per
 * partition at the end: a killed member's unconfirmed last batch counts as its own below it.
 */
export function checkRun(members: Member[], acked: Set<string>, committedOffsets: Map<number, number>): { committed: number; acked: number } {
  const seen = new Map<string, string>();
  for (const m of members) {
    for (const [p, o] of m.records) {
      const key = `${p}:${o}`;
      expect(seen.has(key), `record ${key} committed by ${seen.get(key)} and again by ${m.name}`).toBe(false);
      seen.set(key, m.name);
    }
  }
  // A member's last batch whose commit it never confirmed has an unknown outcome: it was killed
  // while committing, or SIGTERM woke its commitSync up (the Java member breaks out of the loop on
  // that WakeupException, after the request may have reached the broker). When the commit landed,
  // the next owner starts past the batch and nobody confirms it; when it did not, the next owner
  // reads and confirms it. So such a record counts as committed by the exited member when the
  // group's final offset is past it and no other member confirmed it.
  for (const m of members) {
    if (!m.exited) continue;
    for (const [p, o] of m.inflight) {
      const key = `${p}:${o}`;
      if (!seen.has(key) && o < (committedOffsets.get(p) ?? -1)) seen.set(key, m.name);
    }
  }
  for (const key of acked) expect(seen.has(key), `acknowledged record ${key} was never read and committed`).toBe(true);
  const intervals = members.flatMap((m) => m.intervals.map((i) => ({ ...i, member: m.name, to: i.to ?? Number.MAX_SAFE_INTEGER })));
  for (const a of intervals) {
    for (const b of intervals) {
      if (a === b || a.member === b.member || a.partition !== b.partition) continue;
      const overlap = a.from < b.to && b.from < a.to;
      expect(overlap, `partition ${a.partition} owned by ${a.member} [${a.from}, ${a.to}] and ${b.member} [${b.from}, ${b.to}] at once`).toBe(false);
    }
  }
  return { committed: seen.size, acked: acked.size };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
    s.on('error', reject);
  });
}

/** Apache Kafka 4.4 from bench/kafka, when its distribution is fetched (bench/kafka/fetch.sh, or KAFKA_DIST_DIR). */
export function kafkaAvailable(): boolean {
  return existsSync(`${process.env.KAFKA_DIST_DIR ?? 'bench/kafka/.dist'}/libs`);
}

/**
 * The consumer-protocol timings these scenarios give both brokers: a 6 s session, so that a killed
 * member is fenced in seconds (Kafka's default session and its lower bound are both 45 s), and a
 * 500 ms heartbeat.
 */
export const HIGHWATER_GROUP_SETTINGS: Partial<BrokerConfig> = {
  groupConsumerSessionTimeoutMs: 6000, groupConsumerMinSessionTimeoutMs: 1000,
  groupConsumerHeartbeatIntervalMs: 500, groupConsumerMinHeartbeatIntervalMs: 100,
};
/** The same as Kafka server properties: each of these settings' flags is its Kafka name with dashes. */
const KAFKA_GROUP_PROPERTIES = Object.entries(HIGHWATER_GROUP_SETTINGS)
  .map(([key, value]) => `${SETTINGS.find((s) => s.key === key)!.flag.replaceAll('-', '.')}=${String(value)}\n`).join('');

/** Kafka from bench/kafka/start.sh with the group timings above (a restart on the same data dir keeps them). */
export async function kafkaStart(port: number, controllerPort: number, dataDir: string): Promise<void> {
  const extra = path.join(dataDir, 'group-timings.properties');
  writeFileSync(extra, KAFKA_GROUP_PROPERTIES);
  const r = await run('bash', ['bench/kafka/start.sh', '--port', String(port), '--controller-port', String(controllerPort), '--data-dir', dataDir, '--heap', '512m', '--partitions', '1', '--extra-properties', extra], 120_000);
  if (r.code !== 0) throw new Error(`Kafka did not start: ${r.stderr}`);
}

export async function kafkaStop(dataDir: string): Promise<void> {
  await run('bash', ['bench/kafka/stop.sh', '--data-dir', dataDir], 60_000);
}
