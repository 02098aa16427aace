// `highwater produce <topic>`: one record per input line (stdin or a file), kcat -P style: optional
// key separator, headers, acks, compression, a fixed partition or Kafka's key hashing. Speaks the
// Kafka protocol, so it works against Apache Kafka too; batches many lines per request.
import { createReadStream } from 'node:fs';
import type { Readable } from 'node:stream';
import type { Command } from 'commander';
import type { KafkaConnection } from '../client/kafka-connection.ts';
import { ApiKey } from '../protocol/generated/index.ts';
import { ErrorCode, errorName } from '../protocol/errors.ts';
import { buildRecordBatch, type RecordHeader, type RecordInput } from '../protocol/records.ts';
import { COMPRESSION_CODECS, type CompressionCodec } from '../protocol/compression.ts';
import type { ProduceResponse } from '../protocol/generated/produce-response.ts';
import { CliError, KafkaCluster, type TopicLayout } from '../client/kafka-cluster.ts';

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

export interface ProduceRun {
  topic: string;
  bootstrap: string;
  input: AsyncIterable<Buffer | string>;
  delimiter?: string;
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
  const cluster = await KafkaCluster.connect(o.bootstrap, 'highwater-produce');
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
    for await (const line of splitRecords(o.input, delimiter)) {
      if (failure) throw failure;
      let key: Buffer | null = null;
      let value: Buffer = line;
      if (separator) {
        const at = line.indexOf(separator);
        if (at >= 0) {
          key = line.subarray(0, at);
          value = line.subarray(at + separator.length);
        }
      }
      const partition = o.partition ?? (key ? partitionForKey(key, partitionCount) : stickyPartition);
      let batch = pending.get(partition);
      if (!batch) {
        batch = { records: [], bytes: 0 };
        pending.set(partition, batch);
      }
      // Copies: the line is a view of a reading buffer that the splitter moves on from.
      batch.records.push({ key: key ? Buffer.from(key) : null, value: Buffer.from(value), headers });
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

interface ProduceOptions {
  bootstrap: string;
  file?: string;
  keySeparator?: string;
  header?: string[];
  acks: string;
  compression: string;
  partition?: string;
  delimiter: string;
  batchRecords: string;
  lingerMs: string;
}

function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

export function registerProduceCommand(program: Command): void {
  program.command('produce <topic>').description('produce one record per input line (stdin or --file), kcat -P style')
    .option('-b, --bootstrap <host:port>', 'broker to talk to', '127.0.0.1:9092')
    .option('-F, --file <path>', 'read records from this file instead of stdin')
    .option('-K, --key-separator <sep>', 'split each line at the first <sep> into key and value (no <sep>: no key)')
    .option('-H, --header <key=value>', 'header added to every record (repeatable)', collect)
    .option('-a, --acks <n>', 'acks: 0, 1 or -1 (all)', '-1')
    .option('-z, --compression <codec>', `compression: ${COMPRESSION_CODECS.join(', ')}`, 'none')
    .option('-p, --partition <n>', 'produce every record to this partition (default: key hash, or sticky for unkeyed records)')
    .option('-D, --delimiter <text>', 'record delimiter in the input', '\\n')
    .option('--batch-records <n>', 'records per batch at most', '1000')
    .option('--linger-ms <ms>', 'send what is buffered after this long without a full batch', '50')
    .action(async (topic: string, o: ProduceOptions) => {
      try {
        if (!COMPRESSION_CODECS.includes(o.compression as CompressionCodec)) throw new CliError(`--compression must be one of ${COMPRESSION_CODECS.join(', ')}`);
        const input: Readable = o.file ? createReadStream(o.file) : process.stdin;
        const acks = o.acks === 'all' ? -1 : Number(o.acks);
        const count = await runProduce({
          topic, bootstrap: o.bootstrap, input, keySeparator: o.keySeparator, headers: parseHeaders(o.header ?? []), acks,
          compression: o.compression as CompressionCodec, partition: o.partition === undefined ? undefined : Number(o.partition),
          delimiter: o.delimiter.replaceAll('\\n', '\n').replaceAll('\\t', '\t').replaceAll('\\r', '\r'),
          batchRecords: Number(o.batchRecords), lingerMs: Number(o.lingerMs),
        });
        console.error(`produced ${count} record(s) to ${topic}`);
      } catch (err) {
        console.error(`highwater: ${(err as Error).message}`);
        process.exitCode = 1;
      }
    });
}
