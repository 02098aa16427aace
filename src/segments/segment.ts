// One segment of a partition log as its writer (the owning shard worker) sees it: the .log file,
// its sparse .index and .timeindex, and the counters that decide index entries, rolls and retention.
import { closeSync, constants, fdatasyncSync, fstatSync, ftruncateSync, openSync, readSync, statSync, unlinkSync, writeSync } from 'node:fs';
import type { BatchInfo } from './batch-header.ts';
import { walkBatchesSync, type WalkResult } from './batch-walk-sync.ts';
import { OFFSET_INDEX_ENTRY_BYTES, TIME_INDEX_ENTRY_BYTES, segmentPaths } from './layout.ts';
import { OffsetIndexEntries, encodeOffsetIndexEntry } from './offset-index.ts';
import { TimeIndexEntries, encodeTimeIndexEntry } from './time-index.ts';

const PENDING_INDEX_INITIAL_BYTES = 1024;
/**
 * Offset index entries a segment gathers in memory before the log's writes take them to the
 * files (flushIndexesIfMany): with many partitions each commit otherwise wrote two small index
 * files per partition touched. Roll, close, sync and an idle release write whatever is pending.
 */
export const DEFERRED_INDEX_ENTRIES = 8;
const READ_WRITE_CREATE = constants.O_RDWR | constants.O_CREAT;

export interface SegmentFiles {
  log: string;
  offsetIndex: string;
  timeIndex: string;
  /** Aborted transactions whose marker is in this segment (src/segments/txn-index.ts); absent when none. */
  txnIndex: string;
}

/**
 * The active segment keeps its three files open and its indexes in memory; a rolled segment
 * keeps only what the writer still needs (size, offsets, largest timestamp) and no descriptor.
 */
export class Segment {
  readonly baseOffset: bigint;
  readonly files: SegmentFiles;
  /** Bytes in the .log file. */
  size = 0;
  /** One past the last offset this segment holds (= baseOffset when empty). */
  nextOffset: bigint;
  /** Largest batch maxTimestamp in the segment, -1n when none. */
  maxTimestamp = -1n;
  offsetOfMaxTimestamp = -1n;
  /** When the segment was started (ms): segment.ms counts from here. */
  readonly createdMs: bigint;

  private logFd = -1;
  private offsetIndexFd = -1;
  private timeIndexFd = -1;
  private offsetIndexBytes = 0;
  private timeIndexBytes = 0;
  private readonly offsetIndex = new OffsetIndexEntries();
  private lastIndexedTimestamp = -1n;
  private bytesSinceLastIndexEntry = 0;
  private pendingOffsetIndex: Buffer = Buffer.allocUnsafe(PENDING_INDEX_INITIAL_BYTES);
  private pendingOffsetIndexBytes = 0;
  private pendingTimeIndex: Buffer = Buffer.allocUnsafe(PENDING_INDEX_INITIAL_BYTES);
  private pendingTimeIndexBytes = 0;
  // An async fdatasync (syncAll) may be in flight when the segment rolls: closing its descriptor
  // then could let the number be reused by another open file, so the close waits for it.
  private descriptorUsers = 0;
  private closeWhenUnused = false;
  /**
   * The active segment may close its descriptors while idle (releaseIdleDescriptors) and reopen
   * them on its next use; a rolled or closed segment may not (closeDescriptors is final).
   */
  private reopenable = false;

  private constructor(partitionDir: string, baseOffset: bigint, createdMs: bigint) {
    this.baseOffset = baseOffset;
    this.nextOffset = baseOffset;
    this.files = segmentPaths(partitionDir, baseOffset);
    this.createdMs = createdMs;
  }

  /** Starts a new, empty active segment. */
  static create(partitionDir: string, baseOffset: bigint, nowMs: bigint): Segment {
    const segment = new Segment(partitionDir, baseOffset, nowMs);
    segment.logFd = openSync(segment.files.log, 'wx+');
    segment.offsetIndexFd = openSync(segment.files.offsetIndex, 'w+');
    segment.timeIndexFd = openSync(segment.files.timeIndex, 'w+');
    segment.reopenable = true;
    return segment;
  }

