// The fetch-side view of one partition's log, for the MAIN thread (Fetch, ListOffsets): finds and
// returns whole batches below the high watermark with async fs only, while the shard appends.
//
// Visibility comes only from the caller's PartitionVisibility (read from the shared-memory slot,
// DESIGN §2). Bytes past the HWM may be on disk, unpublished or half written, so the reader walks
// batch headers and reads a header only for an offset below the HWM: never past it.
// A reader caches open files: when its partition is deleted (topic deletion), close it and make a
// new one for a recreated partition, or it may go on serving the deleted files' bytes.
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { HandleCache } from './handle-cache.ts';
import { batchInfoAt, type BatchInfo } from './batch-walk-sync.ts';
import { decodeRecords } from '../protocol/records.ts';
import { readRecordCount } from '../protocol/record-batch.ts';
import {
  ATTRIBUTE_COMPRESSION_MASK,
  ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND_TIME,
  BATCH_ATTRIBUTES,
  BATCH_BASE_TIMESTAMP,
  BATCH_HEADER_BYTES,
  BATCH_LENGTH,
  BATCH_LOG_OVERHEAD,
  BATCH_MAGIC,
  BATCH_MAGIC_V2,
  floorIndex,
  partitionDirName,
  segmentBasesIn,
  segmentPaths,
} from './layout.ts';
import { OffsetIndexEntries } from './offset-index.ts';
import { SegmentScanner } from './segment-scanner.ts';
import { TimeIndexEntries } from './time-index.ts';

/** What the caller read from the partition's shared-memory slot group, once per request. */
export interface PartitionVisibility {
  highWatermark: bigint;
  logStartOffset: bigint;
  segmentsVersion: number;
}

export type ReadResult =
  | {
      /** Whole batches; empty when fetchOffset is the high watermark. */
      records: Buffer;
      /** baseOffset of the first batch returned (<= fetchOffset), or fetchOffset when empty. */
      firstOffset: bigint;
      /** The offset after the last batch returned: where a sequential consumer fetches next. */
      nextOffset: bigint;
    }
  | { error: 'OFFSET_OUT_OF_RANGE' };

export interface OffsetAndTimestamp {
  offset: bigint;
  timestamp: bigint;
}

export interface PartitionReaderOptions {
  maxOpenFiles?: number;
  maxCursors?: number;
  maxCachedIndexes?: number;
}

// The first read of a fetch adapts to what this partition's fetches have been returning: a
// consumer catching up gets one read of up to 1 MiB (Java's max.partition.fetch.bytes), whose
// batches need no joining copy; a consumer at the tail gets small reads, because a fresh 1 MiB
// buffer per long-poll answer made the main thread spend a third of its time in GC (e2e at
// 10,000 rec/s, docs/notes/bench.md).
const MIN_FIRST_READ_BYTES = 16 * 1024;
const MAX_FIRST_READ_BYTES = 1024 * 1024;
const SCAN_READ_BYTES = 64 * 1024;

interface IndexCacheEntry<T> {
  entries: T;
  bytesRead: number;
  /** The segment had rolled when last read: its index file no longer changes. */
  sealed: boolean;
}

interface Cursor {
  segmentBase: bigint;
  position: number;
}

type BatchHeader = BatchInfo;

/** A segment vanished under the reader (retention): re-list, then answer from the new list. */
class SegmentGoneError extends Error {}

/** A cached cursor no longer points at its batch (the partition was recreated): forget cursors. */
class StaleCursorError extends Error {}

export class PartitionReader {
  readonly partitionDir: string;
  private readonly handles: HandleCache;
  private readonly maxCursors: number;
  private readonly maxCachedIndexes: number;
  private bases: bigint[] = [];
  private listedVersion: number | null = null;
  private listing: Promise<void> | null = null;
  // Keyed by the offset a sequential consumer will ask for next.
  private readonly cursors = new Map<bigint, Cursor>();
  /** Twice what the last fetch returned, within [MIN, MAX]_FIRST_READ_BYTES. */
  private firstReadBytes = 64 * 1024;
  private readonly offsetIndexes = new Map<bigint, IndexCacheEntry<OffsetIndexEntries>>();
  private readonly timeIndexes = new Map<bigint, IndexCacheEntry<TimeIndexEntries>>();
  private closed = false;

