// The durable log of committed consumer offsets: an internal partition owned by one shard, written
// through the same append, fsync and recovery code as every topic's log, and replayed at start-up.
// Offsets are always fsynced before a commit is acknowledged, whatever --fsync says.
//
// Record layout (format version OFFSETS_LOG_FORMAT; a change bumps it):
//
//   key   = JSON [OFFSETS_LOG_FORMAT, "offset", group, topic, partition]
//   value = JSON { offset: "<bigint>", leaderEpoch: int, metadata: string|null,
//                  commitTimestamp: "<bigint>" }
//         | null                     tombstone: the commit was deleted (expiry, DeleteGroups,
//                                    OffsetDelete)
//
// The last record for a key wins, so replay is a fold from the log start offset to the HWM.
import type { Logger } from 'pino';
import type { ShardPool, OpenPartitionRequest } from '../shard-worker/pool.ts';
import type { WatermarkTable } from '../shared-mem/layout.ts';
import { PartitionReader } from '../segments/reader.ts';
import { buildRecordBatch, decodeRecordBatch, type RecordInput } from '../protocol/records.ts';
import { forEachBatch } from '../protocol/record-batch.ts';
import { ErrorCode, errorName } from '../protocol/errors.ts';

export const OFFSETS_TOPIC = '__highwater_consumer_offsets';
export const OFFSETS_LOG_FORMAT = 1;

const REPLAY_CHUNK_BYTES = 4 * 1024 * 1024;
/** One commit is split into batches of at most this many bytes (of keys and values). */
const MAX_BATCH_PAYLOAD_BYTES = 512 * 1024;

export interface CommittedOffset {
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
  commitTimestamp: bigint;
}

/** One change to the committed offsets; `value: null` deletes the commit. */
export interface OffsetLogEntry {
  group: string;
  topic: string;
  partition: number;
  value: CommittedOffset | null;
}

/** Where the coordinator writes its changes; the broker gives it an OffsetsLog, unit tests a fake. */
export interface OffsetsStore {
  /** Resolves once the entries are durable; rejects when they could not be written. */
  append(entries: OffsetLogEntry[]): Promise<void>;
}

export function encodeOffsetEntry(entry: OffsetLogEntry): RecordInput {
  const key = Buffer.from(JSON.stringify([OFFSETS_LOG_FORMAT, 'offset', entry.group, entry.topic, entry.partition]));
  const v = entry.value;
  const value = v === null ? null : Buffer.from(JSON.stringify({
    offset: String(v.offset), leaderEpoch: v.leaderEpoch, metadata: v.metadata, commitTimestamp: String(v.commitTimestamp),
  }));
  return { key, value, headers: [] };
}

/** Returns undefined for a record this version does not know (skipped, with a warning by the caller). */
export function decodeOffsetEntry(key: Buffer | null, value: Buffer | null): OffsetLogEntry | undefined {
  if (key === null) return undefined;
  const k = JSON.parse(key.toString('utf8')) as unknown[];
  if (!Array.isArray(k) || k[0] !== OFFSETS_LOG_FORMAT || k[1] !== 'offset') return undefined;
  const [, , group, topic, partition] = k as [number, string, string, string, number];
  if (value === null) return { group, topic, partition, value: null };
  const v = JSON.parse(value.toString('utf8')) as { offset: string; leaderEpoch: number; metadata: string | null; commitTimestamp: string };
  return {
    group, topic, partition,
    value: { offset: BigInt(v.offset), leaderEpoch: v.leaderEpoch, metadata: v.metadata, commitTimestamp: BigInt(v.commitTimestamp) },
  };
}

export interface OffsetsLogOptions {
  shards: ShardPool;
  shard: number;
  slot: number;
  dir: string;
  watermarks: WatermarkTable;
  log: Logger;
}

export class OffsetsLog implements OffsetsStore {
  readonly #o: OffsetsLogOptions;
  readonly #reader: PartitionReader;

  constructor(options: OffsetsLogOptions) {
    this.#o = options;
    this.#reader = new PartitionReader(options.dir);
  }

  /**
   * Time and size retention are off: deleting a segment would forget live commits. Expired groups
   * are removed with tombstones instead.
   */
  static readonly LOG_CONFIG: Readonly<Record<string, string>> = Object.freeze({
    'segment.bytes': String(64 * 1024 * 1024),
    'segment.ms': String(365 * 24 * 60 * 60 * 1000),
    'retention.ms': '-1',
    'retention.bytes': '-1',
    'max.message.bytes': String(2 * MAX_BATCH_PAYLOAD_BYTES + 64 * 1024),
  });

  openRequest(): OpenPartitionRequest {
    return { slot: this.#o.slot, topic: OFFSETS_TOPIC, partition: 0, dir: this.#o.dir, config: { ...OffsetsLog.LOG_CONFIG } };
  }

  async open(): Promise<void> {
    await this.#o.shards.openPartition(this.#o.shard, this.openRequest());
  }

  /** Calls `apply` for every entry from the log start offset to the high watermark, in order. */
  async replay(apply: (entry: OffsetLogEntry) => void): Promise<number> {
    const { watermarks, slot } = this.#o;
    const highWatermark = watermarks.highWatermark(slot);
    let offset = watermarks.logStartOffset(slot);
    let count = 0;
    let unknown = 0;
    while (offset < highWatermark) {
      const visibility = { highWatermark, logStartOffset: watermarks.logStartOffset(slot), segmentsVersion: watermarks.segmentEpoch(slot) };
      const result = await this.#reader.read(offset, REPLAY_CHUNK_BYTES, visibility);
      if ('error' in result) throw new Error(`offsets log replay at offset ${offset}: ${result.error}`);
      if (result.records.length === 0) break;
      forEachBatch(result.records, (at, size) => {
        const batch = decodeRecordBatch(result.records.subarray(at, at + size));
        for (const r of batch.records) {
          if (r.offset < offset) continue;
          offset = r.offset + 1n;
          const entry = decodeOffsetEntry(r.key, r.value);
          if (entry) {
            apply(entry);
            count++;
          } else unknown++;
        }
      }, { origin: 'log' });
    }
    if (unknown > 0) this.#o.log.warn({ unknown }, 'offsets log: skipped records of an unknown format');
    return count;
  }

  async append(entries: OffsetLogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    // Batches go into the ring synchronously, in order, so a later append never lands before them.
    const appends: Promise<{ errorCode: number; errorMessage: string | null }>[] = [];
    let records: RecordInput[] = [];
    let bytes = 0;
    const flush = () => {
      if (records.length === 0) return;
      const batch = buildRecordBatch({ baseTimestamp: BigInt(Date.now()), records });
      appends.push(this.#o.shards.append(this.#o.shard, this.#o.slot, batch, { forceSync: true }));
      records = [];
      bytes = 0;
    };
    for (const entry of entries) {
      const record = encodeOffsetEntry(entry);
      const size = record.key!.length + (record.value?.length ?? 0) + 32;
      if (bytes + size > MAX_BATCH_PAYLOAD_BYTES) flush();
      records.push(record);
      bytes += size;
    }
    flush();
    for (const result of await Promise.all(appends)) {
      if (result.errorCode !== ErrorCode.NONE) {
        throw new Error(`offsets log write failed: ${errorName(result.errorCode)} ${result.errorMessage ?? ''}`);
      }
    }
  }

  async close(): Promise<void> {
    await this.#reader.close();
  }
}