  /**
   * Reopens the last segment as active. The caller says how many leading bytes of the .log are
   * good (after recovery); anything past them is cut. With `trustIndexes` (clean shutdown) the
   * index files are loaded and checked, else (or when they fail the check) rebuilt from the log.
   */
  static openActive(
    partitionDir: string,
    baseOffset: bigint,
    validLogBytes: number,
    nextOffset: bigint,
    trustIndexes: boolean,
    indexIntervalBytes: number,
  ): { segment: Segment; indexesRebuilt: boolean } {
    const paths = segmentPaths(partitionDir, baseOffset);
    const segment = new Segment(partitionDir, baseOffset, createdMsOf(paths.log));
    segment.logFd = openSync(paths.log, 'r+');
    if (fstatSync(segment.logFd).size !== validLogBytes) ftruncateSync(segment.logFd, validLogBytes);
    segment.size = validLogBytes;
    segment.nextOffset = nextOffset;
    segment.offsetIndexFd = openSync(paths.offsetIndex, READ_WRITE_CREATE);
    segment.timeIndexFd = openSync(paths.timeIndex, READ_WRITE_CREATE);
    const loaded = trustIndexes && segment.loadIndexes();
    if (!loaded) {
      const walk = segment.rebuildIndexes(indexIntervalBytes);
      // Bytes the caller believed good but that do not walk as contiguous batches cannot be served.
      if (walk.end < validLogBytes) {
        ftruncateSync(segment.logFd, walk.end);
        segment.size = walk.end;
        segment.nextOffset = walk.nextOffset;
      }
    }
    segment.reopenable = true;
    return { segment, indexesRebuilt: !loaded };
  }

  /**
   * Describes a rolled segment from its files: size, next offset (the next segment's base) and
   * largest timestamp (the last time index entry; the file's mtime when it has none, as Kafka).
   * Index files that are missing or inconsistent with the log are rebuilt.
   */
  static openRolled(partitionDir: string, baseOffset: bigint, nextOffset: bigint, indexIntervalBytes: number): { segment: Segment; indexesRebuilt: boolean } {
    const paths = segmentPaths(partitionDir, baseOffset);
    const segment = new Segment(partitionDir, baseOffset, createdMsOf(paths.log));
    const stat = statSync(paths.log);
    segment.size = stat.size;
    segment.nextOffset = nextOffset;
    let indexesRebuilt = false;
    if (!rolledIndexesLookSound(paths, segment.size, nextOffset - baseOffset)) {
      segment.logFd = openSync(paths.log, 'r');
      segment.offsetIndexFd = openSync(paths.offsetIndex, 'w+');
      segment.timeIndexFd = openSync(paths.timeIndex, 'w+');
      segment.rebuildIndexes(indexIntervalBytes);
      segment.appendFinalTimeIndexEntry();
      segment.flushIndexes();
      segment.closeDescriptors();
      indexesRebuilt = true;
    }
    const last = readLastTimeIndexEntry(paths.timeIndex);
    if (last) {
      segment.maxTimestamp = last.timestamp;
      segment.offsetOfMaxTimestamp = baseOffset + BigInt(last.relativeOffset);
    } else {
      segment.maxTimestamp = BigInt(Math.floor(stat.mtimeMs));
      segment.offsetOfMaxTimestamp = baseOffset;
    }
    return { segment, indexesRebuilt };
  }

  get isEmpty(): boolean {
    return this.size === 0;
  }

  /** The open .log descriptor of the active segment (for writes and fdatasync). */
  get logDescriptor(): number {
    this.ensureOpen();
    return this.logFd;
  }

  /** Reopens an idle active segment's files (they exist: nothing deletes an active segment's files but deleteFiles, which is final). */
  private ensureOpen(): void {
    if (this.logFd >= 0 || !this.reopenable) return;
    this.logFd = openSync(this.files.log, 'r+');
    this.offsetIndexFd = openSync(this.files.offsetIndex, READ_WRITE_CREATE);
    this.timeIndexFd = openSync(this.files.timeIndex, READ_WRITE_CREATE);
  }

