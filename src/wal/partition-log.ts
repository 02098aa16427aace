// The log of one partition as its owning shard worker writes it: offset assignment, appends to the
// active segment, rolls, fsync, recovery on open, retention and DeleteRecords. Appends are
// synchronous; fdatasyncs run on the libuv threadpool (group commit, rolled segments). Only the
// shard worker thread that owns the partition may use this class.
import { closeSync, fdatasync, fdatasyncSync, mkdirSync, openSync, readSync, readdirSync, rmSync, statSync, writevSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { computeBatchCrc } from '../protocol/record-batch.ts';
import { batchInfoAt, walkBatchesSync, type BatchInfo } from '../segments/batch-walk-sync.ts';
import {
  ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND_TIME,
  BATCH_ATTRIBUTES,
  BATCH_BASE_OFFSET,
  BATCH_CRC,
  BATCH_LAST_OFFSET_DELTA,
  BATCH_MAX_TIMESTAMP,
  floorIndex,
  partitionDirName,
  segmentBasesIn,
  segmentPaths,
} from '../segments/layout.ts';
import type { LogConfig } from '../segments/log-config.ts';
import { Segment, writeFully } from '../segments/segment.ts';
import {
  CheckpointFile, readCleanShutdown, removeCleanShutdown, syncDirectory, syncDirectoryAsync, syncFileAsync, syncFileSync, writeCleanShutdown,
  type RecoveryCheckpoint,
} from './checkpoint.ts';
import { validateSegmentTail } from './recovery.ts';

const fdatasyncAsync = promisify(fdatasync);

// Linux writev takes at most IOV_MAX (1024) buffers per call.
const MAX_IOVECS = 1024;
const MAX_RELATIVE_OFFSET = 0x7fffffffn;

export interface PartitionLogOptions {
  /** The data directory; the partition lives in `<dir>/<topic>-<partition>/`. */
  dir: string;
  topic: string;
  partition: number;
  config: LogConfig;
  logger: Logger;
}

export interface AppendResult {
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
  /** The broker's append time under LogAppendTime, -1n under CreateTime (Produce's log_append_time_ms). */
  logAppendTime: bigint;
}

export interface RetentionResult {
  deletedSegments: number;
  deletedBytes: number;
  /** Which limit deleted them: retention.ms, retention.bytes, or the log start offset. */
  reasons: Array<'retention.ms' | 'retention.bytes' | 'log-start-offset'>;
  logStartOffset: bigint;
}

export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly partitionDir: string;
  private readonly config: LogConfig;
  private readonly logger: Logger;
  private readonly checkpointFile: CheckpointFile;
  /** Rolled segments then the active one, ascending by base offset; never empty while open. */
  private readonly segments: Segment[];
  private startOffset: bigint;
  /** The next offset to assign (past the staged batches). */
  private endOffset: bigint;
  private writtenEndOffset: bigint;
  private recoveryPoint: RecoveryCheckpoint;
  private version = 1;
  private unsyncedBytes = 0;
  // Bumped by every write of batches so an async sync can tell whether it covered everything.
  private appendGeneration = 0;
  private failure: Error | null = null;
  /** Batches with offsets assigned, not yet written (stage / flushStaged). */
  private staged: Buffer[] = [];
  private stagedBytes = 0;
  /** Rolled segments whose background fdatasync has not finished, and the chain of those syncs. */
  private readonly unsyncedRolled = new Set<Segment>();
  private rollSyncs: Promise<void> = Promise.resolve();
  private closed = false;

  private constructor(options: PartitionLogOptions, partitionDir: string, checkpointFile: CheckpointFile, segments: Segment[], logStartOffset: bigint) {
    this.topic = options.topic;
    this.partition = options.partition;
    this.config = options.config;
    this.logger = options.logger;
    this.partitionDir = partitionDir;
    this.checkpointFile = checkpointFile;
    this.segments = segments;
    const active = segments[segments.length - 1];
    this.endOffset = active.nextOffset;
    this.writtenEndOffset = this.endOffset;
    this.startOffset = logStartOffset;
    this.recoveryPoint = { logStartOffset, segmentBase: active.baseOffset, position: active.size, offset: active.nextOffset };
  }

  /** Opens (creating or recovering) the log of one partition. */
  static open(options: PartitionLogOptions): PartitionLog {
    const partitionDir = join(options.dir, partitionDirName(options.topic, options.partition));
    mkdirSync(partitionDir, { recursive: true });
    const logger = options.logger;
    const { indexIntervalBytes } = options.config;
    const checkpointFile = new CheckpointFile(partitionDir);
    const checkpoint = checkpointFile.loaded;
    const clean = readCleanShutdown(partitionDir);
    let bases = segmentBasesIn(readdirSync(partitionDir));
    const segments: Segment[] = [];
    if (bases.length > 1) {
      const lastBase = bases[bases.length - 1];
      const cleanStop = clean !== null && clean.activeSegmentBase === lastBase && clean.activeSegmentSize === fileSize(segmentPaths(partitionDir, lastBase).log);
      if (!cleanStop) bases = recoverRolledSegments(partitionDir, bases, checkpoint, logger);
    }

    if (bases.length === 0) {
      segments.push(Segment.create(partitionDir, checkpoint?.logStartOffset ?? 0n, BigInt(Date.now())));
      syncDirectory(partitionDir);
    } else {
      for (let i = 0; i < bases.length - 1; i++) {
        const { segment, indexesRebuilt } = Segment.openRolled(partitionDir, bases[i], bases[i + 1], indexIntervalBytes);
        if (indexesRebuilt) logger.warn({ segment: segment.files.log }, 'rebuilt missing or damaged index files of a rolled segment');
        segments.push(segment);
      }
      const activeBase = bases[bases.length - 1];
      const logPath = segmentPaths(partitionDir, activeBase).log;
      const cleanAndConsistent = clean !== null && clean.activeSegmentBase === activeBase && clean.activeSegmentSize === fileSize(logPath);
      let validBytes: number;
      let nextOffset: bigint;
      if (cleanAndConsistent) {
        validBytes = clean.activeSegmentSize;
        nextOffset = clean.logEndOffset;
      } else {
        // Rolled segments past the recovery point were checked above. After an unclean stop the
        // whole active segment is checked, not just what follows the
        // checkpoint: a batch the checkpoint vouches for may still have been damaged on disk, and
        // serving it would hand clients a batch that fails its CRC. One segment bounds the cost.
        const tail = validateSegmentTail(logPath, activeBase, null);
        validBytes = tail.validBytes;
        nextOffset = tail.nextOffset;
        if (tail.cutBytes > 0) {
          logger.warn(
            { segment: logPath, validatedFrom: tail.validatedFrom, truncatedAt: tail.validBytes, cutBytes: tail.cutBytes, reason: tail.problem, logEndOffset: nextOffset },
            'recovery truncated a torn or corrupt tail',
          );
        } else {
          logger.info({ segment: logPath, validatedFrom: tail.validatedFrom, batches: tail.batchesValidated, logEndOffset: nextOffset }, 'recovered after unclean shutdown');
        }
      }
      const { segment, indexesRebuilt } = Segment.openActive(partitionDir, activeBase, validBytes, nextOffset, cleanAndConsistent, indexIntervalBytes);
      if (segment.size < validBytes) {
        logger.warn({ segment: logPath, truncatedAt: segment.size, cutBytes: validBytes - segment.size }, 'recovery truncated batches that did not walk before the checkpoint');
      }
      if (indexesRebuilt && cleanAndConsistent) logger.warn({ segment: logPath }, 'rebuilt damaged index files of the active segment');
      // What was validated may still sit only in the page cache (a process crash): make it
      // durable before a checkpoint vouches for it.
      if (!cleanAndConsistent) segment.syncFiles();
      segments.push(segment);
    }
    removeCleanShutdown(partitionDir);

    const firstBase = segments[0].baseOffset;
    const lastEnd = segments[segments.length - 1].nextOffset;
    let logStartOffset = checkpoint?.logStartOffset ?? firstBase;
    if (logStartOffset < firstBase) logStartOffset = firstBase;
    if (logStartOffset > lastEnd) logStartOffset = lastEnd;
    const log = new PartitionLog(options, partitionDir, checkpointFile, segments, logStartOffset);
    log.checkpointFile.write(log.recoveryPoint, true);
    return log;
  }

  /** The first offset a consumer may read (Kafka's log start offset). */
  get logStartOffset(): bigint {
    return this.startOffset;
  }

  /**
   * The end of what is written: the offset after the last batch in the files. It is the next
   * offset to assign whenever nothing is staged. After open (recovery) it is also the high
   * watermark.
   */
  get logEndOffset(): bigint {
    return this.writtenEndOffset;
  }

  /** Total bytes of the log's segments. */
  get logEndBytes(): number {
    let total = 0;
    for (const segment of this.segments) total += segment.size;
    return total;
  }

  /** Changes whenever the set of segment files changes (roll, deletion): readers then re-list. */
  get segmentsVersion(): number {
    return this.version;
  }

  /** True when appended bytes have not been fdatasynced yet (in the active segment or a rolled one). */
  get dirty(): boolean {
    return this.unsyncedBytes > 0 || this.unsyncedRolled.size > 0;
  }

  get segmentCount(): number {
    return this.segments.length;
  }

  private get active(): Segment {
    return this.segments[this.segments.length - 1];
  }

  /** Appends one batch validated by the caller; see appendMany. */
  append(batch: Buffer, appendTimeMs: bigint): AppendResult {
    return this.appendMany([batch], appendTimeMs)[0];
  }

  /** Stages batches (see stage) and writes them at once. */
  appendMany(batches: readonly Buffer[], appendTimeMs: bigint): AppendResult[] {
    const results = this.stage(batches, appendTimeMs);
    this.flushStaged();
    return results;
  }

  /**
   * Takes batches validated by the caller, in order: assigns each its offsets (the only place
   * offsets are assigned, DESIGN §7 item 7) by rewriting baseOffset in place, stamps it under
   * LogAppendTime, and queues it for the next flushStaged(), which writes everything staged with
   * one writev. A roll (the batch would not fit the active segment, or it is older than
   * segment.ms) writes what is staged first. The staged buffers are written as they are, so they
   * must stay untouched until flushStaged() returns; the shard stages a whole ring drain and
   * flushes before it releases the ring's space, so several requests' batches reach the file in
   * one larger write. Nothing staged is visible to readers: the shard publishes after the flush.
   */
  stage(batches: readonly Buffer[], appendTimeMs: bigint): AppendResult[] {
    this.assertWritable();
    const results: AppendResult[] = [];
    const logAppendTime = this.config.messageTimestampType === 'LogAppendTime';
    try {
      for (const batch of batches) {
        const active = this.active;
        const lastOffsetDelta = BigInt(batch.readInt32BE(BATCH_LAST_OFFSET_DELTA));
        const used = active.size + this.stagedBytes;
        const mustRoll =
          used > 0 &&
          (used + batch.length > this.config.segmentBytes ||
            appendTimeMs - active.createdMs > BigInt(this.config.segmentMs) ||
            this.endOffset + lastOffsetDelta - active.baseOffset > MAX_RELATIVE_OFFSET);
        if (mustRoll) {
          this.writeStaged();
          this.roll(appendTimeMs);
        }
        batch.writeBigInt64BE(this.endOffset, BATCH_BASE_OFFSET);
        if (logAppendTime) stampLogAppendTime(batch, appendTimeMs);
        const info: BatchInfo = batchInfoAt(batch, 0, this.active.size + this.stagedBytes);
        this.active.noteBatch(info, this.config.indexIntervalBytes);
        this.staged.push(batch);
        this.stagedBytes += batch.length;
        this.endOffset = info.lastOffset + 1n;
        results.push({
          baseOffset: info.baseOffset,
          lastOffset: info.lastOffset,
          maxTimestamp: info.maxTimestamp,
          logAppendTime: logAppendTime ? appendTimeMs : -1n,
        });
      }
    } catch (err) {
      this.fail(err as Error);
    }
    return results;
  }

  /** True after a failed write: the log refuses appends until it is reopened (recovery decides its end). */
  get offline(): boolean {
    return this.failure !== null;
  }

  /** True when staged batches wait for flushStaged(). */
  get hasStaged(): boolean {
    return this.staged.length > 0;
  }

  /** Writes every staged batch (one writev per segment). On failure the log goes offline and this throws. */
  flushStaged(): void {
    // A stage() that failed took the log offline and dropped what was staged before it: that must
    // reach the caller as a failure, not as a flush with nothing to do.
    this.assertWritable();
    if (this.staged.length === 0) return;
    try {
      this.writeStaged();
    } catch (err) {
      this.fail(err as Error);
    }
  }

  /**
   * The in-memory state may now be ahead of the files: refuse further appends rather than assign
   * offsets on top of bytes that may not be there (Kafka takes the log dir offline).
   */
  private fail(err: Error): never {
    this.failure = err;
    this.staged = [];
    this.stagedBytes = 0;
    this.logger.error({ err }, 'append failed; partition log is offline');
    throw err;
  }

  private writeStaged(): void {
    const frames = this.staged;
    const bytes = this.stagedBytes;
    this.staged = [];
    this.stagedBytes = 0;
    this.writeToActive(frames, bytes);
    this.writtenEndOffset = this.endOffset;
  }

  private writeToActive(frames: Buffer[], bytes: number): void {
    if (frames.length === 0) return;
    const active = this.active;
    const fd = active.logDescriptor;
    let position = active.size;
    for (let first = 0; first < frames.length; first += MAX_IOVECS) {
      const group = frames.slice(first, first + MAX_IOVECS);
      let groupBytes = 0;
      for (const frame of group) groupBytes += frame.length;
      const written = writevSync(fd, group, position);
      if (written < groupBytes) writeRemainder(fd, group, written, position);
      position += groupBytes;
    }
    active.size += bytes;
    active.flushIndexes();
    this.unsyncedBytes += bytes;
    this.appendGeneration++;
  }

  /**
   * Closes the active segment and starts the next one at logEndOffset. The closed segment is
   * fdatasynced in the background (as Kafka flushes a rolled segment asynchronously): a roll no
   * longer stalls appends for the seconds a 1 GiB segment takes to reach the disk. Until that sync
   * is done the recovery point stays where it was, so recovery after a crash validates from there
   * through every later segment; sync(), syncAsync() and close() wait for it.
   */
  private roll(nowMs: bigint): void {
    const previous = this.active;
    previous.appendFinalTimeIndexEntry();
    previous.flushIndexes();
    const logFd = previous.retainDescriptor();
    previous.closeDescriptors();
    this.segments.push(Segment.create(this.partitionDir, this.endOffset, nowMs));
    const next: RecoveryCheckpoint = { logStartOffset: this.startOffset, segmentBase: this.endOffset, position: 0, offset: this.endOffset };
    this.unsyncedRolled.add(previous);
    // Chained, so the recovery point only ever moves past segments that are all durable.
    this.rollSyncs = this.rollSyncs.then(async () => {
      try {
        await Promise.all([fdatasyncAsync(logFd), syncFileAsync(previous.files.offsetIndex), syncFileAsync(previous.files.timeIndex)]);
        await syncDirectoryAsync(this.partitionDir);
      } finally {
        previous.releaseDescriptor();
      }
      this.unsyncedRolled.delete(previous);
      this.advanceRecoveryPoint(next);
    }).catch((err: unknown) => {
      // The recovery point stays behind this segment; sync() and close() retry synchronously.
      this.logger.error({ err, segment: previous.files.log }, 'background fdatasync of a rolled segment failed');
    });
    this.unsyncedBytes = 0;
    this.version++;
    this.logger.debug({ rolled: previous.baseOffset.toString(), size: previous.size, next: this.endOffset.toString() }, 'rolled segment');
  }

  /** Moves the recovery point forward (never back) and records it. */
  private advanceRecoveryPoint(point: RecoveryCheckpoint): void {
    if (this.closed) return;
    const ahead = point.segmentBase > this.recoveryPoint.segmentBase
      || (point.segmentBase === this.recoveryPoint.segmentBase && point.position > this.recoveryPoint.position);
    if (!ahead) return;
    this.recoveryPoint = { ...point, logStartOffset: this.startOffset };
    this.checkpointFile.write(this.recoveryPoint, false);
  }

  /** Makes rolled segments whose background sync has not finished durable now, synchronously. */
  private syncRolledNow(): void {
    for (const segment of this.unsyncedRolled) {
      for (const path of [segment.files.log, segment.files.offsetIndex, segment.files.timeIndex]) syncFileSync(path);
    }
    if (this.unsyncedRolled.size > 0) syncDirectory(this.partitionDir);
    this.unsyncedRolled.clear();
  }

  /** fdatasync of the active segment (and of rolled ones still syncing), then the recovery checkpoint moves to the synced end. */
  sync(): void {
    this.assertWritable();
    this.assertNothingStaged();
    if (!this.dirty) return;
    const active = this.active;
    const point: RecoveryCheckpoint = { logStartOffset: this.startOffset, segmentBase: active.baseOffset, position: active.size, offset: this.endOffset };
    this.syncRolledNow();
    active.flushIndexes();
    fdatasyncSync(active.logDescriptor);
    this.unsyncedBytes = 0;
    this.advanceRecoveryPoint(point);
  }

  /** Like sync() but on the libuv threadpool, so several partitions' syncs overlap (syncAll). */
  async syncAsync(): Promise<void> {
    this.assertWritable();
    this.assertNothingStaged();
    if (!this.dirty) return;
    const active = this.active;
    const generation = this.appendGeneration;
    const point: RecoveryCheckpoint = { logStartOffset: this.startOffset, segmentBase: active.baseOffset, position: active.size, offset: this.endOffset };
    const rolledBefore = [...this.unsyncedRolled];
    const fd = active.retainDescriptor();
    try {
      // Batches written before a roll in this same commit live in the rolled segment.
      await Promise.all([this.rollSyncs, fdatasyncAsync(fd)]);
    } finally {
      active.releaseDescriptor();
    }
    if (this.closed) return;
    // A background sync that failed is retried here, where a failure reaches the caller.
    if (rolledBefore.some((segment) => this.unsyncedRolled.has(segment))) this.syncRolledNow();
    // Appends that landed while the sync ran may not be covered by it.
    if (generation === this.appendGeneration) this.unsyncedBytes = 0;
    this.advanceRecoveryPoint(point);
  }

  /**
   * DeleteRecords: raises the log start offset to `offset` (at most logEndOffset; the caller
   * checks it against the high watermark) and deletes the segments wholly below it.
   */
  deleteRecordsBefore(offset: bigint): { logStartOffset: bigint; deletedSegments: number } {
    this.assertWritable();
    this.assertNothingStaged();
    if (offset > this.endOffset) throw new RangeError(`offset ${offset} is past the log end offset ${this.endOffset}`);
    if (offset <= this.startOffset) return { logStartOffset: this.startOffset, deletedSegments: 0 };
    this.startOffset = offset;
    const deleted = this.deleteLeadingSegments((segment) => segment.nextOffset <= this.startOffset);
    this.persistLogStartOffset();
    return { logStartOffset: this.startOffset, deletedSegments: deleted.count };
  }

  /**
   * Deletes rolled segments past retention.ms (by their largest timestamp) or retention.bytes (by
   * the log's total size), oldest first, never the active one; raises logStartOffset to the base
   * of the first remaining segment.
   */
  applyRetention(nowMs: bigint): RetentionResult {
    this.assertWritable();
    this.assertNothingStaged();
    const reasons: RetentionResult['reasons'] = [];
    let deletedSegments = 0;
    let deletedBytes = 0;
    const tally = (result: { count: number; bytes: number }, reason: RetentionResult['reasons'][number]): void => {
      if (result.count === 0) return;
      deletedSegments += result.count;
      deletedBytes += result.bytes;
      reasons.push(reason);
    };
    tally(this.deleteLeadingSegments((segment) => segment.nextOffset <= this.startOffset), 'log-start-offset');
    if (this.config.retentionMs >= 0) {
      const cutoff = nowMs - BigInt(this.config.retentionMs);
      tally(this.deleteLeadingSegments((segment) => segment.maxTimestamp < cutoff), 'retention.ms');
    }
    if (this.config.retentionBytes >= 0) {
      let excess = this.logEndBytes - this.config.retentionBytes;
      tally(
        this.deleteLeadingSegments((segment) => {
          if (excess - segment.size < 0) return false;
          excess -= segment.size;
          return true;
        }),
        'retention.bytes',
      );
    }
    if (deletedSegments > 0) {
      if (this.segments[0].baseOffset > this.startOffset) this.startOffset = this.segments[0].baseOffset;
      this.persistLogStartOffset();
    }
    return { deletedSegments, deletedBytes, reasons, logStartOffset: this.startOffset };
  }

  /** Deletes rolled segments from the oldest while `shouldDelete` says so. */
  private deleteLeadingSegments(shouldDelete: (segment: Segment) => boolean): { count: number; bytes: number } {
    let count = 0;
    let bytes = 0;
    while (this.segments.length > 1 && shouldDelete(this.segments[0])) {
      const segment = this.segments.shift()!;
      segment.deleteFiles();
      count++;
      bytes += segment.size;
      this.logger.info({ segment: segment.files.log, size: segment.size }, 'deleted segment');
    }
    if (count > 0) this.version++;
    return { count, bytes };
  }

  private persistLogStartOffset(): void {
    this.recoveryPoint = { ...this.recoveryPoint, logStartOffset: this.startOffset };
    this.checkpointFile.write(this.recoveryPoint, true);
  }

  /**
   * Calls `visit` with each batch holding offsets >= `fromOffset` (from the batch containing it)
   * below logEndOffset, in order. `frame` is only valid during the call. For replaying internal
   * logs (metadata, consumer offsets) at startup.
   */
  forEachBatchSync(fromOffset: bigint, visit: (frame: Buffer, info: BatchInfo) => void): void {
    this.assertOpen();
    this.assertNothingStaged();
    const bases = this.segments.map((segment) => segment.baseOffset);
    const first = Math.max(floorIndex(bases, fromOffset), 0);
    for (let i = first; i < this.segments.length; i++) {
      const segment = this.segments[i];
      if (segment.isEmpty) continue;
      const from = i === this.segments.length - 1 ? segment.floorPosition(fromOffset > segment.baseOffset ? fromOffset : segment.baseOffset) : 0;
      const fd = openSync(segment.files.log, 'r');
      try {
        let expectedOffset = segment.baseOffset;
        if (from > 0) expectedOffset = batchBaseAt(fd, from);
        walkBatchesSync(fd, { from, expectedOffset, verifyCrc: false, end: segment.size }, (info, frame) => {
          if (info.lastOffset >= fromOffset) visit(frame, info);
        });
      } finally {
        closeSync(fd);
      }
    }
  }

  /** Every batch from logStartOffset, copied: for small internal logs. */
  readAllSync(): Buffer[] {
    const frames: Buffer[] = [];
    this.forEachBatchSync(this.startOffset, (frame) => frames.push(Buffer.from(frame)));
    return frames;
  }

  /** Syncs everything and leaves the clean-shutdown marker so the next open skips the tail scan. */
  close(): void {
    if (this.closed) return;
    this.assertNothingStaged();
    if (this.failure === null) {
      const active = this.active;
      active.appendFinalTimeIndexEntry();
      active.flushIndexes();
      this.syncRolledNow();
      fdatasyncSync(active.logDescriptor);
      this.recoveryPoint = { logStartOffset: this.startOffset, segmentBase: active.baseOffset, position: active.size, offset: this.endOffset };
      this.checkpointFile.write(this.recoveryPoint, true);
      for (const segment of this.segments) segment.closeDescriptors();
      this.checkpointFile.close();
      writeCleanShutdown(this.partitionDir, { activeSegmentBase: active.baseOffset, activeSegmentSize: active.size, logEndOffset: this.endOffset });
    } else {
      for (const segment of this.segments) segment.closeDescriptors();
      this.checkpointFile.close();
    }
    this.closed = true;
  }

  /** Topic deletion: closes the log and removes its directory. */
  deleteAll(): void {
    if (!this.closed) {
      for (const segment of this.segments) segment.closeDescriptors();
      this.checkpointFile.close();
      this.closed = true;
    }
    rmSync(this.partitionDir, { recursive: true, force: true });
    this.version++;
  }

  private assertOpen(): void {
    if (this.closed) throw new Error(`partition log ${this.topic}-${this.partition} is closed`);
  }

  /** Staged batches live in memory their owner reuses: they are flushed by the owner, never later by us. */
  private assertNothingStaged(): void {
    if (this.staged.length > 0) throw new Error(`partition log ${this.topic}-${this.partition} has staged batches that were not flushed`);
  }

  private assertWritable(): void {
    this.assertOpen();
    if (this.failure) throw new Error(`partition log ${this.topic}-${this.partition} is offline after a failed write`, { cause: this.failure });
  }
}

