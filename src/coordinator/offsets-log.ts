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
// The consumer groups of KIP-848 keep their records in this log too (consumer-group-log.ts), and so
// do the classic groups (classic-group-log.ts).
import type { Logger } from 'pino';
import { buildRecordBatch, type RecordInput } from '../protocol/records.ts';
import { compactedInternalLogConfig, replayKnown, type InternalLog } from '../metadata/internal-log.ts';
import { RESERVED_TOPIC_PREFIX } from '../metadata/cluster-metadata.ts';
import { type ConsumerGroupLogEntry, decodeConsumerGroupEntry, encodeConsumerGroupEntry, isConsumerGroupEntry } from './consumer-group-log.ts';
import { type ClassicGroupLogEntry, decodeClassicGroupEntry, encodeClassicGroupEntry, isClassicGroupEntry } from './classic-group-log.ts';

export const OFFSETS_TOPIC = `${RESERVED_TOPIC_PREFIX}_consumer_offsets`;
export const OFFSETS_LOG_FORMAT = 1;

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

/** Everything the coordinator's log holds: committed offsets, consumer-group and classic-group state. */
export type CoordinatorLogEntry = OffsetLogEntry | ConsumerGroupLogEntry | ClassicGroupLogEntry;

/** Where the coordinator writes its changes; the broker gives it an OffsetsLog, unit tests a fake. */
export interface OffsetsStore {
  /** Resolves once the entries are durable; rejects when they could not be written. */
  append(entries: readonly CoordinatorLogEntry[]): Promise<void>;
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

export class OffsetsLog implements OffsetsStore {
  readonly #log: InternalLog;
  readonly #logger: Logger;

  constructor(log: InternalLog, logger: Logger) {
    this.#log = log;
    this.#logger = logger;
  }

  /**
   * Time and size retention are off: deleting a segment would forget live commits. Expired groups
   * are removed with tombstones instead, and the log is compacted as Kafka's __consumer_offsets
   * is (the last record per group/topic/partition is all replay needs; tombstones go after
   * delete.retention.ms), so it stops growing.
   */
  static readonly LOG_CONFIG = compactedInternalLogConfig(2 * MAX_BATCH_PAYLOAD_BYTES + 64 * 1024);


  async open(): Promise<void> {
    await this.#log.open();
  }

  /** Calls `apply` for every entry from the log start offset to the high watermark, in order. */
  async replay(apply: (entry: CoordinatorLogEntry) => void): Promise<number> {
    const decode = (key: Buffer | null, value: Buffer | null): CoordinatorLogEntry | undefined =>
      decodeOffsetEntry(key, value) ?? decodeConsumerGroupEntry(key, value) ?? decodeClassicGroupEntry(key, value);
    return replayKnown(this.#log, decode, apply, this.#logger, 'offsets log');
  }

  async append(entries: readonly CoordinatorLogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const batches: Buffer[] = [];
    let records: RecordInput[] = [];
    let bytes = 0;
    const flush = () => {
      if (records.length === 0) return;
      batches.push(buildRecordBatch({ baseTimestamp: BigInt(Date.now()), records }));
      records = [];
      bytes = 0;
    };
    for (const entry of entries) {
      const record = isConsumerGroupEntry(entry) ? encodeConsumerGroupEntry(entry)
        : isClassicGroupEntry(entry) ? encodeClassicGroupEntry(entry) : encodeOffsetEntry(entry);
      const size = record.key!.length + (record.value?.length ?? 0) + 32;
      if (bytes + size > MAX_BATCH_PAYLOAD_BYTES) flush();
      records.push(record);
      bytes += size;
    }
    flush();
    await this.#log.append(batches);
  }

  async close(): Promise<void> {
    await this.#log.close();
  }
}
