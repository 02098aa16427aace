// `highwater produce <topic>`: one record per input line (stdin or a file), kcat -P style: optional
// key separator or a fixed key, headers, null values, acks, compression, a fixed partition or
// Kafka's key hashing; or one JSON object per line, each with its own key, value, headers,
// partition and timestamp. Speaks the Kafka protocol, so it works against Apache Kafka too;
// batches many lines per request.
import { open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import type { ConnectOptions, KafkaConnection } from '../client/kafka-connection.ts';
import { ApiKey } from '../protocol/generated/index.ts';
import { ErrorCode, errorName } from '../protocol/errors.ts';
import { buildRecordBatch, type RecordHeader, type RecordInput } from '../protocol/records.ts';
import { COMPRESSION_CODECS, type CompressionCodec } from '../protocol/compression.ts';
import type { ProduceResponse } from '../protocol/generated/produce-response.ts';
import { CliError, KafkaCluster, type TopicLayout } from '../client/kafka-cluster.ts';
import { action, bootstrapOf, clientOptions, collect, connectOptionsOf, parseInteger, parseTime, type ClientFlags } from './common.ts';

/** Kafka's murmur2 (the Java client's default partitioner for keyed records), as a signed 32-bit int. */
export function murmur2(data: Uint8Array): number {
  const m = 0x5bd1e995;
  const length = data.length;
  let h = (0x9747b28c ^ length) | 0;
  const whole = length & ~3;
  for (let i = 0; i < whole; i += 4) {
    let k = data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  // The 1-3 tail bytes, highest first, as the reference implementation's fall-through switch does.
  const tail = length & 3;
  if (tail > 0) {
    if (tail === 3) h ^= data[whole + 2]! << 16;
    if (tail >= 2) h ^= data[whole + 1]! << 8;
    h ^= data[whole]!;
    h = Math.imul(h, m);
  }
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition Java's default partitioner picks for a key. */
export function partitionForKey(key: Uint8Array, partitionCount: number): number {
  return (murmur2(key) & 0x7fffffff) % partitionCount;
}

/** Splits a stream into records at `delimiter`; nothing after a final delimiter makes no record. */
export async function* splitRecords(input: AsyncIterable<Buffer | string>, delimiter: Buffer): AsyncGenerator<Buffer> {
  let pending = Buffer.alloc(0);
  for await (const chunk of input) {
    const data = pending.length > 0 ? Buffer.concat([pending, Buffer.from(chunk)]) : Buffer.from(chunk);
    let from = 0;
    for (let at = data.indexOf(delimiter, from); at >= 0; at = data.indexOf(delimiter, from)) {
      yield data.subarray(from, at);
      from = at + delimiter.length;
    }
    pending = data.subarray(from);
  }
  if (pending.length > 0) yield pending;
}

/** "k=v" headers; a header without "=" has a null value. */
export function parseHeaders(pairs: string[]): RecordHeader[] {
  return pairs.map((pair) => {
    const at = pair.indexOf('=');
    return at < 0 ? { key: pair, value: null } : { key: pair.slice(0, at), value: Buffer.from(pair.slice(at + 1)) };
  });
}

/** One input record before it is placed: what a line says. */
export interface ParsedLine {
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[] | null;
  partition?: number;
  timestamp?: bigint;
}

function jsonBytes(v: unknown, what: string, line: number): Buffer | null {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return Buffer.from(v);
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'object') return Buffer.from(JSON.stringify(v));
  throw new CliError(`input line ${line}: ${what} must be a string, null or JSON`);
}

/**
 * A JSON input line: {"key": ..., "value": ..., "headers": {"k": "v"} or [{"key": "k", "value": "v"}],
 * "partition": n, "timestamp": ms or ISO}. A string key or value is taken as UTF-8, null stays null,
 * anything else is written as its JSON text.
 */
export function parseJsonLine(text: string, line: number): ParsedLine {
  let o: unknown;
  try {
    o = JSON.parse(text);
  } catch {
    throw new CliError(`input line ${line} is not JSON (with -f json every line is one object such as {"key":"k","value":"v"})`);
  }
  if (typeof o !== 'object' || o === null || Array.isArray(o)) throw new CliError(`input line ${line}: expected a JSON object`);
  const r = o as Record<string, unknown>;
  let headers: RecordHeader[] | null = null;
  if (Array.isArray(r.headers)) {
    headers = r.headers.map((h: { key?: unknown; value?: unknown }) => {
      if (typeof h?.key !== 'string') throw new CliError(`input line ${line}: each header needs a string "key"`);
      return { key: h.key, value: jsonBytes(h.value, `header ${h.key}`, line) };
    });
  } else if (r.headers !== undefined && r.headers !== null) {
    if (typeof r.headers !== 'object') throw new CliError(`input line ${line}: "headers" must be an object or an array`);
    headers = Object.entries(r.headers as Record<string, unknown>).map(([key, value]) => ({ key, value: jsonBytes(value, `header ${key}`, line) }));
  }
  const out: ParsedLine = { key: jsonBytes(r.key, 'key', line), value: jsonBytes(r.value, 'value', line), headers };
  if (r.partition !== undefined) {
    if (!Number.isInteger(r.partition) || (r.partition as number) < 0) throw new CliError(`input line ${line}: "partition" must be a whole number`);
    out.partition = r.partition as number;
  }
  if (r.timestamp !== undefined) out.timestamp = BigInt(typeof r.timestamp === 'number' ? Math.trunc(r.timestamp) : parseTime(String(r.timestamp)));
  return out;
}

export interface ProduceRun {
  topic: string;
  bootstrap: string;
  input: AsyncIterable<Buffer | string>;
  /** text: one value per line (with -K, key and value); json: one object per line (parseJsonLine). */
  inputFormat?: 'text' | 'json';
  connect?: ConnectOptions;
  delimiter?: string;
  /** The key of every record (text input), unless -K finds one in the line. */
  key?: Buffer;
  /** An empty value is produced as null (a tombstone), as kcat's -Z does. */
  nullEmpty?: boolean;
  keySeparator?: string;
  headers?: RecordHeader[];
  acks?: number;
  compression?: CompressionCodec;
  partition?: number;
  batchRecords?: number;
  lingerMs?: number;
  maxInFlight?: number;
  autoCreate?: boolean;
}

interface PendingBatch {
  records: RecordInput[];
  bytes: number;
}

const MAX_BATCH_BYTES = 1024 * 1024;

/** Produces every record of `input`; resolves with the count once all are acknowledged (or sent, for acks=0). */
export async function runProduce(o: ProduceRun): Promise<number> {
  const acks = o.acks ?? -1;
  if (acks !== 0 && acks !== 1 && acks !== -1) throw new CliError(`--acks must be 0, 1 or -1 (all), not ${acks}`);
  const cluster = await KafkaCluster.connect(o.bootstrap, { clientId: 'highwater-produce', ...o.connect });
  try {
    const topic: TopicLayout = await cluster.topic(o.topic, { autoCreate: o.autoCreate ?? true });
    const partitionCount = topic.leaders.length;
    if (o.partition !== undefined && (o.partition < 0 || o.partition >= partitionCount)) {
      throw new CliError(`topic ${o.topic} has ${partitionCount} partitions; there is no partition ${o.partition}`);
    }
    const batchRecords = o.batchRecords ?? 1000;
    const maxInFlight = o.maxInFlight ?? 8;
    const separator = o.keySeparator ? Buffer.from(o.keySeparator) : undefined;
    const headers = o.headers ?? [];
    const pending = new Map<number, PendingBatch>();
    const inFlight = new Set<Promise<void>>();
    let failure: Error | undefined;
    let produced = 0;
    // Unkeyed records stick to one partition per batch, then move on (the Java client's sticky partitioner).
    let stickyPartition = Math.floor(Math.random() * partitionCount);

    const send = async (partition: number, batch: PendingBatch) => {
      const records = buildRecordBatch({ baseTimestamp: BigInt(Date.now()), records: batch.records, compression: o.compression ?? 'none' });
      const c: KafkaConnection = await cluster.node(topic.leaders[partition]!);
      const v = c.version(ApiKey.Produce);
      const body = { transactionalId: null, acks, timeoutMs: 30_000, topicData: [{ name: o.topic, partitionData: [{ index: partition, records }] }] };
      if (acks === 0) {
        await c.send(ApiKey.Produce, v, body);
      } else {
        const res = await c.request<ProduceResponse>(ApiKey.Produce, v, body);
        const p = res.responses[0]?.partitionResponses[0];
        const code = p?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
        if (code !== ErrorCode.NONE) throw new CliError(`produce to ${o.topic}/${partition}: ${errorName(code)}${p?.errorMessage ? `: ${p.errorMessage}` : ''}`);
      }
      produced += batch.records.length;
    };

    const flush = async (partition: number) => {
      const batch = pending.get(partition);
      if (!batch || batch.records.length === 0) return;
      pending.delete(partition);
      if (partition === stickyPartition && o.partition === undefined) stickyPartition = (stickyPartition + 1) % partitionCount;
      while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
      if (failure) throw failure;
      const sending = send(partition, batch).catch((err: Error) => { failure ??= err; }).finally(() => inFlight.delete(sending));
      inFlight.add(sending);
    };

    // Every flush goes through one chain, so batches of a partition are sent in the order they were
    // filled even when the linger timer and a full batch both ask for a flush.
    let flushChain: Promise<void> = Promise.resolve();
    const enqueueFlush = (partitions: number[] | 'all'): Promise<void> => {
      flushChain = flushChain.then(async () => {
        for (const partition of partitions === 'all' ? [...pending.keys()] : partitions) await flush(partition);
      }).catch((err: Error) => { failure ??= err; });
      return flushChain;
    };
    let lingerTimer: NodeJS.Timeout | undefined;

    const delimiter = Buffer.from(o.delimiter ?? '\n');
    let lineNumber = 0;
    for await (const line of splitRecords(o.input, delimiter)) {
      if (failure) throw failure;
      lineNumber++;
      let parsed: ParsedLine;
      if (o.inputFormat === 'json') {
        if (line.toString().trim() === '') continue;
        parsed = parseJsonLine(line.toString(), lineNumber);
      } else {
        // Copies: the line is a view of a reading buffer that the splitter moves on from.
        parsed = { key: o.key ?? null, value: Buffer.from(line), headers: null };
        if (separator) {
          const at = line.indexOf(separator);
          if (at >= 0) {
            parsed.key = Buffer.from(line.subarray(0, at));
            parsed.value = Buffer.from(line.subarray(at + separator.length));
          }
        }
      }
      if (o.nullEmpty && parsed.value !== null && parsed.value.length === 0) parsed.value = null;
      if (parsed.partition !== undefined && parsed.partition >= partitionCount) {
        throw new CliError(`input line ${lineNumber}: topic ${o.topic} has ${partitionCount} partitions; there is no partition ${parsed.partition}`);
      }
      const partition = parsed.partition ?? o.partition ?? (parsed.key ? partitionForKey(parsed.key, partitionCount) : stickyPartition);
      let batch = pending.get(partition);
      if (!batch) {
        batch = { records: [], bytes: 0 };
        pending.set(partition, batch);
      }
      batch.records.push({ key: parsed.key, value: parsed.value, headers: parsed.headers ? [...headers, ...parsed.headers] : headers, timestamp: parsed.timestamp });
      batch.bytes += line.length + 32;
      if (batch.records.length >= batchRecords || batch.bytes >= MAX_BATCH_BYTES) await enqueueFlush([partition]);
      // Interactive input: what was typed goes out after a short linger rather than at end of input.
      if (!lingerTimer && pending.size > 0) {
        lingerTimer = setTimeout(() => {
          lingerTimer = undefined;
          void enqueueFlush('all');
        }, o.lingerMs ?? 50);
      }
    }
    if (lingerTimer) clearTimeout(lingerTimer);
    await enqueueFlush('all');
    await Promise.all(inFlight);
    if (failure) throw failure;
    return produced;
  } finally {
    await cluster.close();
  }
}

interface ProduceOptions extends ClientFlags {
  file?: string;
  key?: string;
  keySeparator?: string;
  header?: string[];
  nullEmpty: boolean;
  format: string;
  acks: string;
  compression: string;
  partition?: string;
  delimiter: string;
  batchRecords: string;
  lingerMs: string;
}

export function registerProduceCommand(program: Command): void {
  clientOptions(program.command('produce <topic>').description('produce one record per input line (stdin or --file), kcat -P style; or one JSON object per line with -f json'))
    .option('-F, --file <path>', 'read records from this file instead of stdin')
    .option('-f, --format <text|json>', 'input: text (a value per line, -K splits off a key) or json ({"key","value","headers","partition","timestamp"} per line)', 'text')
    .option('-k, --key <key>', 'the key of every record (text input)')
    .option('-K, --key-separator <sep>', 'split each line at the first <sep> into key and value (no <sep>: no key, or --key)')
    .option('-H, --header <key=value>', 'header added to every record (repeatable; with -f json, added before each line\'s own)', collect)
    .option('-Z, --null-empty', 'produce an empty value as null (a tombstone), as kcat -Z', false)
    .option('-a, --acks <n>', 'acks: 0, 1 or -1 (all)', '-1')
    .option('-z, --compression <codec>', `compression: ${COMPRESSION_CODECS.join(', ')}`, 'none')
    .option('-p, --partition <n>', 'produce every record to this partition (default: key hash, or sticky for unkeyed records)')
    .option('-D, --delimiter <text>', 'record delimiter in the input', '\\n')
    .option('--batch-records <n>', 'records per batch at most', '1000')
    .option('--linger-ms <ms>', 'send what is buffered after this long without a full batch', '50')
    .action(action(async (topic: string, o: ProduceOptions) => {
      if (!COMPRESSION_CODECS.includes(o.compression as CompressionCodec)) throw new CliError(`-z/--compression must be one of ${COMPRESSION_CODECS.join(', ')}, not "${o.compression}"`);
      if (o.format !== 'text' && o.format !== 'json') throw new CliError(`-f/--format takes text or json, not "${o.format}"`);
      const acks = o.acks === 'all' ? -1 : parseInteger(o.acks, '-a/--acks', -1);
      const partition = o.partition === undefined ? undefined : parseInteger(o.partition, '-p/--partition', 0);
      // Opened before connecting, so a mistyped path fails at once and by name.
      const file = o.file ? await open(o.file, 'r') : undefined;
      const input: Readable = file ? file.createReadStream() : process.stdin;
      try {
        const count = await runProduce({
          topic, bootstrap: bootstrapOf(o), connect: connectOptionsOf(o, 'highwater-produce'), input, inputFormat: o.format,
          key: o.key === undefined ? undefined : Buffer.from(o.key), keySeparator: o.keySeparator, nullEmpty: o.nullEmpty,
          headers: parseHeaders(o.header ?? []), acks, compression: o.compression as CompressionCodec, partition,
          delimiter: o.delimiter.replaceAll('\\n', '\n').replaceAll('\\t', '\t').replaceAll('\\r', '\r'),
          batchRecords: parseInteger(o.batchRecords, '--batch-records', 1), lingerMs: parseInteger(o.lingerMs, '--linger-ms', 0),
        });
        console.error(`produced ${count} record(s) to ${topic}`);
      } finally {
        await file?.close();
      }
    }));
}
