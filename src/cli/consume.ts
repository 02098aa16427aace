// `highwater consume <topic...>`: reads records over the Kafka protocol, kcat style (-o with offsets
// or times, an end time, -f, -e), as text, JSON or hex, alone or as a consumer group over several
// topics. Works against Apache Kafka too.
import type { Command } from 'commander';
import { ApiKey } from '../protocol/generated/index.ts';
import { ErrorCode, errorName } from '../protocol/errors.ts';
import { decodeRecordBatch, type DecodedRecord } from '../protocol/records.ts';
import { RECORD_BATCH_HEADER_SIZE, readBatchSize } from '../protocol/record-batch.ts';
import type { FetchResponse } from '../protocol/generated/fetch-response.ts';
import { CliError, KafkaCluster, LATEST_TIMESTAMP, EARLIEST_TIMESTAMP, type TopicLayout } from '../client/kafka-cluster.ts';
import { GroupMember } from './consume-group.ts';
import { action, bootstrapOf, clientOptions, collect, connectOptionsOf, parseInteger, parseTime, type ClientFlags } from './common.ts';
import type { ConnectOptions } from '../client/kafka-connection.ts';

// ---- the output format ----

/**
 * kcat's -f: %t topic, %p partition, %o offset, %k key, %s value, %h headers (k=v, comma
 * separated), %T timestamp (ms), %K key length, %S value length, %% a percent; \n \t \r \\ escapes.
 * Bytes are written as they are, so binary values survive.
 */