/**
 * After an unclean stop, the rolled segments from the recovery point's segment on may not have
 * finished their background fdatasync (roll() does not wait for it), so each is validated whole:
 * length, magic, contiguous offsets and CRC-32C of every batch, and it must end where the next
 * segment begins. At the first that fails, every later segment is removed and that one becomes the
 * active segment, whose tail the caller then checks and cuts like any other. Segments before the
 * recovery point's were synced before the point moved past them. Returns the bases left.
 */
function recoverRolledSegments(partitionDir: string, bases: bigint[], checkpoint: RecoveryCheckpoint | null, logger: Logger): bigint[] {
  const from = checkpoint?.segmentBase ?? bases[0];
  for (let i = 0; i < bases.length - 1; i++) {
    if (bases[i] < from) continue;
    const logPath = segmentPaths(partitionDir, bases[i]).log;
    const check = validateSegmentTail(logPath, bases[i], null);
    if (check.cutBytes === 0 && check.nextOffset === bases[i + 1]) continue;
    const removed = bases.slice(i + 1);
    logger.warn(
      {
        segment: logPath, validBytes: check.validBytes, cutBytes: check.cutBytes, reason: check.problem, endsAt: check.nextOffset,
        nextSegmentBase: bases[i + 1], removedSegments: removed.map(String),
      },
      'recovery found a rolled segment that had not reached the disk whole; it becomes the active segment and later segments are removed',
    );
    for (const base of removed) {
      const paths = segmentPaths(partitionDir, base);
      for (const path of [paths.log, paths.offsetIndex, paths.timeIndex]) rmSync(path, { force: true });
    }
    syncDirectory(partitionDir);
    return bases.slice(0, i + 1);
  }
  return bases;
}

