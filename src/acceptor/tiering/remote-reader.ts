// The fetch path's reader of one partition's remote segments (MAIN thread): finds the segment
// holding an offset in the remote record the owning shard writes, locates the batch with the
// uploaded .index, and reads whole batches with ranged GETs through the chunk cache. It serves
// only offsets below the local log start its caller read from the watermark slot (DESIGN §2):
// every offset comes from exactly one tier.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ObjectStoreError, type ObjectStore } from '../../object-store/object-store.ts';
import { readRecordCount } from '../../protocol/record-batch.ts';
import { decodeRecords } from '../../protocol/records.ts';
import {
  ATTRIBUTE_COMPRESSION_MASK, ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND_TIME, BATCH_ATTRIBUTES, BATCH_BASE_TIMESTAMP, BATCH_HEADER_BYTES, BATCH_LAST_OFFSET_DELTA,
  BATCH_MAX_TIMESTAMP, OFFSET_INDEX_ENTRY_BYTES, TIME_INDEX_ENTRY_BYTES,
} from '../../segments/layout.ts';
import { REMOTE_RECORD_FILE, decodeRemoteRecord, segmentObjectKey, type RemoteRecord, type RemoteSegment } from '../../segments/remote-record.ts';
import { decodeAbortedTxns } from '../../segments/txn-index.ts';
import { REMOTE_CHUNK_BYTES, type ChunkCache } from './chunk-cache.ts';
import type { TierMetrics } from './tier-metrics.ts';

/** A GET slower than this fails the read (KAFKA_STORAGE_ERROR, which clients retry). */
const REMOTE_READ_TIMEOUT_MS = 30_000;
/** Offsets and length field of a batch frame: baseOffset int64, batchLength int32. */
const FRAME_OVERHEAD = 12;

/** What the caller read from the slot, once per request: the record is re-read when it changes. */
export interface RemoteVisibility {
  logStartOffset: bigint;
  localLogStartOffset: bigint;
  segmentsVersion: number;
}

export class RemoteReadError extends Error {}

export class RemoteLogReader {
  readonly #partitionDir: string;
  readonly #topicId: string;
  readonly #partition: number;
  readonly #store: ObjectStore;
  readonly #cache: ChunkCache;
  readonly #metrics: TierMetrics | undefined;
  #record: RemoteRecord | null = null;
  #recordSeen = '';

  constructor(options: { partitionDir: string; topicId: string; partition: number; store: ObjectStore; cache: ChunkCache; metrics?: TierMetrics }) {
    this.#partitionDir = options.partitionDir;
    this.#topicId = options.topicId;
    this.#partition = options.partition;
    this.#store = options.store;
    this.#cache = options.cache;
    this.#metrics = options.metrics;
  }