export function compileFormat(format: string, encoding: 'raw' | 'hex' = 'raw'): (topic: string, partition: number, record: DecodedRecord) => Buffer {
  const bytes = (b: Buffer | null) => (b === null ? '' : encoding === 'hex' ? b.toString('hex') : b);
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
        k: (_t: string, _p: number, r: DecodedRecord) => bytes(r.key),
        s: (_t: string, _p: number, r: DecodedRecord) => bytes(r.value),
        T: (_t: string, _p: number, r: DecodedRecord) => String(r.timestamp),
        K: (_t: string, _p: number, r: DecodedRecord) => String(r.key?.length ?? -1),
        S: (_t: string, _p: number, r: DecodedRecord) => String(r.value?.length ?? -1),
        h: (_t: string, _p: number, r: DecodedRecord) => Buffer.concat(r.headers.flatMap((h, n) => [
          Buffer.from(`${n > 0 ? ',' : ''}${h.key}${h.value === null ? '' : '='}`), Buffer.from(bytes(h.value)),
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

/** One JSON object per record and line: key, value and header values as UTF-8 text, or hex. */
export function jsonFormat(encoding: 'raw' | 'hex' = 'raw'): (topic: string, partition: number, record: DecodedRecord) => Buffer {
  const text = (b: Buffer | null) => (b === null ? null : encoding === 'hex' ? b.toString('hex') : b.toString('utf8'));
  return (topic, partition, r) => Buffer.from(`${JSON.stringify({
    topic, partition, offset: Number(r.offset), timestamp: Number(r.timestamp),
    key: text(r.key), value: text(r.value), headers: r.headers.map((h) => ({ key: h.key, value: text(h.value) })),
  })}\n`);
}

// ---- where to start ----

export type StartSpec =
  | { kind: 'timestamp'; timestamp: bigint }
  | { kind: 'offset'; offset: bigint }
  | { kind: 'from-end'; count: bigint };

const OFFSET_HELP = 'beginning, end, <offset>, -<n> (n before the end), s@<time> or @<time> (start at a time), e@<time> (stop at a time); a time is unix ms, 2026-12-01T10:00:00 or relative (-1h)';

/** kcat's -o: beginning | end | <offset> | -<n> (n before the end) | s@<time> | @<time> (rpk). */
export function parseStart(text: string, now = Date.now()): StartSpec {
  if (text === 'beginning' || text === 'start' || text === 'earliest' || text === 'oldest') return { kind: 'timestamp', timestamp: EARLIEST_TIMESTAMP };
  if (text === 'end' || text === 'latest' || text === 'newest') return { kind: 'timestamp', timestamp: LATEST_TIMESTAMP };
  const at = /^s?@(.+)$/.exec(text);
  if (at) {
    try {
      return { kind: 'timestamp', timestamp: BigInt(parseTime(at[1]!, now)) };
    } catch {
      throw new CliError(`-o ${text}: ${at[1]} is not a time; -o takes ${OFFSET_HELP}`);
    }
  }
  const m = /^-(\d+)$/.exec(text);
  if (m) return { kind: 'from-end', count: BigInt(m[1]!) };
  if (/^\d+$/.test(text)) return { kind: 'offset', offset: BigInt(text) };
  throw new CliError(`--offset takes ${OFFSET_HELP}; not "${text}"`);
}

/** Every -o given: one start (the last wins, as in kcat) and an optional end time (e@<time>). */
export function parseOffsets(texts: string[], now = Date.now()): { start: StartSpec; endTimestamp: bigint | null } {
  let start: StartSpec = { kind: 'timestamp', timestamp: EARLIEST_TIMESTAMP };
  let endTimestamp: bigint | null = null;
  for (const text of texts) {
    const end = /^e@(.+)$/.exec(text);
    if (end) {
      try {
        endTimestamp = BigInt(parseTime(end[1]!, now));
      } catch {
        throw new CliError(`-o ${text}: ${end[1]} is not a time; -o takes ${OFFSET_HELP}`);
      }
    } else {
      start = parseStart(text, now);
    }
  }
  return { start, endTimestamp };
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
  topic: TopicLayout;
  partition: number;
  /** Reached the end time: no longer fetched. */
  done: boolean;
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

/** One Fetch to one leader for its partitions (of any topics); advances the positions it is given. */
async function fetchOnce(
  cluster: KafkaCluster, leader: number, positions: FetchPosition[], maxWaitMs: number,
  onRecord: (position: FetchPosition, record: DecodedRecord) => boolean,
): Promise<void> {
  const c = await cluster.node(leader);
  const byTopic = new Map<string, FetchPosition[]>();
  for (const p of positions) byTopic.set(p.topic.name, [...(byTopic.get(p.topic.name) ?? []), p]);
  const res = await c.request<FetchResponse>(ApiKey.Fetch, c.version(ApiKey.Fetch), {
    replicaId: -1, maxWaitMs, minBytes: 1, maxBytes: 16 * 1024 * 1024, isolationLevel: 0, sessionId: 0, sessionEpoch: -1,
    topics: [...byTopic.values()].map((ps) => ({
      topic: ps[0]!.topic.name, topicId: ps[0]!.topic.topicId,
      partitions: ps.map((p) => ({ partition: p.partition, fetchOffset: p.offset, partitionMaxBytes: 4 * 1024 * 1024, currentLeaderEpoch: -1 })),
    })),
    forgottenTopicsData: [], rackId: '',
  }, { waitMs: maxWaitMs });
  if (res.errorCode !== ErrorCode.NONE) throw new CliError(`Fetch: ${errorName(res.errorCode)}`);
  for (const t of res.responses) {
    for (const p of t.partitions) {
      // Fetch v13+ names topics by id only.
      const position = positions.find((x) => x.partition === p.partitionIndex && (t.topic ? x.topic.name === t.topic : x.topic.topicId === t.topicId));
      if (!position) continue;
      const name = position.topic.name;
      if (p.errorCode === ErrorCode.OFFSET_OUT_OF_RANGE) {
        const earliest = (await cluster.listOffsets(position.topic, [p.partitionIndex], EARLIEST_TIMESTAMP)).get(p.partitionIndex)!;
        console.error(`highwater: ${name}/${p.partitionIndex}: offset ${position.offset} is out of range; continuing from ${earliest}`);
        position.offset = earliest;
        continue;
      }
      if (p.errorCode !== ErrorCode.NONE) throw new CliError(`Fetch ${name}/${p.partitionIndex}: ${errorName(p.errorCode)}`);
      position.highWatermark = p.highWatermark;
      for (const r of recordsFrom(p.records, position.offset)) {
        // A record the caller did not take (a count or the end time reached) stays unconsumed:
        // the position, and so a group's commit, stops before it.
        if (!onRecord(position, r)) break;
        position.offset = r.offset + 1n;
      }
    }
  }
}

// ---- the command ----

export interface ConsumeRun {
  /** One topic, or several (read together; a group subscribes to all). */
  topic: string | string[];
  bootstrap: string;
  connect?: ConnectOptions;
  /** Partitions to read of every topic (not with a group); default all. */
  partitions?: number[];
  start: StartSpec;
  /** Stop each partition at its first record with a timestamp at or after this (kcat's -o e@). */
  endTimestamp?: bigint | null;
  /** A kcat -f format string, or 'json' for one JSON object per record. */
  format: string;
  /** Key, value and header values as they are (raw) or in hex. */
  encoding?: 'raw' | 'hex';
  exitAtEnd: boolean;
  count?: number;
  group?: string;
  write: (chunk: Buffer) => void;
  /** Resolves to stop early (signals); the run then commits (as a group) and returns. */
  stopped?: Promise<void>;
}

export async function runConsume(o: ConsumeRun): Promise<number> {
  const cluster = await KafkaCluster.connect(o.bootstrap, { clientId: 'highwater-consume', ...o.connect });
  const format = o.format === 'json' ? jsonFormat(o.encoding) : compileFormat(o.format, o.encoding);
  const names = typeof o.topic === 'string' ? [o.topic] : o.topic;
  const endTimestamp = o.endTimestamp ?? null;
  let consumed = 0;
  let stop = false;
  void o.stopped?.then(() => { stop = true; });
  let member: GroupMember | undefined;
  try {
    const layouts: TopicLayout[] = [];
    for (const name of names) layouts.push(await cluster.topic(name));
    let positions: FetchPosition[] = [];
    const assign = async (assigned: Map<string, number[]>) => {
      positions = [];
      for (const topic of layouts) {
        const partitions = assigned.get(topic.name) ?? [];
        if (partitions.length === 0) continue;
        const committed = member ? await member.committed(topic.name, partitions) : new Map<number, bigint>();
        const fresh = partitions.filter((p) => (committed.get(p) ?? -1n) < 0n);
        const starts = fresh.length > 0 ? await startOffsets(cluster, topic, fresh, o.start) : new Map<number, bigint>();
        for (const partition of partitions) {
          const c = committed.get(partition) ?? -1n;
          positions.push({ topic, partition, done: false, offset: c >= 0n ? c : starts.get(partition)!, highWatermark: -1n });
        }
      }
    };
    const commitAll = () => {
      const offsets = new Map<string, Map<number, bigint>>();
      for (const p of positions) offsets.set(p.topic.name, (offsets.get(p.topic.name) ?? new Map<number, bigint>()).set(p.partition, p.offset));
      return member!.commit(offsets);
    };
    if (o.group) {
      if (o.partitions) throw new CliError('-p/--partition and -g/--group do not go together: a group assigns the partitions');
      member = new GroupMember(cluster, o.group, layouts);
      await assign((await member.join()).assigned);
    } else {
      const chosen = new Map<string, number[]>();
      for (const topic of layouts) {
        const partitions = o.partitions ?? topic.leaders.map((_, p) => p);
        for (const p of partitions) if (topic.leaders[p] === undefined) throw new CliError(`topic ${topic.name} has ${topic.leaders.length} partitions; there is no partition ${p}`);
        chosen.set(topic.name, partitions);
      }
      await assign(chosen);
    }
    let lastHeartbeat = performance.now();
    const limitReached = () => o.count !== undefined && consumed >= o.count;
    const atEnd = (p: FetchPosition) => p.done || (p.highWatermark >= 0n && p.offset >= p.highWatermark);
    while (!stop && !limitReached()) {
      if (member && performance.now() - lastHeartbeat > 3000) {
        lastHeartbeat = performance.now();
        await commitAll();
        if (!(await member.heartbeat())) await assign((await member.join()).assigned);
      }
      if (positions.length > 0 && positions.every((p) => p.done)) break;
      if (o.exitAtEnd && positions.every(atEnd)) break;
      const byLeader = new Map<number, FetchPosition[]>();
      for (const p of positions) {
        // With -e, a partition at its end is not fetched again: the others may still have records.
        if (p.done || (o.exitAtEnd && atEnd(p))) continue;
        const leader = p.topic.leaders[p.partition]!;
        byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
      }
      if (byLeader.size === 0) {
        await new Promise((r) => setTimeout(r, 200));
        continue;
      }
      await Promise.all([...byLeader].map(([leader, ps]) => fetchOnce(cluster, leader, ps, o.exitAtEnd ? 100 : 500, (position, record) => {
        if (limitReached()) return false;
        if (endTimestamp !== null && record.timestamp >= endTimestamp) {
          position.done = true;
          return false;
        }
        o.write(format(position.topic.name, position.partition, record));
        consumed++;
        return true;
      })));
      // An end time already past: a partition read to its high watermark has nothing more before
      // it (records written from now on carry later timestamps), so it is done even without -e.
      if (endTimestamp !== null && endTimestamp <= BigInt(Date.now())) {
        for (const p of positions) if (p.highWatermark >= 0n && p.offset >= p.highWatermark) p.done = true;
      }
    }
    if (member) {
      await commitAll();
      await member.leave();
    }
    return consumed;
  } finally {
    await cluster.close();
  }
}

interface ConsumeOptions extends ClientFlags {
  partition?: string[];
  offset: string[];
  format: string;
  json: boolean;
  hex: boolean;
  exit: boolean;
  count?: string;
  group?: string;
}

export function registerConsumeCommand(program: Command): void {
  clientOptions(program.command('consume <topics...>').description('print records of topics (kcat -C style), alone or as a consumer group'))
    .option('-p, --partition <n>', 'partition to read, of every topic (repeatable or comma-separated; default: all)', collect)
    .option('-o, --offset <where>', `where to start (repeatable, to add an end): ${OFFSET_HELP}. A group starts at its committed offsets, else here`, collect)
    .option('-f, --format <fmt>', 'output per record: json, or a format with %t topic %p partition %o offset %k key %s value %h headers %T timestamp %K/%S key/value length; \\n \\t', '%s\\n')
    .option('-J, --json', 'the same as -f json: one JSON object per record (kcat -J)', false)
    .option('-X, --hex', 'print keys, values and header values in hex', false)
    .option('-e, --exit', 'exit once every partition is read to its end (its high watermark)', false)
    .option('-c, --count <n>', 'exit after n records')
    .option('-g, --group <id>', 'consume as a member of this consumer group (commits its offsets)')
    .action(action(async (topics: string[], o: ConsumeOptions) => {
      const { start, endTimestamp } = parseOffsets(o.offset ?? ['beginning']);
      const count = o.count === undefined ? undefined : parseInteger(o.count, '-c/--count', 0);
      const partitions = o.partition?.flatMap((p) => p.split(',')).map((p) => parseInteger(p, '-p/--partition', 0));
      const stopped = new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      try {
        await runConsume({
          topic: topics, bootstrap: bootstrapOf(o), connect: connectOptionsOf(o, 'highwater-consume'), start, endTimestamp,
          format: o.json ? 'json' : o.format, encoding: o.hex ? 'hex' : 'raw', exitAtEnd: o.exit, group: o.group, partitions, count,
          write: (chunk) => process.stdout.write(chunk), stopped,
        });
      } finally {
        // The signal listeners would keep nothing alive, but a half-closed stdout might: leave
        // once stdout has taken everything.
        process.stdout.write('', () => process.exit(process.exitCode ?? 0));
      }
    }));
}
