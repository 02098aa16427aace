// What one `highwater bench` run does, as plain data: parsed and checked here from the CLI's
// strings, so the CLI, bench/compare.ts and the tests all build runs the same way.
import type { CompressionCodec } from '../../src/protocol/compression.ts';
import { COMPRESSION_CODECS } from '../../src/protocol/compression.ts';

export type BenchMode = 'produce' | 'consume' | 'e2e';

export interface BenchOptions {
  mode: BenchMode;
  bootstrap: string;
  topic: string;
  partitions: number;
  /** Create the topic when missing (the broker's default replication factor). */
  createTopic: boolean;
  /** Stop after this many records (produce, e2e), or read this many (consume); null: use duration. */
  records: number | null;
  /** Stop after this long; the warm-up is not counted in it. */
  durationMs: number;
  warmupMs: number;
  recordSize: number;
  /** Values come from this file, cut into recordSize slices, instead of random bytes. */
  payloadFile: string | null;
  /** Records per second across all producers; null: as fast as the broker takes them. */
  rate: number | null;
  producers: number;
  consumers: number;
  acks: 0 | 1 | -1;
  /** Bytes of records per batch (Kafka's batch.size). */
  batchSize: number;
  /** At a target rate, a batch is sent once it has waited this long (Kafka's linger.ms). */
  lingerMs: number;
  compression: CompressionCodec;
  /** Produce requests awaiting an answer per connection (max.in.flight.requests.per.connection). */
  maxInFlight: number;
  /** Fetch bounds (fetch.max.bytes, max.partition.fetch.bytes) for consume and e2e. */
  fetchMaxBytes: number;
  partitionFetchMaxBytes: number;
  /** Seconds between progress lines; 0 turns them off. */
  progressIntervalMs: number;
  jsonOut: string | null;
  htmlOut: string | null;
  /** A label carried into the report (e.g. "highwater --fsync never"). */
  label: string;
  /**
   * What happens to the topic afterwards: auto deletes a topic the run created unless a later run
   * needs its records (produce keeps it for `bench consume`); keep and delete say so outright.
   */
  cleanup: 'auto' | 'keep' | 'delete';
  /** Keyed records, for compacted topics (set by bench/compaction-produce.ts, no flag); absent: keyless. */
  keys?: number;
  /** Give up connecting, or on an unanswered request, after this long. */
  connectTimeoutMs: number;
  requestTimeoutMs: number;
}

export const DEFAULT_OPTIONS: BenchOptions = {
  mode: 'produce',
  bootstrap: '127.0.0.1:9092',
  topic: 'highwater-bench',
  partitions: 8,
  createTopic: true,
  records: null,
  durationMs: 15_000,
  warmupMs: 2_000,
  recordSize: 1024,
  payloadFile: null,
  rate: null,
  producers: 1,
  consumers: 1,
  acks: 1,
  batchSize: 16_384,
  lingerMs: 5,
  compression: 'none',
  maxInFlight: 5,
  fetchMaxBytes: 50 * 1024 * 1024,
  partitionFetchMaxBytes: 1024 * 1024,
  progressIntervalMs: 1_000,
  jsonOut: null,
  htmlOut: null,
  label: '',
  cleanup: 'auto',
  connectTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
};

export class BenchOptionError extends Error {}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1024, kib: 1024, m: 1024 ** 2, mb: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gb: 1024 ** 3, gib: 1024 ** 3 };

/** "1024", "1k", "1KiB", "16 MiB", "1g": binary units, because record and batch sizes are. */
export function parseSize(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? SIZE_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new BenchOptionError(`not a size: ${text} (try 1024, 16k, 1MiB, 1g)`);
  return Math.round(Number(m[1]) * unit);
}

const DURATION_UNITS: Record<string, number> = { ms: 1, '': 1000, s: 1000, m: 60_000, min: 60_000 };

/** "15" (seconds), "15s", "500ms", "2m". */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  const unit = m ? DURATION_UNITS[m[2]!.toLowerCase()] : undefined;
  if (!m || unit === undefined) throw new BenchOptionError(`not a duration: ${text} (try 15s, 500ms, 2m)`);
  return Math.round(Number(m[1]) * unit);
}

/** "10000", "10k", "1.5m" records: decimal, as rates and counts are usually said. */
export function parseCount(text: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)\s*$/i.exec(text);
  if (!m) throw new BenchOptionError(`not a count: ${text} (try 5000, 10k, 1m)`);
  const scale = { '': 1, k: 1e3, m: 1e6, g: 1e9 }[m[2]!.toLowerCase()]!;
  return Math.round(Number(m[1]) * scale);
}

function positiveInt(name: string, value: number, min = 1): number {
  if (!Number.isInteger(value) || value < min) throw new BenchOptionError(`--${name} must be an integer >= ${min}, not ${value}`);
  return value;
}

export function parseAcks(text: string): 0 | 1 | -1 {
  if (text === 'all' || text === '-1') return -1;
  if (text === '0') return 0;
  if (text === '1') return 1;
  throw new BenchOptionError(`--acks takes 0, 1, -1 or all, not ${text}`);
}