  constructor(partitionDir: string, options: PartitionReaderOptions = {}) {
    this.partitionDir = partitionDir;
    this.handles = new HandleCache(options.maxOpenFiles ?? 4);
    this.maxCursors = options.maxCursors ?? 32;
    this.maxCachedIndexes = options.maxCachedIndexes ?? 8;
  }

  static forPartition(dataDir: string, topic: string, partition: number, options?: PartitionReaderOptions): PartitionReader {
    return new PartitionReader(join(dataDir, partitionDirName(topic, partition)), options);
  }

  /**
   * Whole batches from the one containing `fetchOffset`, up to `maxBytes` (but at least one
   * batch, however large), all with baseOffset below the high watermark.
   */
  async read(fetchOffset: bigint, maxBytes: number, visible: PartitionVisibility): Promise<ReadResult> {
    this.assertOpen();
    if (fetchOffset < visible.logStartOffset || fetchOffset > visible.highWatermark) return { error: 'OFFSET_OUT_OF_RANGE' };
    if (fetchOffset === visible.highWatermark) return { records: Buffer.alloc(0), firstOffset: fetchOffset, nextOffset: fetchOffset };
    await this.ensureListed(visible.segmentsVersion);
    for (let attempt = 0; ; attempt++) {
      try {
        if (this.bases.length === 0 || fetchOffset < this.bases[0]) return { error: 'OFFSET_OUT_OF_RANGE' };
        return await this.readBatches(fetchOffset, maxBytes, visible.highWatermark);
      } catch (err) {
        if (err instanceof StaleCursorError && attempt < 2) {
          this.cursors.clear();
          continue;
        }
        if (!(err instanceof SegmentGoneError) || attempt >= 2) throw err;
        await this.relist(visible.segmentsVersion);
      }
    }
  }

  private async readBatches(fetchOffset: bigint, maxBytes: number, highWatermark: bigint): Promise<ReadResult> {
    const located = await this.locate(fetchOffset, highWatermark);
    let { segmentBase, position } = located;
    const spans: Buffer[] = [];
    let total = 0;
    let firstOffset = -1n;
    let nextOffset = fetchOffset;
    let expected = located.batchBase;
    while (total < maxBytes || spans.length === 0) {
      const moved = await this.withScanner(segmentBase, async (scanner) => {
        let readAhead = Math.min(Math.max(maxBytes - total, BATCH_HEADER_BYTES), this.firstReadBytes);
        // Stop by offset: the header of a batch at or past the HWM is never even read.
        while (expected < highWatermark && (total < maxBytes || spans.length === 0)) {
          const available = await scanner.load(position, BATCH_HEADER_BYTES, readAhead);
          if (available < BATCH_HEADER_BYTES) return true;
          const header = parseHeader(scanner.view(position, BATCH_HEADER_BYTES), position);
          if (header.baseOffset !== expected && spans.length === 0 && located.fromCursor) throw new StaleCursorError();
          if (header.baseOffset !== expected) throw new Error(`${this.partitionDir}: batch at ${segmentBase}+${position} has offset ${header.baseOffset}, expected ${expected}`);
          if (header.baseOffset >= highWatermark) return false;
          if (spans.length > 0 && total + header.size > maxBytes) return false;
          const have = await scanner.load(position, header.size, Math.max(readAhead, header.size));
          if (have < header.size) throw new Error(`${this.partitionDir}: batch at ${segmentBase}+${position} below the HWM is incomplete`);
          spans.push(scanner.view(position, header.size));
          if (firstOffset < 0n) firstOffset = header.baseOffset;
          total += header.size;
          position += header.size;
          expected = header.lastOffset + 1n;
          nextOffset = expected;
          readAhead = Math.min(Math.max(maxBytes - total, BATCH_HEADER_BYTES), readAhead * 2);
        }
        return false;
      });
      if (!moved) break;
      if (expected >= highWatermark) break;
      // End of this segment below the HWM: the next offset lives in the next segment.
      const next = await this.segmentStartingAt(expected);
      if (next === null) throw new Error(`${this.partitionDir}: no segment holds offset ${expected} below the HWM ${highWatermark}`);
      segmentBase = next;
      position = 0;
    }
    this.firstReadBytes = Math.min(MAX_FIRST_READ_BYTES, Math.max(MIN_FIRST_READ_BYTES, 2 * total));
    if (spans.length === 0) return { records: Buffer.alloc(0), firstOffset: fetchOffset, nextOffset: fetchOffset };
    this.rememberCursor(nextOffset, { segmentBase, position });
    return { records: joinSpans(spans, total), firstOffset, nextOffset };
  }

