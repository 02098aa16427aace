// An internal partition (the metadata log, the committed-offsets log) seen from the main thread:
// opened and appended to through its owning shard, like any topic's log, and replayed at start-up
// through the fetch-side reader. What the records mean is the caller's business.
import { PartitionReader } from '../segments/reader.ts';
import { decodeRecordBatch, type DecodedRecord } from '../protocol/records.ts';
import { forEachBatch } from '../protocol/record-batch.ts';
import { ErrorCode, errorName } from '../protocol/errors.ts';

const REPLAY_CHUNK_BYTES = 4 * 1024 * 1024;

/** The owning shard's side of one internal partition, bound to it by the partition directory. */
export interface InternalLogShard {
  /** Opens (recovers) the partition on its shard. */
  open(): Promise<void>;
  /** Hands one batch to the shard; resolves once it is fsynced, whatever --fsync says. */
  appendSynced(records: Buffer): Promise<{ errorCode: number; errorMessage: string; baseOffset: bigint; recordCount: number }>;
  /** Moves the log start offset up to `offset` (DeleteRecords); whole segments below it are deleted. */
  deleteRecords(offset: bigint): Promise<{ errorCode: number; lowWatermark: bigint }>;
}

export interface InternalLogOptions {
  /** The partition's name, for messages. */
  name: string;
  /** Its directory, read by the fetch-side reader. */
  dir: string;
  /** Its watermark slot. */
  slot: number;
  shard: InternalLogShard;
  watermarks: { highWatermark(slot: number): bigint; logStartOffset(slot: number): bigint; segmentEpoch(slot: number): number };
}

export class InternalLog {
  readonly #o: InternalLogOptions;
  readonly #reader: PartitionReader;

  constructor(options: InternalLogOptions) {
    this.#o = options;
    this.#reader = new PartitionReader(options.dir);
  }

  async open(): Promise<void> {
    await this.#o.shard.open();
  }

  /** The offset of the first record still in the log. */
  get logStartOffset(): bigint {
    return this.#o.watermarks.logStartOffset(this.#o.slot);
  }

  /** The offset the next append gets. */
  get highWatermark(): bigint {
    return this.#o.watermarks.highWatermark(this.#o.slot);
  }

  /**
   * Visits every record from `from` (at the earliest the log start offset) to the high watermark,
   * in offset order; returns the bytes of the batches read, the measure of how much was replayed.
   */
  async replay(visit: (record: DecodedRecord) => void, from = 0n): Promise<{ bytes: number }> {
    const { watermarks } = this.#o;
    const slot = this.#o.slot;
    const highWatermark = watermarks.highWatermark(slot);
    let offset = watermarks.logStartOffset(slot);
    if (from > offset) offset = from;
    let bytes = 0;
    while (offset < highWatermark) {
      const visible = { highWatermark, logStartOffset: watermarks.logStartOffset(slot), segmentsVersion: watermarks.segmentEpoch(slot) };
      const result = await this.#reader.read(offset, REPLAY_CHUNK_BYTES, visible);
      if ('error' in result) throw new Error(`${this.#o.name} replay at offset ${offset}: ${result.error}`);
      if (result.records.length === 0) break;
      forEachBatch(result.records, (at, size) => {
        bytes += size;
        for (const record of decodeRecordBatch(result.records.subarray(at, at + size)).records) {
          // A fetch starts with the whole batch holding `offset`: skip what was already visited.
          if (record.offset < offset) continue;
          offset = record.offset + 1n;
          visit(record);
        }
      }, { origin: 'log' });
    }
    return { bytes };
  }

  /**
   * Hands batches to the shard at once, in order (so a later append never lands before them), and
   * resolves once all are fsynced, whatever --fsync says; rejects when any could not be written.
   * Resolves to the offset after the last record appended.
   */
  async append(batches: Buffer[]): Promise<{ nextOffset: bigint }> {
    const results = batches.map((batch) => this.#o.shard.appendSynced(batch));
    let nextOffset = -1n;
    for (const result of await Promise.all(results)) {
      if (result.errorCode !== ErrorCode.NONE) {
        throw new Error(`${this.#o.name} write failed: ${errorName(result.errorCode)} ${result.errorMessage}`);
      }
      const end = result.baseOffset + BigInt(result.recordCount);
      if (end > nextOffset) nextOffset = end;
    }
    return { nextOffset };
  }

  /** Deletes the log below `offset` (whole segments; the log start offset moves to `offset`). */
  async deleteBefore(offset: bigint): Promise<void> {
    const result = await this.#o.shard.deleteRecords(offset);
    if (result.errorCode !== ErrorCode.NONE) throw new Error(`${this.#o.name} delete before ${offset} failed: ${errorName(result.errorCode)}`);
  }

  async close(): Promise<void> {
    await this.#reader.close();
  }
}

/**
 * The settings of a coordinator's internal log: compacted as Kafka compacts __consumer_offsets and
 * __transaction_state (the last record per key is all replay needs), time and size retention off
 * (deleting a segment would forget live state).
 */
export function compactedInternalLogConfig(maxMessageBytes: number): Readonly<Record<string, string>> {
  return Object.freeze({
    'cleanup.policy': 'compact',
    'segment.bytes': String(64 * 1024 * 1024),
    'segment.ms': String(365 * 24 * 60 * 60 * 1000),
    'retention.ms': '-1',
    'retention.bytes': '-1',
    'max.message.bytes': String(maxMessageBytes),
  });
}

/**
 * Replays `log` through `decode`, calling `apply` for each record it knows; returns how many were
 * applied and warns once (naming the log) about the records of a format this version does not know.
 */
export async function replayKnown<T>(
  log: InternalLog, decode: (key: Buffer | null, value: Buffer | null) => T | undefined, apply: (entry: T) => void,
  logger: { warn(obj: object, msg: string): void }, name: string,
): Promise<number> {
  let count = 0;
  let unknown = 0;
  await log.replay((r) => {
    const entry = decode(r.key, r.value);
    if (entry === undefined) {
      unknown++;
      return;
    }
    apply(entry);
    count++;
  });
  if (unknown > 0) logger.warn({ unknown }, `${name}: skipped records of an unknown format`);
  return count;
}