/** The CLI's strings as commander hands them over (every value optional). */
export interface RawBenchFlags {
  bootstrap?: string;
  topic?: string;
  partitions?: string;
  createTopic?: boolean;
  records?: string;
  duration?: string;
  warmup?: string;
  recordSize?: string;
  payloadFile?: string;
  rate?: string;
  producers?: string;
  consumers?: string;
  acks?: string;
  batchSize?: string;
  linger?: string;
  compression?: string;
  maxInFlight?: string;
  fetchMaxBytes?: string;
  partitionFetchMaxBytes?: string;
  progressInterval?: string;
  json?: string;
  html?: string;
  label?: string;
  keepTopic?: boolean;
  deleteTopic?: boolean;
  connectTimeout?: string;
  requestTimeout?: string;
}

export function parseBenchOptions(mode: string, flags: RawBenchFlags): BenchOptions {
  if (mode !== 'produce' && mode !== 'consume' && mode !== 'e2e') throw new BenchOptionError(`unknown mode ${mode}: produce, consume or e2e`);
  const o: BenchOptions = { ...DEFAULT_OPTIONS, mode };
  if (flags.bootstrap !== undefined) o.bootstrap = flags.bootstrap;
  if (flags.topic !== undefined) o.topic = flags.topic;
  if (flags.partitions !== undefined) o.partitions = positiveInt('partitions', Number(flags.partitions));
  if (flags.createTopic !== undefined) o.createTopic = flags.createTopic;
  if (flags.records !== undefined) o.records = positiveInt('records', parseCount(flags.records));
  if (flags.duration !== undefined) o.durationMs = positiveInt('duration', parseDuration(flags.duration));
  if (flags.warmup !== undefined) o.warmupMs = positiveInt('warmup', parseDuration(flags.warmup), 0);
  if (flags.recordSize !== undefined) o.recordSize = positiveInt('record-size', parseSize(flags.recordSize));
  if (flags.payloadFile !== undefined) o.payloadFile = flags.payloadFile;
  if (flags.rate !== undefined) {
    o.rate = flags.rate === '-1' || flags.rate === 'max' ? null : positiveInt('rate', parseCount(flags.rate));
  }
  if (flags.producers !== undefined) o.producers = positiveInt('producers', Number(flags.producers));
  if (flags.consumers !== undefined) o.consumers = positiveInt('consumers', Number(flags.consumers));
  if (flags.acks !== undefined) o.acks = parseAcks(flags.acks);
  if (flags.batchSize !== undefined) o.batchSize = positiveInt('batch-size', parseSize(flags.batchSize));
  if (flags.linger !== undefined) o.lingerMs = positiveInt('linger', parseDuration(flags.linger.endsWith('ms') || /[a-z]$/i.test(flags.linger) ? flags.linger : `${flags.linger}ms`), 0);
  if (flags.compression !== undefined) {
    if (!COMPRESSION_CODECS.includes(flags.compression as CompressionCodec)) {
      throw new BenchOptionError(`--compression takes ${COMPRESSION_CODECS.join(', ')}, not ${flags.compression}`);
    }
    o.compression = flags.compression as CompressionCodec;
  }
  if (flags.maxInFlight !== undefined) o.maxInFlight = positiveInt('max-in-flight', Number(flags.maxInFlight));
  if (flags.fetchMaxBytes !== undefined) o.fetchMaxBytes = positiveInt('fetch-max-bytes', parseSize(flags.fetchMaxBytes));
  if (flags.partitionFetchMaxBytes !== undefined) o.partitionFetchMaxBytes = positiveInt('partition-fetch-max-bytes', parseSize(flags.partitionFetchMaxBytes));
  if (flags.progressInterval !== undefined) o.progressIntervalMs = positiveInt('progress-interval', parseDuration(flags.progressInterval), 0);
  if (flags.json !== undefined) o.jsonOut = flags.json;
  if (flags.html !== undefined) o.htmlOut = flags.html;
  if (flags.label !== undefined) o.label = flags.label;
  if (flags.keepTopic && flags.deleteTopic) throw new BenchOptionError('--keep-topic and --delete-topic contradict each other');
  if (flags.connectTimeout !== undefined) o.connectTimeoutMs = positiveInt('connect-timeout', parseDuration(flags.connectTimeout));
  if (flags.requestTimeout !== undefined) o.requestTimeoutMs = positiveInt('request-timeout', parseDuration(flags.requestTimeout));
  if (flags.keepTopic) o.cleanup = 'keep';
  if (flags.deleteTopic) o.cleanup = 'delete';
  return checkBenchOptions(o);
}

/** Cross-field rules, for options built in code (compare.ts) as much as for parsed ones. */
export function checkBenchOptions(o: BenchOptions): BenchOptions {
  if (o.mode === 'e2e' && o.recordSize < 8) throw new BenchOptionError('e2e needs --record-size >= 8: each value carries its send time');
  if (o.mode === 'consume' && o.rate !== null) throw new BenchOptionError('--rate applies to produce and e2e, not consume');
  return o;
}

/** Records per batch: whole records that fit batch.size, at least one (Kafka sends a big record alone). */
export function recordsPerBatch(o: Pick<BenchOptions, 'batchSize' | 'recordSize'>): number {
  const perRecordOverhead = 8; // length, attributes, deltas, key and header counts: a few varint bytes
  return Math.max(1, Math.floor((o.batchSize - 61) / (o.recordSize + perRecordOverhead)));
}