  /** Segment, position and baseOffset of the batch containing `offset` (< highWatermark). */
  private async locate(offset: bigint, highWatermark: bigint, relisted = false): Promise<Cursor & { batchBase: bigint; fromCursor: boolean }> {
    const cursor = this.cursors.get(offset);
    if (cursor && this.bases.includes(cursor.segmentBase)) return { ...cursor, batchBase: offset, fromCursor: true };
    const i = floorIndex(this.bases, offset);
    if (i < 0) throw new SegmentGoneError();
    const segmentBase = this.bases[i];
    const start = await this.indexFloor(segmentBase, offset, i === this.bases.length - 1);
    let found = await this.scanForOffset(segmentBase, start.position, start.offset, offset, highWatermark);
    if (found === null && start.position > 0) {
      // The index entry did not lead to the expected batch (stale or damaged): walk from the start.
      found = await this.scanForOffset(segmentBase, 0, segmentBase, offset, highWatermark);
    }
    if (found === 'end' && !relisted) {
      // The segment ends before `offset`: it lives in a segment rolled since the last listing.
      await this.relist(this.listedVersion ?? 0);
      return this.locate(offset, highWatermark, true);
    }
    if (found === null || found === 'end') throw new Error(`${this.partitionDir}: segment ${segmentBase} does not walk to offset ${offset} below the HWM ${highWatermark}`);
    return { segmentBase, position: found.position, batchBase: found.baseOffset, fromCursor: false };
  }

  /** Walks headers from `position` (where `expected` starts) to the batch containing `target`. */
  private async scanForOffset(segmentBase: bigint, position: number, expected: bigint, target: bigint, highWatermark: bigint): Promise<BatchHeader | 'end' | null> {
    return this.withScanner(segmentBase, async (scanner) => {
      let at = position;
      let next = expected;
      while (next < highWatermark) {
        if ((await scanner.load(at, BATCH_HEADER_BYTES, SCAN_READ_BYTES)) < BATCH_HEADER_BYTES) return 'end';
        const header = parseHeader(scanner.view(at, BATCH_HEADER_BYTES), at);
        if (header.baseOffset !== next) return null;
        if (header.lastOffset >= target) return header;
        at += header.size;
        next = header.lastOffset + 1n;
      }
      return null;
    });
  }

  /** Runs `use` with a scanner over the segment's .log; a deleted file becomes SegmentGoneError. */
  private async withScanner<T>(segmentBase: bigint, use: (scanner: SegmentScanner) => Promise<T>): Promise<T> {
    let lease;
    try {
      lease = await this.handles.acquire(segmentBase, segmentPaths(this.partitionDir, segmentBase).log);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new SegmentGoneError();
      throw err;
    }
    try {
      return await use(new SegmentScanner(lease.handle));
    } finally {
      lease.release();
    }
  }

  /** The listed segment whose base is exactly `offset`, re-listing once if it is not known yet. */
  private async segmentStartingAt(offset: bigint): Promise<bigint | null> {
    if (this.bases.includes(offset)) return offset;
    await this.relist(this.listedVersion ?? 0);
    return this.bases.includes(offset) ? offset : null;
  }

  private async indexFloor(segmentBase: bigint, offset: bigint, mayGrow: boolean): Promise<{ position: number; offset: bigint }> {
    const cached = await this.loadIndex(this.offsetIndexes, segmentBase, 'offsetIndex', mayGrow, () => new OffsetIndexEntries(), (entries, bytes) => entries.appendEncoded(bytes));
    const i = cached.floor(Number(offset - segmentBase));
    return i < 0 ? { position: 0, offset: segmentBase } : { position: cached.positionAt(i), offset: segmentBase + BigInt(cached.relativeOffsetAt(i)) };
  }