/**
 * Group commit across partitions (DESIGN §3 design (a)): fdatasyncs every dirty log concurrently
 * on the libuv threadpool (UV_THREADPOOL_SIZE bounds how many run at once), resolving when all
 * are durable.
 */
export async function syncAll(logs: readonly PartitionLog[]): Promise<void> {
  const pending: Promise<void>[] = [];
  for (const log of logs) if (log.dirty) pending.push(log.syncAsync());
  await Promise.all(pending);
}

function stampLogAppendTime(batch: Buffer, appendTimeMs: bigint): void {
  batch.writeInt16BE(batch.readInt16BE(BATCH_ATTRIBUTES) | ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND_TIME, BATCH_ATTRIBUTES);
  batch.writeBigInt64BE(appendTimeMs, BATCH_MAX_TIMESTAMP);
  // Attributes and maxTimestamp are inside the CRC's range, unlike baseOffset.
  batch.writeUInt32BE(computeBatchCrc(batch, 0), BATCH_CRC);
}

function writeRemainder(fd: number, frames: Buffer[], alreadyWritten: number, position: number): void {
  let skip = alreadyWritten;
  let at = position + alreadyWritten;
  for (const frame of frames) {
    if (skip >= frame.length) {
      skip -= frame.length;
      continue;
    }
    writeFully(fd, frame.subarray(skip), frame.length - skip, at);
    at += frame.length - skip;
    skip = 0;
  }
}

function batchBaseAt(fd: number, position: number): bigint {
  const header = Buffer.alloc(8);
  readSync(fd, header, 0, 8, position);
  return header.readBigInt64BE(0);
}

function fileSize(path: string): number {
  return statSync(path).size;
}