  /**
   * Closes the active segment's three descriptors when nothing uses them (no async fdatasync in
   * flight), after writing the index entries still deferred; the next write or sync reopens them.
   * True when it closed them. Positions are kept in memory, so nothing is re-read on reopen.
   */
  releaseIdleDescriptors(): boolean {
    if (!this.reopenable || this.logFd < 0 || this.descriptorUsers > 0) return false;
    this.flushIndexes();
    closeSync(this.offsetIndexFd);
    closeSync(this.timeIndexFd);
    closeSync(this.logFd);
    this.logFd = -1;
    this.offsetIndexFd = -1;
    this.timeIndexFd = -1;
    return true;
  }

  /**
   * Records in the indexes a batch about to be written at `info.position` (Kafka's rule: an
   * offset entry once more than index.interval.bytes were appended since the last, and with it a
   * time entry when the largest timestamp grew). Entries reach the files in flushIndexes() or
   * flushIndexesIfMany(), which the caller runs after the .log write, so no index entry in a file
   * ever points past written bytes. The in-memory offset index (floorPosition) has them at once;
   * the files may lag the log by DEFERRED_INDEX_ENTRIES entries, which a reader tolerates as it
   * does the index interval (it scans forward from the floor entry), and recovery after an
   * unclean stop rebuilds the active segment's indexes from the log anyway.
   */
  noteBatch(info: BatchInfo, indexIntervalBytes: number): void {
    if (info.maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = info.maxTimestamp;
      this.offsetOfMaxTimestamp = info.baseOffset;
    }
    if (this.bytesSinceLastIndexEntry > indexIntervalBytes) {
      const relativeOffset = Number(info.baseOffset - this.baseOffset);
      this.offsetIndex.append(relativeOffset, info.position);
      this.pendingOffsetIndex = ensureRoom(this.pendingOffsetIndex, this.pendingOffsetIndexBytes + OFFSET_INDEX_ENTRY_BYTES);
      encodeOffsetIndexEntry(this.pendingOffsetIndex, this.pendingOffsetIndexBytes, relativeOffset, info.position);
      this.pendingOffsetIndexBytes += OFFSET_INDEX_ENTRY_BYTES;
      this.maybeAppendTimeIndexEntry();
      this.bytesSinceLastIndexEntry = 0;
    }
    this.bytesSinceLastIndexEntry += info.size;
    this.nextOffset = info.lastOffset + 1n;
  }

  private maybeAppendTimeIndexEntry(): void {
    if (this.maxTimestamp <= this.lastIndexedTimestamp) return;
    this.pendingTimeIndex = ensureRoom(this.pendingTimeIndex, this.pendingTimeIndexBytes + TIME_INDEX_ENTRY_BYTES);
    encodeTimeIndexEntry(this.pendingTimeIndex, this.pendingTimeIndexBytes, this.maxTimestamp, Number(this.offsetOfMaxTimestamp - this.baseOffset));
    this.pendingTimeIndexBytes += TIME_INDEX_ENTRY_BYTES;
    this.lastIndexedTimestamp = this.maxTimestamp;
  }

  /** Makes the segment's largest timestamp findable from its time index alone (roll, close). */
  appendFinalTimeIndexEntry(): void {
    this.maybeAppendTimeIndexEntry();
  }

  /**
   * After a .log write: writes the pending index entries once DEFERRED_INDEX_ENTRIES offset
   * entries are waiting (a time entry never comes without an offset entry but at roll and close,
   * which flush everything), so a partition's index files get one write per that many entries.
   */
  flushIndexesIfMany(): void {
    if (this.pendingOffsetIndexBytes >= DEFERRED_INDEX_ENTRIES * OFFSET_INDEX_ENTRY_BYTES) this.flushIndexes();
  }

  /** Writes every pending index entry to the files. */
  flushIndexes(): void {
    if (this.pendingOffsetIndexBytes > 0 || this.pendingTimeIndexBytes > 0) this.ensureOpen();
    if (this.pendingOffsetIndexBytes > 0) {
      writeFully(this.offsetIndexFd, this.pendingOffsetIndex, this.pendingOffsetIndexBytes, this.offsetIndexBytes);
      this.offsetIndexBytes += this.pendingOffsetIndexBytes;
      this.pendingOffsetIndexBytes = 0;
    }
    if (this.pendingTimeIndexBytes > 0) {
      writeFully(this.timeIndexFd, this.pendingTimeIndex, this.pendingTimeIndexBytes, this.timeIndexBytes);
      this.timeIndexBytes += this.pendingTimeIndexBytes;
      this.pendingTimeIndexBytes = 0;
    }
  }