  /**
   * An index file's entries, cached; a segment that may still grow (the last listed) is re-read
   * from where the previous read stopped. Only whole entries are taken: a concurrent append may
   * leave a partial one at the end, read on the next call.
   */
  private async loadIndex<T>(
    cache: Map<bigint, IndexCacheEntry<T>>,
    segmentBase: bigint,
    kind: 'offsetIndex' | 'timeIndex',
    mayGrow: boolean,
    create: () => T,
    appendEncoded: (entries: T, bytes: Buffer) => number,
  ): Promise<T> {
    let cached = cache.get(segmentBase);
    if (cached) {
      cache.delete(segmentBase);
      cache.set(segmentBase, cached);
      if (cached.sealed) return cached.entries;
    } else {
      cached = { entries: create(), bytesRead: 0, sealed: false };
      cache.set(segmentBase, cached);
      for (const key of cache.keys()) {
        if (cache.size <= this.maxCachedIndexes) break;
        cache.delete(key);
      }
    }
    const entry = cached;
    try {
      const handle = await open(segmentPaths(this.partitionDir, segmentBase)[kind], 'r');
      try {
        const { size } = await handle.stat();
        if (size > entry.bytesRead) {
          const bytes = Buffer.allocUnsafe(size - entry.bytesRead);
          const { bytesRead } = await handle.read(bytes, 0, bytes.length, entry.bytesRead);
          entry.bytesRead += appendEncoded(entry.entries, bytes.subarray(0, bytesRead));
        }
      } finally {
        await handle.close();
      }
    } catch (err) {
      // A missing index only costs a longer scan; the log file decides whether the segment exists.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (!mayGrow) entry.sealed = true;
    return entry.entries;
  }

  private rememberCursor(offset: bigint, cursor: Cursor): void {
    this.cursors.delete(offset);
    this.cursors.set(offset, cursor);
    for (const key of this.cursors.keys()) {
      if (this.cursors.size <= this.maxCursors) break;
      this.cursors.delete(key);
    }
  }

  private async ensureListed(segmentsVersion: number): Promise<void> {
    if (this.listedVersion === segmentsVersion && this.bases.length > 0) return;
    await this.relist(segmentsVersion);
  }

  private relist(segmentsVersion: number): Promise<void> {
    if (this.listing) return this.listing;
    this.listing = (async () => {
      try {
        let names: string[];
        try {
          names = await readdir(this.partitionDir);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          names = [];
        }
        const bases = segmentBasesIn(names);
        const keep = new Set(bases);
        const lastBefore = this.bases[this.bases.length - 1];
        this.bases = bases;
        this.listedVersion = segmentsVersion;
        this.handles.retain(keep);
        for (const key of [...this.offsetIndexes.keys()]) if (!keep.has(key)) this.offsetIndexes.delete(key);
        for (const key of [...this.timeIndexes.keys()]) if (!keep.has(key)) this.timeIndexes.delete(key);
        for (const [key, cursor] of this.cursors) if (!keep.has(cursor.segmentBase)) this.cursors.delete(key);
        // A segment that was last and no longer is has rolled: its cached indexes get one final read.
        if (lastBefore !== undefined && lastBefore !== bases[bases.length - 1]) {
          const entry = this.offsetIndexes.get(lastBefore);
          if (entry) entry.sealed = false;
          const time = this.timeIndexes.get(lastBefore);
          if (time) time.sealed = false;
        }
      } finally {
        this.listing = null;
      }
    })();
    return this.listing;
  }

  /**
   * ListOffsets by timestamp: the first offset (>= logStartOffset, < HWM) whose timestamp is >= `timestamp`.
   * Batch level via the time index, then record level inside an uncompressed batch; inside a
   * compressed batch the answer is the batch's baseOffset and its maxTimestamp (records are
   * never decompressed on the broker).
   */
  async offsetForTimestamp(timestamp: bigint, visible: PartitionVisibility): Promise<OffsetAndTimestamp | null> {
    this.assertOpen();
    await this.ensureListed(visible.segmentsVersion);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.findTimestamp(timestamp, visible);
      } catch (err) {
        if (!(err instanceof SegmentGoneError) || attempt >= 2) throw err;
        await this.relist(visible.segmentsVersion);
      }
    }
  }

  private async findTimestamp(timestamp: bigint, visible: PartitionVisibility): Promise<OffsetAndTimestamp | null> {
    const { highWatermark, logStartOffset } = visible;
    const bases = [...this.bases];
    for (let i = 0; i < bases.length; i++) {
      const segmentBase = bases[i];
      if (segmentBase >= highWatermark) break;
      const segmentEnd = i + 1 < bases.length ? bases[i + 1] : null;
      if (segmentEnd !== null && segmentEnd <= logStartOffset) continue;
      const sealed = segmentEnd !== null;
      const times = await this.loadIndex(this.timeIndexes, segmentBase, 'timeIndex', !sealed, () => new TimeIndexEntries(), (entries, bytes) => entries.appendEncoded(bytes));
      // A rolled segment's last time entry is its largest timestamp: skip it without a scan.
      if (sealed && segmentEnd <= highWatermark && times.count > 0 && times.lastTimestamp < timestamp) continue;
      const k = times.floor(timestamp);
      const scanFrom = k < 0 ? segmentBase : segmentBase + BigInt(times.relativeOffsetAt(k));
      const start = await this.indexFloor(segmentBase, scanFrom, !sealed);
      const hit = await this.walkSegment(segmentBase, start.position, start.offset, highWatermark, (header) =>
        header.lastOffset >= logStartOffset && header.maxTimestamp >= timestamp,
      );
      if (hit) {
        const exact = await this.recordAtOrAfter(segmentBase, hit, (recordTimestamp) => recordTimestamp >= timestamp);
        return exact.offset < logStartOffset ? { offset: logStartOffset, timestamp: exact.timestamp } : exact;
      }
    }
    return null;
  }

  /**
   * ListOffsets MAX_TIMESTAMP: the offset and timestamp of the largest timestamp below the HWM
   * (the first record carrying it in an uncompressed batch, else that batch's baseOffset).
   */
  async maxTimestamp(visible: PartitionVisibility): Promise<OffsetAndTimestamp | null> {
    this.assertOpen();
    await this.ensureListed(visible.segmentsVersion);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.findMaxTimestamp(visible);
      } catch (err) {
        if (!(err instanceof SegmentGoneError) || attempt >= 2) throw err;
        await this.relist(visible.segmentsVersion);
      }
    }
  }

  private async findMaxTimestamp(visible: PartitionVisibility): Promise<OffsetAndTimestamp | null> {
    const { highWatermark, logStartOffset } = visible;
    const bases = [...this.bases];
    let best: { segmentBase: bigint; header: BatchHeader } | null = null;
    let bestTimestamp = -1n;
    let bestOffset = -1n;
    let bestSegment = -1n;
    for (let i = 0; i < bases.length; i++) {
      const segmentBase = bases[i];
      if (segmentBase >= highWatermark) break;
      const segmentEnd = i + 1 < bases.length ? bases[i + 1] : null;
      if (segmentEnd !== null && segmentEnd <= logStartOffset) continue;
      const wholeVisible = segmentEnd !== null && segmentEnd <= highWatermark;
      const times = await this.loadIndex(this.timeIndexes, segmentBase, 'timeIndex', segmentEnd === null, () => new TimeIndexEntries(), (entries, bytes) => entries.appendEncoded(bytes));
      // Entries of batches at or past the HWM do not count; the last one below it is a lower bound.
      let k = times.count - 1;
      while (k >= 0 && segmentBase + BigInt(times.relativeOffsetAt(k)) >= highWatermark) k--;
      if (k >= 0 && times.timestampAt(k) > bestTimestamp) {
        bestTimestamp = times.timestampAt(k);
        bestOffset = segmentBase + BigInt(times.relativeOffsetAt(k));
        bestSegment = segmentBase;
        best = null;
      }
      if (wholeVisible && times.count > 0) continue;
      // The time index is sparse: scan the batches after its last usable entry.
      const scanFrom = k < 0 ? segmentBase : segmentBase + BigInt(times.relativeOffsetAt(k));
      const start = await this.indexFloor(segmentBase, scanFrom, segmentEnd === null);
      await this.walkSegment(segmentBase, start.position, start.offset, highWatermark, (header) => {
        if (header.maxTimestamp > bestTimestamp) {
          bestTimestamp = header.maxTimestamp;
          bestOffset = header.baseOffset;
          bestSegment = segmentBase;
          best = { segmentBase, header };
        }
        return false;
      });
    }
    if (bestOffset < 0n) return null;
    let found = best as { segmentBase: bigint; header: BatchHeader } | null;
    if (found === null) {
      const start = await this.indexFloor(bestSegment, bestOffset, true);
      const target = bestOffset;
      const header = await this.walkSegment(bestSegment, start.position, start.offset, highWatermark, (h) => h.baseOffset === target);
      if (!header) return { offset: bestOffset, timestamp: bestTimestamp };
      found = { segmentBase: bestSegment, header };
    }
    const timestamp = bestTimestamp;
    return this.recordAtOrAfter(found.segmentBase, found.header, (recordTimestamp) => recordTimestamp === timestamp);
  }

  /** Walks batch headers below the HWM from `position`; returns the first that `stop` accepts. */
  private async walkSegment(segmentBase: bigint, position: number, expected: bigint, highWatermark: bigint, stop: (header: BatchHeader) => boolean): Promise<BatchHeader | null> {
    return this.withScanner(segmentBase, async (scanner) => {
      let at = position;
      let next = expected;
      while (next < highWatermark) {
        if ((await scanner.load(at, BATCH_HEADER_BYTES, SCAN_READ_BYTES)) < BATCH_HEADER_BYTES) return null;
        const header = parseHeader(scanner.view(at, BATCH_HEADER_BYTES), at);
        if (header.baseOffset !== next) return null;
        if (stop(header)) return header;
        at += header.size;
        next = header.lastOffset + 1n;
      }
      return null;
    });
  }

  /** The first record of the batch whose timestamp satisfies `accept`, reading the batch body. */
  private async recordAtOrAfter(segmentBase: bigint, header: BatchHeader, accept: (timestamp: bigint) => boolean): Promise<OffsetAndTimestamp> {
    const batch = await this.withScanner(segmentBase, async (scanner) => {
      const have = await scanner.load(header.position, header.size, header.size);
      return have < header.size ? null : scanner.view(header.position, header.size);
    });
    if (batch === null) return { offset: header.baseOffset, timestamp: header.maxTimestamp };
    const attributes = batch.readInt16BE(BATCH_ATTRIBUTES);
    if ((attributes & ATTRIBUTE_COMPRESSION_MASK) !== 0) return { offset: header.baseOffset, timestamp: header.maxTimestamp };
    // Under LogAppendTime every record carries the batch's maxTimestamp.
    if ((attributes & ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND_TIME) !== 0) return { offset: header.baseOffset, timestamp: header.maxTimestamp };
    const baseTimestamp = batch.readBigInt64BE(BATCH_BASE_TIMESTAMP);
    for (const record of decodeRecords(batch.subarray(BATCH_HEADER_BYTES), readRecordCount(batch, 0))) {
      const recordTimestamp = baseTimestamp + record.timestampDelta;
      if (accept(recordTimestamp)) return { offset: header.baseOffset + BigInt(record.offsetDelta), timestamp: recordTimestamp };
    }
    return { offset: header.baseOffset, timestamp: header.maxTimestamp };
  }

  /** Closes every cached file handle. */
  async close(): Promise<void> {
    this.closed = true;
    this.cursors.clear();
    this.offsetIndexes.clear();
    this.timeIndexes.clear();
    await this.handles.closeAll();
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`reader of ${this.partitionDir} is closed`);
  }
}

function parseHeader(view: Buffer, position: number): BatchHeader {
  if (view.readInt32BE(BATCH_LENGTH) < BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD || view.readInt8(BATCH_MAGIC) !== BATCH_MAGIC_V2) {
    throw new Error(`not a RecordBatch v2 header at position ${position}`);
  }
  return batchInfoAt(view, 0, position);
}

/**
 * The batches of one fetch as one Buffer: a view when they lie end to end in one read buffer (the
 * common case), else one copy.
 */
function joinSpans(spans: Buffer[], total: number): Buffer {
  const first = spans[0]!;
  let end = first.byteOffset + first.length;
  for (let i = 1; i < spans.length; i++) {
    const span = spans[i]!;
    if (span.buffer !== first.buffer || span.byteOffset !== end) return Buffer.concat(spans, total);
    end += span.length;
  }
  // A small answer out of a large read buffer is copied out, so a long poll that returns a few
  // records does not keep a 1 MiB buffer alive until its response is written.
  if (total * 4 < first.buffer.byteLength) return Buffer.from(Buffer.from(first.buffer, first.byteOffset, total));
  return Buffer.from(first.buffer, first.byteOffset, total);
}
