// `highwater consume <topic>`: reads records over the Kafka protocol, kcat style (-o, -f, -e), alone
// or as a consumer group. Works against Apache Kafka too.
import type { Command } from 'commander';
import { ApiKey } from '../protocol/generated/index.ts';
import { ErrorCode, errorName } from '../protocol/errors.ts';
import { decodeRecordBatch, type DecodedRecord } from '../protocol/records.ts';
import { RECORD_BATCH_HEADER_SIZE, readBatchSize } from '../protocol/record-batch.ts';
import type { FetchResponse } from '../protocol/generated/fetch-response.ts';
import { CliError, KafkaCluster, LATEST_TIMESTAMP, EARLIEST_TIMESTAMP, type TopicLayout } from '../client/kafka-cluster.ts';
import { GroupMember } from './consume-group.ts';

// ---- the output format ----

/**
 * kcat's -f: %t topic, %p partition, %o offset, %k key, %s value, %h headers (k=v, comma
 * separated), %T timestamp (ms), %K key length, %S value length, %% a percent; \n \t \r \\ escapes.
 * Bytes are written as they are, so binary values survive.
 */
export function compileFormat(format: string): (topic: string, partition: number, record: DecodedRecord) => Buffer {
  type Part = string | ((t: string, p: number, r: DecodedRecord) => Buffer | string);
  const parts: Part[] = [];
  let literal = '';
  const flush = () => {
    if (literal) parts.push(literal);
    literal = '';
  };
  for (let i = 0; i < format.length; i++) {
    const ch = format[i]!;
    const next = format[i + 1];
    if (ch === '\\' && next !== undefined) {
      literal += ({ n: '\n', t: '\t', r: '\r', '\\': '\\' } as Record<string, string>)[next] ?? `\\${next}`;
      i++;
    } else if (ch === '%' && next !== undefined) {
      i++;
      const token: Part | undefined = {
        t: (t: string) => t,
        p: (_t: string, p: number) => String(p),
        o: (_t: string, _p: number, r: DecodedRecord) => String(r.offset),
        k: (_t: string, _p: number, r: DecodedRecord) => r.key ?? '',
        s: (_t: string, _p: number, r: DecodedRecord) => r.value ?? '',
        T: (_t: string, _p: number, r: DecodedRecord) => String(r.timestamp),
        K: (_t: string, _p: number, r: DecodedRecord) => String(r.key?.length ?? -1),
        S: (_t: string, _p: number, r: DecodedRecord) => String(r.value?.length ?? -1),
        h: (_t: string, _p: number, r: DecodedRecord) => Buffer.concat(r.headers.flatMap((h, n) => [
          Buffer.from(`${n > 0 ? ',' : ''}${h.key}${h.value === null ? '' : '='}`), h.value ?? Buffer.alloc(0),
        ])),
        '%': '%',
      }[next];
      if (token === undefined) {
        literal += `%${next}`;
      } else if (typeof token === 'string') {
        literal += token;
      } else {
        flush();
        parts.push(token);
      }
    } else {
      literal += ch;
    }
  }
  flush();
  return (topic, partition, record) => Buffer.concat(parts.map((part) => {
    const v = typeof part === 'string' ? part : part(topic, partition, record);
    return typeof v === 'string' ? Buffer.from(v) : v;
  }));
}

// ---- where to start ----

export type StartSpec =
  | { kind: 'timestamp'; timestamp: bigint }
  | { kind: 'offset'; offset: bigint }
  | { kind: 'from-end'; count: bigint };

/** kcat's -o: beginning | end | <offset> | -<n> (n before the end) | s@<unix ms>. */
export function parseStart(text: string): StartSpec {
  if (text === 'beginning' || text === 'start' || text === 'earliest') return { kind: 'timestamp', timestamp: EARLIEST_TIMESTAMP };
  if (text === 'end' || text === 'latest') return { kind: 'timestamp', timestamp: LATEST_TIMESTAMP };
  let m = /^s@(\d+)$/.exec(text);
  if (m) return { kind: 'timestamp', timestamp: BigInt(m[1]!) };
  m = /^-(\d+)$/.exec(text);
  if (m) return { kind: 'from-end', count: BigInt(m[1]!) };
  if (/^\d+$/.test(text)) return { kind: 'offset', offset: BigInt(text) };
  throw new CliError(`--offset takes beginning, end, <offset>, -<n> or s@<timestamp ms>, not ${text}`);
}