  async #segments(visible: RemoteVisibility): Promise<RemoteSegment[]> {
    const seen = `${visible.segmentsVersion}/${visible.logStartOffset}/${visible.localLogStartOffset}`;
    if (this.#record === null || seen !== this.#recordSeen) {
      try {
        this.#record = decodeRemoteRecord(await readFile(join(this.#partitionDir, REMOTE_RECORD_FILE)));
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
        this.#record = { logStartOffset: -1n, segments: [], pendingDeletes: [] };
      }
      this.#recordSeen = seen;
    }
    return this.#record.segments;
  }

  async #segmentHolding(offset: bigint, visible: RemoteVisibility): Promise<{ segment: RemoteSegment; index: number; all: RemoteSegment[] } | null> {
    const all = await this.#segments(visible);
    for (let i = all.length - 1; i >= 0; i--) {
      const segment = all[i]!;
      if (segment.baseOffset <= offset) return offset < segment.nextOffset ? { segment, index: i, all } : null;
    }
    return null;
  }

  #key(segment: RemoteSegment, object: 'log' | 'index' | 'timeindex' | 'txnindex'): string {
    return segmentObjectKey(this.#topicId, this.#partition, segment.baseOffset, object);
  }

  async #timed<T>(op: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const began = performance.now();
    try {
      return await op(AbortSignal.timeout(REMOTE_READ_TIMEOUT_MS));
    } catch (err) {
      this.#metrics?.errors.inc({ operation: 'fetch', kind: err instanceof ObjectStoreError ? err.kind : 'unavailable' });
      throw new RemoteReadError(`remote read of ${this.#topicId}/${this.#partition} failed: ${(err as Error).message}`, { cause: err });
    } finally {
      this.#metrics?.remoteFetchSeconds.observe((performance.now() - began) / 1000);
    }
  }

  /** A whole small object (an index), cached. */
  #whole(key: string): Promise<Buffer> {
    return this.#cache.get(`${key}#all`, () => this.#timed(async (signal) => (await this.#store.get(key, signal)) ?? Buffer.alloc(0)));
  }

  /** Bytes [position, position + length) of a segment's .log object, from cached chunks. */
  async #logBytes(segment: RemoteSegment, position: number, length: number): Promise<Buffer> {
    const end = Math.min(segment.size, position + length);
    if (end <= position) return Buffer.alloc(0);
    const key = this.#key(segment, 'log');
    const parts: Buffer[] = [];
    for (let chunk = Math.floor(position / REMOTE_CHUNK_BYTES); chunk * REMOTE_CHUNK_BYTES < end; chunk++) {
      const chunkStart = chunk * REMOTE_CHUNK_BYTES;
      const bytes = await this.#cache.get(`${key}#${chunk}`, () => this.#timed((signal) => this.#store.getRange(key, chunkStart, Math.min(REMOTE_CHUNK_BYTES, segment.size - chunkStart), signal)));
      parts.push(bytes.subarray(Math.max(0, position - chunkStart), Math.min(bytes.length, end - chunkStart)));
    }
    const out = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
    if (out.length < end - position) throw new RemoteReadError(`remote segment ${key} is shorter than its manifest says`);
    return out;
  }

  /** Position in the .log of the index entry at or below `offset` (0 when none). */
  async #indexFloor(segment: RemoteSegment, offset: bigint): Promise<number> {
    const index = await this.#whole(this.#key(segment, 'index'));
    const relative = Number(offset - segment.baseOffset);
    let lo = 0;
    let hi = Math.floor(index.length / OFFSET_INDEX_ENTRY_BYTES) - 1;
    let position = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (index.readInt32BE(mid * OFFSET_INDEX_ENTRY_BYTES) <= relative) {
        position = index.readInt32BE(mid * OFFSET_INDEX_ENTRY_BYTES + 4);
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return position;
  }

  /**
   * Whole batches from the one holding `fetchOffset`, up to `maxBytes` (at least one batch), none
   * with a base offset at or past `limit` (the caller's min of the local log start and the
   * visibility limit). Batches come from one remote segment; the consumer's next fetch goes on
   * from `nextOffset`. null: no remote segment holds the offset (the record moved meanwhile).
   */
  async read(fetchOffset: bigint, maxBytes: number, limit: bigint, visible: RemoteVisibility): Promise<{ records: Buffer; nextOffset: bigint } | null> {
    const found = await this.#segmentHolding(fetchOffset, visible);
    if (found === null) return null;
    const segment = found.segment;
    let position = await this.#indexFloor(segment, fetchOffset);
    // Walk headers to the batch holding fetchOffset.
    for (;;) {
      if (position + BATCH_HEADER_BYTES > segment.size) return null;
      const header = await this.#logBytes(segment, position, BATCH_HEADER_BYTES);
      const base = header.readBigInt64BE(0);
      const frameSize = FRAME_OVERHEAD + header.readInt32BE(8);
      if (base >= limit) return { records: Buffer.alloc(0), nextOffset: fetchOffset };
      if (base + BigInt(header.readInt32BE(BATCH_LAST_OFFSET_DELTA)) >= fetchOffset) break;
      position += frameSize;
    }
    const span = await this.#logBytes(segment, position, Math.max(maxBytes, BATCH_HEADER_BYTES));
    let at = 0;
    let nextOffset = fetchOffset;
    while (at + BATCH_HEADER_BYTES <= span.length) {
      const base = span.readBigInt64BE(at);
      if (base >= limit) break;
      const frameSize = FRAME_OVERHEAD + span.readInt32BE(at + 8);
      if (at + frameSize > span.length) break;
      nextOffset = base + BigInt(span.readInt32BE(at + BATCH_LAST_OFFSET_DELTA)) + 1n;
      at += frameSize;
    }
    let records: Buffer;
    if (at === 0) {
      // The first batch is larger than maxBytes: it is returned whole all the same.
      const header = await this.#logBytes(segment, position, BATCH_HEADER_BYTES);
      if (header.readBigInt64BE(0) >= limit) return { records: Buffer.alloc(0), nextOffset: fetchOffset };
      records = Buffer.from(await this.#logBytes(segment, position, FRAME_OVERHEAD + header.readInt32BE(8)));
      nextOffset = header.readBigInt64BE(0) + BigInt(header.readInt32BE(BATCH_LAST_OFFSET_DELTA)) + 1n;
    } else {
      // A copy: the response must not pin a cached chunk after it leaves the cache.
      records = Buffer.from(span.subarray(0, at));
    }
    this.#metrics?.remoteFetchBytes.inc(records.length);
    return { records, nextOffset };
  }

  /**
   * read_committed: aborted transactions overlapping [fetchOffset, servedEnd), from the uploaded
   * .txnindex of the segment holding fetchOffset and the remote segments after it, walked as
   * Kafka walks them (an entry counts when its marker is at or past fetchOffset and it began below
   * servedEnd; the walk ends at the first entry whose lastStableOffset reaches servedEnd).
   * `complete` is false when the walk reached the last remote segment without ending: the caller
   * goes on in the local segments.
   */
  async abortedTransactions(fetchOffset: bigint, servedEnd: bigint, visible: RemoteVisibility): Promise<{ entries: { producerId: bigint; firstOffset: bigint }[]; complete: boolean }> {
    const found = await this.#segmentHolding(fetchOffset, visible);
    const entries: { producerId: bigint; firstOffset: bigint }[] = [];
    if (found === null) return { entries, complete: false };
    for (let i = found.index; i < found.all.length; i++) {
      const segment = found.all[i]!;
      if (segment.baseOffset >= visible.localLogStartOffset) break;
      if (!segment.txnIndex) continue;
      for (const t of decodeAbortedTxns(await this.#whole(this.#key(segment, 'txnindex')))) {
        if (t.lastOffset >= fetchOffset && t.firstOffset < servedEnd) entries.push({ producerId: t.producerId, firstOffset: t.firstOffset });
        if (t.lastStableOffset >= servedEnd) return { entries, complete: true };
      }
    }
    return { entries, complete: false };
  }

  /**
   * ListOffsets by timestamp in the remote tier: the first offset below `limit` whose record
   * timestamp is at or after `timestamp`, or null when no remote segment has one (the local tier
   * is searched next).
   */
  async offsetForTimestamp(timestamp: bigint, limit: bigint, visible: RemoteVisibility): Promise<{ offset: bigint; timestamp: bigint; leaderEpoch: number } | null> {
    const all = await this.#segments(visible);
    for (const segment of all) {
      if (segment.baseOffset >= limit || segment.nextOffset <= visible.logStartOffset) continue;
      if (segment.maxTimestamp < timestamp) continue;
      // The time index: the last entry whose timestamp is below the target gives where to start.
      const times = await this.#whole(this.#key(segment, 'timeindex'));
      let startOffset = segment.baseOffset;
      for (let at = 0; at + TIME_INDEX_ENTRY_BYTES <= times.length; at += TIME_INDEX_ENTRY_BYTES) {
        if (times.readBigInt64BE(at) >= timestamp) break;
        startOffset = segment.baseOffset + BigInt(times.readInt32BE(at + 8));
      }
      let position = await this.#indexFloor(segment, startOffset);
      while (position + BATCH_HEADER_BYTES <= segment.size) {
        const header = await this.#logBytes(segment, position, BATCH_HEADER_BYTES);
        const base = header.readBigInt64BE(0);
        if (base >= limit) return null;
        const frameSize = FRAME_OVERHEAD + header.readInt32BE(8);
        if (header.readBigInt64BE(BATCH_MAX_TIMESTAMP) >= timestamp && base >= visible.logStartOffset) {
          return this.#recordAtOrAfter(await this.#logBytes(segment, position, frameSize), timestamp);
        }
        position += frameSize;
      }
    }
    return null;
  }

  #recordAtOrAfter(batch: Buffer, timestamp: bigint): { offset: bigint; timestamp: bigint; leaderEpoch: number } {
    const base = batch.readBigInt64BE(0);
    const maxTimestamp = batch.readBigInt64BE(BATCH_MAX_TIMESTAMP);
    const leaderEpoch = batch.readInt32BE(12);
    const attributes = batch.readInt16BE(BATCH_ATTRIBUTES);
    if ((attributes & ATTRIBUTE_COMPRESSION_MASK) !== 0 || (attributes & ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND_TIME) !== 0) return { offset: base, timestamp: maxTimestamp, leaderEpoch };
    const baseTimestamp = batch.readBigInt64BE(BATCH_BASE_TIMESTAMP);
    for (const record of decodeRecords(batch.subarray(BATCH_HEADER_BYTES), readRecordCount(batch, 0))) {
      const recordTimestamp = baseTimestamp + record.timestampDelta;
      if (recordTimestamp >= timestamp) return { offset: base + BigInt(record.offsetDelta), timestamp: recordTimestamp, leaderEpoch };
    }
    return { offset: base, timestamp: maxTimestamp, leaderEpoch };
  }
}