  /** Byte position to start scanning from for `offset` (in-memory index; active segment). */
  floorPosition(offset: bigint): number {
    return this.offsetIndex.floorPosition(Number(offset - this.baseOffset));
  }

  /** fdatasync of the .log and both index files (after recovery rewrote or cut them). */
  syncFiles(): void {
    this.ensureOpen();
    this.flushIndexes();
    fdatasyncSync(this.logFd);
    fdatasyncSync(this.offsetIndexFd);
    fdatasyncSync(this.timeIndexFd);
  }

  /** Keeps the .log descriptor open across an async fdatasync; pair with releaseDescriptor(). */
  retainDescriptor(): number {
    this.ensureOpen();
    this.descriptorUsers++;
    return this.logFd;
  }

  releaseDescriptor(): void {
    this.descriptorUsers--;
    if (this.descriptorUsers === 0 && this.closeWhenUnused) this.closeDescriptors();
  }

  closeDescriptors(): void {
    this.reopenable = false;
    if (this.offsetIndexFd >= 0) closeSync(this.offsetIndexFd);
    if (this.timeIndexFd >= 0) closeSync(this.timeIndexFd);
    this.offsetIndexFd = -1;
    this.timeIndexFd = -1;
    if (this.descriptorUsers > 0) {
      this.closeWhenUnused = true;
      return;
    }
    if (this.logFd >= 0) closeSync(this.logFd);
    this.logFd = -1;
    this.closeWhenUnused = false;
  }

  deleteFiles(): void {
    this.closeDescriptors();
    for (const path of [this.files.log, this.files.offsetIndex, this.files.timeIndex, this.files.txnIndex]) unlinkIfPresent(path);
  }

  /** Loads both index files and checks them against the log; false means rebuild them. */
  private loadIndexes(): boolean {
    const offsetBytes = readWholeFile(this.offsetIndexFd);
    const timeBytes = readWholeFile(this.timeIndexFd);
    if (offsetBytes.length % OFFSET_INDEX_ENTRY_BYTES !== 0 || timeBytes.length % TIME_INDEX_ENTRY_BYTES !== 0) return false;
    if (this.offsetIndex.appendEncoded(offsetBytes, this.size) !== offsetBytes.length) return false;
    const times = new TimeIndexEntries();
    const relativeEnd = Number(this.nextOffset - this.baseOffset);
    if (times.appendEncoded(timeBytes, Math.max(relativeEnd, 0)) !== timeBytes.length) return false;
    this.offsetIndexBytes = offsetBytes.length;
    this.timeIndexBytes = timeBytes.length;
    if (times.count > 0) {
      this.lastIndexedTimestamp = times.lastTimestamp;
      this.maxTimestamp = times.lastTimestamp;
      this.offsetOfMaxTimestamp = this.baseOffset + BigInt(times.relativeOffsetAt(times.count - 1));
    }
    const lastEntry = this.offsetIndex.count - 1;
    // Counting from the last indexed batch spaces the next entry as if the writer never stopped.
    this.bytesSinceLastIndexEntry = lastEntry < 0 ? this.size : this.size - this.offsetIndex.positionAt(lastEntry);
    // The time index may lag the log by up to one index interval; the tail is at most that long.
    if (this.size > 0) {
      const from = lastEntry < 0 ? 0 : this.offsetIndex.positionAt(lastEntry);
      const expected = lastEntry < 0 ? this.baseOffset : this.baseOffset + BigInt(this.offsetIndex.relativeOffsetAt(lastEntry));
      walkBatchesSync(this.logFd, { from, expectedOffset: expected, verifyCrc: false, end: this.size, allowGaps: true }, (info) => {
        if (info.maxTimestamp > this.maxTimestamp) {
          this.maxTimestamp = info.maxTimestamp;
          this.offsetOfMaxTimestamp = info.baseOffset;
        }
      });
    }
    return true;
  }