async function startOffsets(cluster: KafkaCluster, topic: TopicLayout, partitions: number[], spec: StartSpec): Promise<Map<number, bigint>> {
  if (spec.kind === 'offset') return new Map(partitions.map((p) => [p, spec.offset]));
  if (spec.kind === 'from-end') {
    const [earliest, latest] = await Promise.all([
      cluster.listOffsets(topic, partitions, EARLIEST_TIMESTAMP),
      cluster.listOffsets(topic, partitions, LATEST_TIMESTAMP),
    ]);
    return new Map(partitions.map((p) => {
      const from = latest.get(p)! - spec.count;
      return [p, from > earliest.get(p)! ? from : earliest.get(p)!];
    }));
  }
  const found = await cluster.listOffsets(topic, partitions, spec.timestamp);
  // A timestamp past the last record finds no offset (-1): start at the end, as kcat does.
  const missing = partitions.filter((p) => (found.get(p) ?? -1n) < 0n);
  if (missing.length > 0) for (const [p, o] of await cluster.listOffsets(topic, missing, LATEST_TIMESTAMP)) found.set(p, o);
  return found;
}

// ---- fetching ----

export interface FetchPosition {
  partition: number;
  offset: bigint;
  /** The high watermark the last fetch reported; -1 before the first. */
  highWatermark: bigint;
}

/** The whole records of a Fetch partition result at or after `from` (batches start before it). */
export function recordsFrom(records: Buffer | null, from: bigint): DecodedRecord[] {
  const out: DecodedRecord[] = [];
  if (!records) return out;
  for (let at = 0; at + RECORD_BATCH_HEADER_SIZE <= records.length;) {
    const size = readBatchSize(records, at);
    // A broker may cut the last batch short at the byte limit; the next fetch gets it whole.
    if (size < RECORD_BATCH_HEADER_SIZE || at + size > records.length) break;
    const batch = decodeRecordBatch(records, at);
    at += size;
    if (batch.isControl) continue;
    for (const r of batch.records) if (r.offset >= from) out.push(r);
  }
  return out;
}

/** One Fetch to one leader for its partitions; advances the positions it is given. */
async function fetchOnce(
  cluster: KafkaCluster, topic: TopicLayout, leader: number, positions: FetchPosition[], maxWaitMs: number,
  onRecord: (partition: number, record: DecodedRecord) => boolean,
): Promise<void> {
  const c = await cluster.node(leader);
  const res = await c.request<FetchResponse>(ApiKey.Fetch, c.version(ApiKey.Fetch), {
    replicaId: -1, maxWaitMs, minBytes: 1, maxBytes: 16 * 1024 * 1024, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [{ topic: topic.name, topicId: topic.topicId, partitions: positions.map((p) => ({ partition: p.partition, fetchOffset: p.offset, partitionMaxBytes: 4 * 1024 * 1024, currentLeaderEpoch: -1 })) }],
    forgottenTopicsData: [], rackId: '',
  });
  if (res.errorCode !== ErrorCode.NONE) throw new CliError(`Fetch: ${errorName(res.errorCode)}`);
  for (const t of res.responses) {
    for (const p of t.partitions) {
      const position = positions.find((x) => x.partition === p.partitionIndex);
      if (!position) continue;
      if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
        const earliest = (await cluster.listOffsets(topic, [p.partitionIndex], EARLIEST_TIMESTAMP)).get(p.partitionIndex)!;
        console.error(`highwater: ${topic.name}/${p.partitionIndex}: offset ${position.offset} is out of range; continuing from ${earliest}`);
        position.offset = earliest;
        continue;
      }
      if (p.errorCode !== ErrorCode.NONE) throw new CliError(`Fetch ${topic.name}/${p.partitionIndex}: ${errorName(p.errorCode)}`);
      position.highWatermark = p.highWatermark;
      for (const r of recordsFrom(p.records, position.offset)) {
        // A record the caller did not take (a count reached) stays unconsumed: the position, and
        // so a group's commit, stops before it.
        if (!onRecord(p.partitionIndex, r)) break;
        position.offset = r.offset + 1n;
      }
    }
  }
}

// ---- the command ----

interface ConsumeOptions {
  bootstrap: string;
  partition?: string[];
  offset: string;
  format: string;
  exit: boolean;
  count?: string;
  group?: string;
}

export interface ConsumeRun {
  topic: string;
  bootstrap: string;
  partitions?: number[];
  start: StartSpec;
  format: string;
  exitAtEnd: boolean;
  count?: number;
  group?: string;
  write: (chunk: Buffer) => void;
  /** Resolves to stop early (signals); the run then commits (as a group) and returns. */
  stopped?: Promise<void>;
}

