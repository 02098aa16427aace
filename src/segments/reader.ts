// The fetch-side view of one partition's log, for the MAIN thread (Fetch, ListOffsets): finds and
// returns whole batches below the high watermark with async fs only, while the shard appends.
//
// Visibility comes only from the caller's PartitionVisibility (read from the shared-memory slot,
// DESIGN §2). Bytes past the HWM may be on disk, unpublished or half written, so the reader walks
// batch headers and reads a header only for an offset below the HWM: never past it.
// A reader caches open files: when its partition is deleted (topic deletion), close it and make a
// new one for a recreated partition, or it may go on serving the deleted files' bytes.
import { readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { ErrorCodeName } from '../protocol/errors.ts';
import { readPartitionLeaderEpoch, readRecordCount } from '../protocol/record-batch.ts';
import { decodeRecords } from '../protocol/records.ts';
import type { BatchInfo } from './batch-header.ts';
import {
  ATTRIBUTE_COMPRESSION_MASK,
  ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND_TIME,
  BATCH_ATTRIBUTES,
  BATCH_BASE_TIMESTAMP,
  BATCH_HEADER_BYTES,
  floorIndex,
  partitionDirName,
} from './layout.ts';
import { HeaderWalk, SegmentScanner, type WalkEnd } from './segment-scanner.ts';
import { FileRange } from './file-range.ts';
import type { OffsetIndexEntries } from './offset-index.ts';
import { SegmentGoneError, SegmentListing } from './segment-listing.ts';
import { decodeAbortedTxns, type AbortedTxn } from './txn-index.ts';
import { segmentPaths } from './layout.ts';

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
  | { error: ReadError };

/** A read for sendfile: whole batches as a range of one segment file, or as a Buffer where a range would cost more. */
export type RangeReadResult =
  | {
      records: Buffer | FileRange;
      /** baseOffset of the first batch returned (<= fetchOffset), or fetchOffset when empty. */
      firstOffset: bigint;
      /** The offset after the last batch returned: where a sequential consumer fetches next. */
      nextOffset: bigint;
    }
  | { error: ReadError };

/** The errors a read answers with, by their Kafka names: `ErrorCode[error]` is the code to send. */
export type ReadError = Extract<ErrorCodeName, 'OFFSET_OUT_OF_RANGE'>;

export interface OffsetAndTimestamp {
  offset: bigint;
  timestamp: bigint;
  /** The partitionLeaderEpoch stored in the batch found, when it was read (-1: none stamped). */
  leaderEpoch?: number;
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

// Read-ahead (docs/notes/read-path.md): a read that returned at least READ_AHEAD_FROM_BYTES and
// stopped below the visibility limit starts the same read from where it ended, so a consumer
// catching up finds its next range in memory instead of waiting for it behind the other
// partitions of its fetch. Every partition reader of the thread shares one bound on the bytes
// read ahead; over it, the oldest read-ahead is forgotten.
const READ_AHEAD_FROM_BYTES = 256 * 1024;
let readAheadLimit = 64 * 1024 * 1024;
let readAheadBytes = 0;
/** Every pending or unclaimed read-ahead of the thread, oldest first. */
const readAheads = new Set<ReadAhead>();

interface ReadAhead {
  owner: PartitionReader;
  fetchOffset: bigint;
  maxBytes: number;
  /** The visibility limit it read below (HWM, or LSO for read_committed) and the listing version. */
  limit: bigint;
  segmentsVersion: number;
  /** Counted against readAheadLimit: maxBytes until it resolves, then the bytes it holds. */
  charged: number;
  result: Promise<ReadResult | null>;
}

function forgetReadAhead(ahead: ReadAhead): void {
  if (!readAheads.delete(ahead)) return;
  readAheadBytes -= ahead.charged;
  ahead.charged = 0;
}

interface Cursor {
  segmentBase: bigint;
  position: number;
}

/**
 * How much a range's end walk reads at a time: headers only, from an index entry to the end, which
 * is about index.interval.bytes (Kafka's default 4096) and a batch away.
 */
const RANGE_WALK_READ_BYTES = 4096;

/** A cached cursor no longer points at its batch (the partition was recreated): forget cursors. */
class StaleCursorError extends Error {}

export class PartitionReader {
  readonly partitionDir: string;
  private readonly files: SegmentListing;
  private readonly maxCursors: number;
  // Keyed by the offset a sequential consumer will ask for next.
  private readonly cursors = new Map<bigint, Cursor>();
  /**
   * The .txnindex entries of rolled segments (none appends to them after the roll), by base;
   * emptied by every listing, since a cleaner swap or a recovery rewrites them under the same name.
   */
  private readonly rolledAbortedTxns = new Map<bigint, AbortedTxn[]>();
  /**
   * The last listed segment's entries, read at a high watermark: every entry comes with an ABORT
   * marker that moves the HWM when it is published, so at the same HWM no new one can be due.
   */
  private activeAbortedTxns: { base: bigint; highWatermark: bigint; entries: AbortedTxn[] } | null = null;
  /** Sizes of rolled segments' .log files (they no longer change), by base; emptied by every listing. */
  private readonly rolledSizes = new Map<bigint, number>();
  /** Twice what the last fetch returned, within [MIN, MAX]_FIRST_READ_BYTES. */
  private firstReadBytes = 64 * 1024;
  private closed = false;
  /** The next range of a sequential consumer, read while its last one is being sent. */
  private ahead: ReadAhead | null = null;

  constructor(partitionDir: string, options: PartitionReaderOptions = {}) {
    this.partitionDir = partitionDir;
    this.maxCursors = options.maxCursors ?? 32;
    this.files = new SegmentListing(partitionDir, {
      maxOpenFiles: options.maxOpenFiles ?? 4,
      maxCachedIndexes: options.maxCachedIndexes ?? 8,
      onListed: (bases) => {
        for (const [key, cursor] of this.cursors) if (!bases.has(cursor.segmentBase)) this.cursors.delete(key);
        this.rolledAbortedTxns.clear();
        this.rolledSizes.clear();
        this.activeAbortedTxns = null;
        this.dropReadAhead();
      },
    });
  }

  static forPartition(dataDir: string, topic: string, partition: number, options?: PartitionReaderOptions): PartitionReader {
    return new PartitionReader(join(dataDir, partitionDirName(topic, partition)), options);
  }

  /**
   * Whole batches from the one containing `fetchOffset`, up to `maxBytes` (but at least one
   * batch, however large), all with baseOffset below the high watermark.
   */
  read(fetchOffset: bigint, maxBytes: number, visible: PartitionVisibility): Promise<ReadResult> {
    if (this.closed) return Promise.reject(this.closedError());
    if (fetchOffset < visible.logStartOffset || fetchOffset > visible.highWatermark) return Promise.resolve({ error: 'OFFSET_OUT_OF_RANGE' });
    if (fetchOffset === visible.highWatermark) return Promise.resolve({ records: Buffer.alloc(0), firstOffset: fetchOffset, nextOffset: fetchOffset });
    const ahead = this.ahead;
    if (ahead !== null) {
      this.ahead = null;
      // Valid when it read below a limit this caller may see (limits only grow; a new listing
      // version, which retention or the cleaner makes, drops it) and returns no more than asked.
      if (ahead.fetchOffset === fetchOffset && ahead.segmentsVersion === visible.segmentsVersion && ahead.limit <= visible.highWatermark && ahead.maxBytes <= maxBytes && readAheads.has(ahead)) {
        return this.claim(ahead, fetchOffset, maxBytes, visible);
      }
      forgetReadAhead(ahead);
    }
    return this.readAndAhead(fetchOffset, maxBytes, visible);
  }

  /**
   * What read() returns, but as a range of one segment file where that costs no read of the
   * batches themselves (the connection sends it with sendfile): the range starts at the batch
   * holding `fetchOffset` (found as read() finds it) and ends at a batch start known without
   * reading the data between: from the offset index's last entry within `maxBytes` at or below the
   * visibility limit, the batch headers after it (only they are read) to the last batch that fits,
   * or the end of a rolled segment wholly below the limit. A range never spans two segments
   * (Kafka's reads do not either), and ends at a batch boundary, where Kafka sends a partial last
   * batch. Where the index has no entry past the start within `maxBytes` (a tail of under about
   * index.interval.bytes, a first batch larger than `maxBytes`) it reads as read() does and returns
   * a Buffer: those reads are small, or rare.
   */
  readFileRange(fetchOffset: bigint, maxBytes: number, visible: PartitionVisibility): Promise<RangeReadResult> {
    if (this.closed) return Promise.reject(this.closedError());
    if (fetchOffset < visible.logStartOffset || fetchOffset > visible.highWatermark) return Promise.resolve({ error: 'OFFSET_OUT_OF_RANGE' });
    if (fetchOffset === visible.highWatermark) return Promise.resolve({ records: Buffer.alloc(0), firstOffset: fetchOffset, nextOffset: fetchOffset });
    // A read-ahead made for the Buffer path is of no use to a range.
    this.dropReadAhead();
    return this.retrying(visible, this.readRangeListed, fetchOffset, maxBytes);
  }

  private async readRangeListed(fetchOffset: bigint, maxBytes: number, visible: PartitionVisibility): Promise<RangeReadResult> {
    const bases = this.files.bases;
    if (bases.length === 0 || fetchOffset < bases[0]) return { error: 'OFFSET_OUT_OF_RANGE' };
    const limit = visible.highWatermark;
    const located = await this.locate(fetchOffset, limit);
    const segmentBase = located.segmentBase;
    const start = located.position;
    const i = this.files.bases.indexOf(segmentBase);
    const nextBase = i >= 0 && i + 1 < this.files.bases.length ? this.files.bases[i + 1]! : null;
    const lease = await this.files.lease(segmentBase);
    let range: FileRange | null = null;
    try {
      const reach = start + maxBytes;
      // A rolled segment whose successor starts at or below the limit is visible to its end.
      if (nextBase !== null && nextBase <= limit) {
        let size = this.rolledSizes.get(segmentBase);
        if (size === undefined) {
          size = (await lease.handle.stat()).size;
          if (this.files.bases.includes(segmentBase)) this.rolledSizes.set(segmentBase, size);
        }
        if (size > start && size <= reach) {
          range = new FileRange(lease, start, size - start, Number(nextBase - located.batchBase));
          this.rememberCursor(nextBase, { segmentBase: nextBase, position: 0 });
          return { records: range, firstOffset: located.batchBase, nextOffset: nextBase };
        }
      }
      const from = await this.indexedEnd(segmentBase, nextBase === null, start, reach, limit);
      const end = from === null ? null : await this.walkToEnd(lease.handle, from, reach, limit);
      if (end !== null) {
        range = new FileRange(lease, start, end.position - start, Number(end.offset - located.batchBase));
        this.rememberCursor(end.offset, { segmentBase, position: end.position });
        return { records: range, firstOffset: located.batchBase, nextOffset: end.offset };
      }
    } finally {
      if (range === null) lease.release();
    }
    return this.readBatches(fetchOffset, maxBytes, limit);
  }

  /**
   * The last offset index entry of the segment in (start, reach] whose batch starts at or below
   * `limit` (so every batch before it is below the limit, whole), re-reading a growing index only
   * when what is cached does not reach that far.
   */
  private async indexedEnd(segmentBase: bigint, mayGrow: boolean, start: number, reach: number, limit: bigint): Promise<{ position: number; offset: bigint } | null> {
    let index = this.files.offsetIndexes.peek(segmentBase);
    const reachesFar = (entries: OffsetIndexEntries | undefined): boolean =>
      entries !== undefined && entries.count > 0 && entries.positionAt(entries.count - 1) >= reach;
    if (!reachesFar(index) && (mayGrow || index === undefined)) index = await this.files.offsetIndexes.load(segmentBase, mayGrow);
    if (index === undefined) return null;
    let lo = 0;
    let hi = index.count - 1;
    let k = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (index.positionAt(mid) <= reach) {
        k = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    for (; k >= 0 && index.positionAt(k) > start; k--) {
      const offset = segmentBase + BigInt(index.relativeOffsetAt(k));
      if (offset <= limit) return { position: index.positionAt(k), offset };
    }
    return null;
  }

  /**
   * From a batch start the index gave (`from`), the batch headers (only they are read, in reads of
   * RANGE_WALK_READ_BYTES) up to the last batch that ends within `reach` below `limit`: where the
   * range ends. The header at `from` checks the index entry; one that is not a batch there (a stale
   * or damaged index) gives null, and the caller reads as read() does.
   */
  private async walkToEnd(handle: FileHandle, from: { position: number; offset: bigint }, reach: number, limit: bigint): Promise<{ position: number; offset: bigint } | null> {
    const walk = new HeaderWalk(new SegmentScanner(handle), from.position, from.offset, limit, RANGE_WALK_READ_BYTES);
    let end = from;
    try {
      for (;;) {
        const header = await walk.next();
        if (header === 'gap') return null;
        if (typeof header === 'string') return end; // the limit, or the end of the segment
        if (header.position + header.size > reach) return end;
        end = { position: walk.position, offset: walk.expected };
      }
    } catch {
      return null; // not a batch header where the index pointed
    }
  }

  /** The bound on bytes read ahead by every reader of this thread (0 turns read-ahead off). */
  static setReadAheadLimit(bytes: number): void {
    readAheadLimit = Math.max(0, bytes);
    while (readAheadBytes > readAheadLimit && readAheads.size > 0) PartitionReader.evictOldestReadAhead();
  }

  /** Bytes held or being read ahead by every reader of this thread. */
  static get readAheadBytes(): number {
    return readAheadBytes;
  }

  private async claim(ahead: ReadAhead, fetchOffset: bigint, maxBytes: number, visible: PartitionVisibility): Promise<ReadResult> {
    const result = await ahead.result;
    forgetReadAhead(ahead);
    // A read-ahead that failed (a segment deleted under it, the reader closed) is read again.
    if (result === null || 'error' in result || this.closed) return this.readAndAhead(fetchOffset, maxBytes, visible);
    this.startReadAhead(result, maxBytes, visible);
    return result;
  }

  private async readAndAhead(fetchOffset: bigint, maxBytes: number, visible: PartitionVisibility): Promise<ReadResult> {
    const result = await this.retrying(visible, this.readListed, fetchOffset, maxBytes);
    if (!('error' in result)) this.startReadAhead(result, maxBytes, visible);
    return result;
  }

  private startReadAhead(served: Extract<ReadResult, { records: Buffer }>, maxBytes: number, visible: PartitionVisibility): void {
    if (served.records.length < READ_AHEAD_FROM_BYTES || served.nextOffset >= visible.highWatermark || this.closed || this.ahead !== null) return;
    if (maxBytes > readAheadLimit) return;
    while (readAheadBytes + maxBytes > readAheadLimit && readAheads.size > 0) PartitionReader.evictOldestReadAhead();
    const ahead: ReadAhead = {
      owner: this,
      fetchOffset: served.nextOffset,
      maxBytes,
      limit: visible.highWatermark,
      segmentsVersion: visible.segmentsVersion,
      charged: maxBytes,
      result: this.retrying(visible, this.readListed, served.nextOffset, maxBytes).then(
        (result) => {
          if (readAheads.has(ahead)) {
            const held = 'error' in result ? 0 : result.records.buffer.byteLength;
            readAheadBytes += held - ahead.charged;
            ahead.charged = held;
          }
          return result;
        },
        () => null,
      ),
    };
    readAheads.add(ahead);
    readAheadBytes += ahead.charged;
    this.ahead = ahead;
  }

  /** Forgets the oldest read-ahead of the thread, whether or not its reader still holds it. */
  private static evictOldestReadAhead(): void {
    const oldest = readAheads.values().next().value!;
    forgetReadAhead(oldest);
    if (oldest.owner.ahead === oldest) oldest.owner.ahead = null;
  }

  /** Forgets this reader's read-ahead (its buffer is collected once the read settles). */
  private dropReadAhead(): void {
    const ahead = this.ahead;
    this.ahead = null;
    if (ahead !== null) forgetReadAhead(ahead);
  }

  /**
   * Runs `op` over the current listing. A segment deleted under it (retention) re-lists and runs
   * it again, a stale cursor is forgotten and it runs again; at most three attempts. The operation
   * and its arguments are passed apart, so that a read allocates no closure for its retries.
   */
  private async retrying<A, B, T>(
    visible: PartitionVisibility,
    op: (this: PartitionReader, a: A, b: B, visible: PartitionVisibility) => Promise<T>,
    a: A,
    b: B,
  ): Promise<T> {
    await this.files.ensureListed(visible.segmentsVersion);
    for (let attempt = 0; ; attempt++) {
      try {
        return await op.call(this, a, b, visible);
      } catch (err) {
        if (err instanceof StaleCursorError && attempt < 2) {
          this.cursors.clear();
          continue;
        }
        if (!(err instanceof SegmentGoneError) || attempt >= 2) throw err;
        await this.files.relist(visible.segmentsVersion);
      }
    }
  }

  private readListed(fetchOffset: bigint, maxBytes: number, visible: PartitionVisibility): Promise<ReadResult> {
    if (this.files.bases.length === 0 || fetchOffset < this.files.bases[0]) return Promise.resolve({ error: 'OFFSET_OUT_OF_RANGE' });
    return this.readBatches(fetchOffset, maxBytes, visible.highWatermark);
  }

  private async readBatches(fetchOffset: bigint, maxBytes: number, highWatermark: bigint): Promise<ReadResult> {
    const located = await this.locate(fetchOffset, highWatermark);
    let segmentBase = located.segmentBase;
    let position = located.position;
    let expected = located.batchBase;
    const spans: Buffer[] = [];
    let total = 0;
    let firstOffset = -1n;
    while (total < maxBytes || spans.length === 0) {
      const lease = await this.files.lease(segmentBase);
      let stop: WalkEnd | 'full' = 'full';
      try {
        const readAhead = Math.min(Math.max(maxBytes - total, BATCH_HEADER_BYTES), this.firstReadBytes);
        const walk = new HeaderWalk(new SegmentScanner(lease.handle), position, expected, highWatermark, readAhead);
        while (total < maxBytes || spans.length === 0) {
          const header = await walk.next();
          if (header === 'gap') {
            if (spans.length === 0 && located.fromCursor) throw new StaleCursorError();
            throw new Error(`${this.partitionDir}: batch at ${segmentBase}+${position} does not carry the expected offset ${expected}`);
          }
          if (typeof header === 'string') {
            stop = header;
            break;
          }
          if (spans.length > 0 && total + header.size > maxBytes) break;
          const frame = walk.loadedFrame(header) ?? (await walk.loadFrame(header));
          if (frame === null) throw new Error(`${this.partitionDir}: batch at ${segmentBase}+${position} below the HWM is incomplete`);
          spans.push(frame);
          if (firstOffset < 0n) firstOffset = header.baseOffset;
          total += header.size;
          position = walk.position;
          expected = walk.expected;
          walk.readAhead = Math.min(Math.max(maxBytes - total, BATCH_HEADER_BYTES), walk.readAhead * 2);
        }
      } finally {
        lease.release();
      }
      if (stop !== 'end') break;
      // End of this segment below the HWM: the next offset lives in the next segment (which may
      // start past it: the cleaner dropped the last batches of this one).
      const next = await this.files.segmentAfter(segmentBase);
      if (next === null) throw new Error(`${this.partitionDir}: no segment holds offset ${expected} below the HWM ${highWatermark}`);
      segmentBase = next;
      position = 0;
    }
    this.firstReadBytes = Math.min(MAX_FIRST_READ_BYTES, Math.max(MIN_FIRST_READ_BYTES, 2 * total));
    if (spans.length === 0) return { records: Buffer.alloc(0), firstOffset: fetchOffset, nextOffset: fetchOffset };
    this.rememberCursor(expected, { segmentBase, position });
    return { records: joinSpans(spans, total), firstOffset, nextOffset: expected };
  }

  /** Segment, position and baseOffset of the batch containing `offset` (< highWatermark). */
  private async locate(offset: bigint, highWatermark: bigint, relisted = false): Promise<Cursor & { batchBase: bigint; fromCursor: boolean }> {
    const cursor = this.cursors.get(offset);
    if (cursor && this.files.bases.includes(cursor.segmentBase)) return { ...cursor, batchBase: offset, fromCursor: true };
    const i = floorIndex(this.files.bases, offset);
    if (i < 0) throw new SegmentGoneError();
    const segmentBase = this.files.bases[i];
    const start = await this.files.indexFloor(segmentBase, offset, i === this.files.bases.length - 1);
    const holdsOffset = (header: BatchInfo): boolean => header.lastOffset >= offset;
    let found = await this.findBatch(segmentBase, start.position, start.offset, highWatermark, holdsOffset);
    if (typeof found === 'string' && found !== 'end' && start.position > 0) {
      // The index entry did not lead to the expected batch (stale or damaged): walk from the start.
      found = await this.findBatch(segmentBase, 0, segmentBase, highWatermark, holdsOffset);
    }
    if (found === 'end') {
      // The segment ends before `offset`: it lives in a later segment (rolled since the last
      // listing, or after a gap the cleaner left), whose first batch is then the answer.
      const next = await this.files.segmentAfter(segmentBase);
      if (next !== null) return { segmentBase: next, position: 0, batchBase: next, fromCursor: false };
      if (!relisted) {
        await this.files.relistSameVersion();
        return this.locate(offset, highWatermark, true);
      }
    }
    if (typeof found === 'string') throw new Error(`${this.partitionDir}: segment ${segmentBase} does not walk to offset ${offset} below the HWM ${highWatermark}`);
    return { segmentBase, position: found.position, batchBase: found.baseOffset, fromCursor: false };
  }

  /**
   * Walks batch headers below the HWM from `position` (where the batch with baseOffset `expected`
   * starts); returns the first that `stop` accepts, or why the walk ended without one.
   */
  private async findBatch(segmentBase: bigint, position: number, expected: bigint, highWatermark: bigint, stop: (header: BatchInfo) => boolean): Promise<BatchInfo | WalkEnd> {
    const lease = await this.files.lease(segmentBase);
    try {
      const walk = new HeaderWalk(new SegmentScanner(lease.handle), position, expected, highWatermark, SCAN_READ_BYTES);
      for (;;) {
        const header = await walk.next();
        if (typeof header === 'string' || stop(header)) return header;
      }
    } finally {
      lease.release();
    }
  }

  private rememberCursor(offset: bigint, cursor: Cursor): void {
    this.cursors.delete(offset);
    this.cursors.set(offset, cursor);
    for (const key of this.cursors.keys()) {
      if (this.cursors.size <= this.maxCursors) break;
      this.cursors.delete(key);
    }
  }

  /**
   * Fetch read_committed: the aborted transactions that may overlap a read of [fetchOffset,
   * servedEnd), from the .txnindex of the segment holding fetchOffset and those after it, as Kafka
   * collects them (LocalLog.addAbortedTransactions, collectAbortedTransactions): the upper bound is
   * the base of the segment after the one the read ended in, or the log end (`logEnd`, the HWM)
   * when that is the last; an entry counts when its marker is at or past fetchOffset and it began
   * below the bound; the walk ends at the first entry whose lastStableOffset reaches the bound,
   * since no transaction begun below it was open after it. So, like Kafka's, the list may name
   * aborted transactions past the records served (clients skip those); it never misses one that
   * overlaps them. An entry the shard wrote for a marker not yet published names records past the
   * LSO, which are not served.
   */
  async abortedTransactions(fetchOffset: bigint, servedEnd: bigint, logEnd: bigint, visible: PartitionVisibility): Promise<{ producerId: bigint; firstOffset: bigint }[]> {
    this.assertOpen();
    await this.files.ensureListed(visible.segmentsVersion);
    const bases = this.files.bases;
    const last = floorIndex(bases, servedEnd > 0n ? servedEnd - 1n : 0n);
    const upperBound = last >= 0 && last + 1 < bases.length ? bases[last + 1]! : logEnd;
    const out: { producerId: bigint; firstOffset: bigint }[] = [];
    for (let i = Math.max(0, floorIndex(bases, fetchOffset)); i < bases.length; i++) {
      const base = bases[i]!;
      const rolled = i + 1 < bases.length;
      const active = this.activeAbortedTxns;
      let entries = rolled ? this.rolledAbortedTxns.get(base) : active !== null && active.base === base && active.highWatermark === logEnd ? active.entries : undefined;
      if (entries === undefined) {
        try {
          entries = decodeAbortedTxns(await readFile(segmentPaths(this.partitionDir, base).txnIndex));
        } catch {
          entries = []; // no aborted transaction ended in this segment (or it was deleted meanwhile)
        }
        // Only if the listing it belongs to is still the current one.
        if (rolled && this.files.bases === bases) this.rolledAbortedTxns.set(base, entries);
        else if (!rolled && this.files.bases === bases) this.activeAbortedTxns = { base, highWatermark: logEnd, entries };
      }
      for (const txn of entries) {
        if (txn.lastOffset >= fetchOffset && txn.firstOffset < upperBound) out.push({ producerId: txn.producerId, firstOffset: txn.firstOffset });
        if (txn.lastStableOffset >= upperBound) return out;
      }
    }
    return out;
  }

  /**
   * ListOffsets by timestamp: the first offset (>= logStartOffset, < HWM) whose timestamp is >= `timestamp`.
   * Batch level via the time index, then record level inside an uncompressed batch; inside a
   * compressed batch the answer is the batch's baseOffset and its maxTimestamp (records are
   * never decompressed on the broker).
   */
  async offsetForTimestamp(timestamp: bigint, visible: PartitionVisibility): Promise<OffsetAndTimestamp | null> {
    this.assertOpen();
    return this.retrying(visible, this.findTimestamp, timestamp, null);
  }

  private async findTimestamp(timestamp: bigint, _unused: null, visible: PartitionVisibility): Promise<OffsetAndTimestamp | null> {
    const { highWatermark, logStartOffset } = visible;
    const bases = [...this.files.bases];
    for (let i = 0; i < bases.length; i++) {
      const segmentBase = bases[i];
      if (segmentBase >= highWatermark) break;
      const segmentEnd = i + 1 < bases.length ? bases[i + 1] : null;
      if (segmentEnd !== null && segmentEnd <= logStartOffset) continue;
      const sealed = segmentEnd !== null;
      const times = await this.files.timeIndexes.load(segmentBase, !sealed);
      // A rolled segment's last time entry is its largest timestamp: skip it without a scan.
      if (sealed && segmentEnd <= highWatermark && times.count > 0 && times.lastTimestamp < timestamp) continue;
      const k = times.floor(timestamp);
      const scanFrom = k < 0 ? segmentBase : segmentBase + BigInt(times.relativeOffsetAt(k));
      const start = await this.files.indexFloor(segmentBase, scanFrom, !sealed);
      const hit = await this.findBatch(segmentBase, start.position, start.offset, highWatermark, (header) =>
        header.lastOffset >= logStartOffset && header.maxTimestamp >= timestamp,
      );
      if (typeof hit !== 'string') {
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
    return this.retrying(visible, this.findMaxTimestamp, null, null);
  }

  private async findMaxTimestamp(_unusedA: null, _unusedB: null, visible: PartitionVisibility): Promise<OffsetAndTimestamp | null> {
    const { highWatermark, logStartOffset } = visible;
    const bases = [...this.files.bases];
    let best: { segmentBase: bigint; header: BatchInfo } | null = null;
    let bestTimestamp = -1n;
    let bestOffset = -1n;
    let bestSegment = -1n;
    for (let i = 0; i < bases.length; i++) {
      const segmentBase = bases[i];
      if (segmentBase >= highWatermark) break;
      const segmentEnd = i + 1 < bases.length ? bases[i + 1] : null;
      if (segmentEnd !== null && segmentEnd <= logStartOffset) continue;
      const wholeVisible = segmentEnd !== null && segmentEnd <= highWatermark;
      const times = await this.files.timeIndexes.load(segmentBase, segmentEnd === null);
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
      const start = await this.files.indexFloor(segmentBase, scanFrom, segmentEnd === null);
      await this.findBatch(segmentBase, start.position, start.offset, highWatermark, (header) => {
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
    let found = best as { segmentBase: bigint; header: BatchInfo } | null;
    if (found === null) {
      const start = await this.files.indexFloor(bestSegment, bestOffset, true);
      const target = bestOffset;
      const header = await this.findBatch(bestSegment, start.position, start.offset, highWatermark, (h) => h.baseOffset === target);
      if (typeof header === 'string') return { offset: bestOffset, timestamp: bestTimestamp };
      found = { segmentBase: bestSegment, header };
    }
    const timestamp = bestTimestamp;
    return this.recordAtOrAfter(found.segmentBase, found.header, (recordTimestamp) => recordTimestamp === timestamp);
  }

  /** The first record of the batch whose timestamp satisfies `accept`, reading the batch body. */
  private async recordAtOrAfter(segmentBase: bigint, header: BatchInfo, accept: (timestamp: bigint) => boolean): Promise<OffsetAndTimestamp> {
    const lease = await this.files.lease(segmentBase);
    let batch: Buffer | null;
    try {
      const scanner = new SegmentScanner(lease.handle);
      batch = (await scanner.load(header.position, header.size, header.size)) < header.size ? null : scanner.view(header.position, header.size);
    } finally {
      lease.release();
    }
    if (batch === null) return { offset: header.baseOffset, timestamp: header.maxTimestamp };
    // Kafka answers a timestamp lookup with the found batch's stored epoch (FileRecords.searchForTimestamp).
    const leaderEpoch = readPartitionLeaderEpoch(batch, 0);
    const attributes = batch.readInt16BE(BATCH_ATTRIBUTES);
    if ((attributes & ATTRIBUTE_COMPRESSION_MASK) !== 0) return { offset: header.baseOffset, timestamp: header.maxTimestamp, leaderEpoch };
    // Under LogAppendTime every record carries the batch's maxTimestamp.
    if ((attributes & ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND_TIME) !== 0) return { offset: header.baseOffset, timestamp: header.maxTimestamp, leaderEpoch };
    const baseTimestamp = batch.readBigInt64BE(BATCH_BASE_TIMESTAMP);
    for (const record of decodeRecords(batch.subarray(BATCH_HEADER_BYTES), readRecordCount(batch, 0))) {
      const recordTimestamp = baseTimestamp + record.timestampDelta;
      if (accept(recordTimestamp)) return { offset: header.baseOffset + BigInt(record.offsetDelta), timestamp: recordTimestamp, leaderEpoch };
    }
    return { offset: header.baseOffset, timestamp: header.maxTimestamp, leaderEpoch };
  }

  /** Closes every cached file handle. */
  async close(): Promise<void> {
    this.closed = true;
    this.cursors.clear();
    const ahead = this.ahead;
    this.dropReadAhead();
    // Its file handles are closed only once the read-ahead is done with them.
    if (ahead !== null) await ahead.result;
    await this.files.close();
  }

  private assertOpen(): void {
    if (this.closed) throw this.closedError();
  }

  private closedError(): Error {
    return new Error(`reader of ${this.partitionDir} is closed`);
  }
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