  /** Recreates both index files from the .log (which must already be valid up to `size`). */
  private rebuildIndexes(indexIntervalBytes: number): WalkResult {
    ftruncateSync(this.offsetIndexFd, 0);
    ftruncateSync(this.timeIndexFd, 0);
    this.offsetIndexBytes = 0;
    this.timeIndexBytes = 0;
    this.bytesSinceLastIndexEntry = 0;
    this.lastIndexedTimestamp = -1n;
    this.maxTimestamp = -1n;
    this.offsetOfMaxTimestamp = -1n;
    const result: WalkResult = walkBatchesSync(this.logFd, { from: 0, expectedOffset: this.baseOffset, verifyCrc: false, end: this.size, allowGaps: true }, (info) => {
      this.noteBatch(info, indexIntervalBytes);
    });
    this.flushIndexes();
    return result;
  }
}

function rolledIndexesLookSound(paths: SegmentFiles, logSize: number, relativeEnd: bigint): boolean {
  let offsetIndexSize: number;
  let timeIndexSize: number;
  try {
    offsetIndexSize = statSync(paths.offsetIndex).size;
    timeIndexSize = statSync(paths.timeIndex).size;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
  if (offsetIndexSize % OFFSET_INDEX_ENTRY_BYTES !== 0 || timeIndexSize % TIME_INDEX_ENTRY_BYTES !== 0) return false;
  // A rolled segment always ends with a time entry when it has batches (a roll writes one).
  if (logSize > 0 && timeIndexSize === 0) return false;
  if (offsetIndexSize > 0) {
    const last = readTail(paths.offsetIndex, offsetIndexSize, OFFSET_INDEX_ENTRY_BYTES);
    const relativeOffset = last.readInt32BE(0);
    const position = last.readInt32BE(4);
    if (relativeOffset < 0 || BigInt(relativeOffset) >= relativeEnd || position < 0 || position >= logSize) return false;
  }
  if (timeIndexSize > 0) {
    const last = readTail(paths.timeIndex, timeIndexSize, TIME_INDEX_ENTRY_BYTES);
    const relativeOffset = last.readInt32BE(8);
    if (relativeOffset < 0 || BigInt(relativeOffset) >= relativeEnd) return false;
  }
  return true;
}

function readLastTimeIndexEntry(path: string): { timestamp: bigint; relativeOffset: number } | null {
  const size = statSync(path).size;
  if (size < TIME_INDEX_ENTRY_BYTES) return null;
  const last = readTail(path, size - (size % TIME_INDEX_ENTRY_BYTES), TIME_INDEX_ENTRY_BYTES);
  return { timestamp: last.readBigInt64BE(0), relativeOffset: last.readInt32BE(8) };
}

function readTail(path: string, fileSize: number, bytes: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(bytes);
    readSync(fd, buf, 0, bytes, fileSize - bytes);
    return buf;
  } finally {
    closeSync(fd);
  }
}

function readWholeFile(fd: number): Buffer {
  const size = fstatSync(fd).size;
  const buf = Buffer.allocUnsafe(size);
  let got = 0;
  while (got < size) {
    const n = readSync(fd, buf, got, size - got, got);
    if (n === 0) break;
    got += n;
  }
  return buf.subarray(0, got);
}

export function writeFully(fd: number, buf: Buffer, length: number, position: number): void {
  let written = 0;
  while (written < length) written += writeSync(fd, buf, written, length - written, position + written);
}

function ensureRoom(buf: Buffer, needed: number): Buffer {
  if (needed <= buf.length) return buf;
  const grown = Buffer.allocUnsafe(Math.max(needed, buf.length * 2));
  buf.copy(grown);
  return grown;
}

function createdMsOf(path: string): bigint {
  const stat = statSync(path);
  const birth = stat.birthtimeMs > 0 ? stat.birthtimeMs : stat.mtimeMs;
  return BigInt(Math.floor(birth));
}

export function unlinkIfPresent(path: string): void {
  try {
    unlinkSync(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
}