export async function runConsume(o: ConsumeRun): Promise<number> {
  const cluster = await KafkaCluster.connect(o.bootstrap, 'highwater-consume');
  const format = compileFormat(o.format);
  let consumed = 0;
  let stop = false;
  void o.stopped?.then(() => { stop = true; });
  let member: GroupMember | undefined;
  try {
    const topic = await cluster.topic(o.topic);
    const all = topic.leaders.map((_, p) => p);
    let positions: FetchPosition[] = [];
    const assign = async (partitions: number[]) => {
      const committed = member ? await member.committed(partitions) : new Map<number, bigint>();
      const fresh = partitions.filter((p) => (committed.get(p) ?? -1n) < 0n);
      const starts = fresh.length > 0 ? await startOffsets(cluster, topic, fresh, o.start) : new Map<number, bigint>();
      positions = partitions.map((partition) => ({ partition, offset: (committed.get(partition) ?? -1n) >= 0n ? committed.get(partition)! : starts.get(partition)!, highWatermark: -1n }));
    };
    if (o.group) {
      member = new GroupMember(await cluster.coordinator(o.group), o.group, topic);
      await assign((await member.join()).assigned);
    } else {
      const partitions = o.partitions ?? all;
      for (const p of partitions) if (topic.leaders[p] === undefined) throw new CliError(`topic ${o.topic} has no partition ${p}`);
      await assign(partitions);
    }
    let lastHeartbeat = performance.now();
    const limitReached = () => o.count !== undefined && consumed >= o.count;
    while (!stop && !limitReached()) {
      if (member && performance.now() - lastHeartbeat > 3000) {
        lastHeartbeat = performance.now();
        await member.commit(new Map(positions.map((p) => [p.partition, p.offset])));
        if (!(await member.heartbeat())) await assign((await member.join()).assigned);
      }
      const atEnd = positions.filter((p) => p.highWatermark >= 0n && p.offset >= p.highWatermark);
      if (o.exitAtEnd && atEnd.length === positions.length && positions.every((p) => p.highWatermark >= 0n)) break;
      const byLeader = new Map<number, FetchPosition[]>();
      for (const p of positions) {
        // With -e, a partition at its end is not fetched again: the others may still have records.
        if (o.exitAtEnd && p.highWatermark >= 0n && p.offset >= p.highWatermark) continue;
        const leader = topic.leaders[p.partition]!;
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
      }
      if (byLeader.size === 0) {
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      await Promise.all([...byLeader].map(([leader, ps]) => fetchOnce(cluster, topic, leader, ps, o.exitAtEnd ? 100 : 500, (partition, record) => {
        if (limitReached()) return false;
        o.write(format(o.topic, partition, record));
        consumed++;
        return true;
      })));
    }
    if (member) {
      await member.commit(new Map(positions.map((p) => [p.partition, p.offset])));
      await member.leave();
    }
    return consumed;
  } finally {
    await cluster.close();
  }
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function registerConsumeCommand(program: Command): void {
  program.command('consume <topic>').description('print records of a topic (kcat -C style), alone or as a consumer group')
    .option('-b, --bootstrap <host:port>', 'broker to talk to', '127.0.0.1:9092')
    .option('-p, --partition <n>', 'partition to read (repeatable; default: all)', collect)
    .option('-o, --offset <where>', 'where to start: beginning | end | <offset> | -<n> (n before the end) | s@<timestamp ms>; a group starts at its committed offsets, else here', 'beginning')
    .option('-f, --format <fmt>', 'output per record: %t topic %p partition %o offset %k key %s value %h headers %T timestamp %K/%S key/value length; \\n \\t', '%s\\n')
    .option('-e, --exit', 'exit once every partition is read to its end (its high watermark)', false)
    .option('-c, --count <n>', 'exit after n records')
    .option('-g, --group <id>', 'consume as a member of this consumer group (commits its offsets)')
    .action(async (topic: string, o: ConsumeOptions) => {
      const stopped = new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      try {
        await runConsume({
          topic, bootstrap: o.bootstrap, start: parseStart(o.offset), format: o.format, exitAtEnd: o.exit, group: o.group,
          partitions: o.partition?.map(Number), count: o.count === undefined ? undefined : Number(o.count),
          write: (chunk) => process.stdout.write(chunk), stopped,
        });
      } catch (err) {
        console.error(`highwater: ${(err as Error).message}`);
        process.exitCode = 1;
      }
      // The signal listeners would keep nothing alive, but a half-closed stdout might: leave now.
      process.exit(process.exitCode ?? 0);
    });
}
