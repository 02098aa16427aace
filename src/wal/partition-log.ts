// The log of one partition as its owning shard worker writes it: offset assignment, stage/flush to
// the active segment, and sync; it composes the segment set (roll, retention, DeleteRecords), the
// recovery point and recovery on open. Appends are synchronous; fdatasyncs run on the libuv
// threadpool (group commit, rolled segments). Only the shard worker thread that owns the partition
// may use this class.
import { forgetOpenLog, touchOpenLog } from './open-logs.ts';
import { appendFileSync, closeSync, fdatasync, fdatasyncSync, mkdirSync, openSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import { computeBatchCrc } from '../protocol/record-batch.ts';
import { batchInfoAt, type BatchInfo } from '../segments/batch-header.ts';
import { ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND_TIME, BATCH_ATTRIBUTES, BATCH_BASE_OFFSET, BATCH_CRC, BATCH_MAX_TIMESTAMP, partitionDirName } from '../segments/layout.ts';
import type { LogConfig } from '../segments/log-config.ts';
import { applyRetention, deleteRecordsBefore, type RetentionResult } from '../segments/retention.ts';
import { SegmentSet } from '../segments/segment-set.ts';
import type { CleanedGroup } from '../segments/cleaner.ts';
import { discardCleaned, swapCleanedGroups } from './cleaner-swap.ts';
import { CHECKPOINT_FILE, CheckpointFile, syncDirectory, syncFileSync, writeCleanShutdown, type RecoveryCheckpoint } from './checkpoint.ts';
import { expediteCreationSyncs, queueCreationSync } from './creation-syncs.ts';
import { RecoveryPoint } from './recovery-point.ts';
import { recoverSegments } from './recovery.ts';
import { writeFramesAt } from './write-frames.ts';
import { decodeAbortedTxns, encodeAbortedTxn, encodeAbortedTxns, type AbortedTxn } from '../segments/txn-index.ts';

export type { RetentionResult } from '../segments/retention.ts';

const fdatasyncAsync = promisify(fdatasync);

/**
 * Tests only: runs before each group-commit fdatasync (syncAsync) and may delay it or throw in its
 * place, as a slow or failing disk would. Undefined in a broker unless its shard worker was started
 * with HIGHWATER_TEST_SYNC_FAULT_FILE (worker.ts).
 */
export type SyncFault = (log: PartitionLog) => Promise<void> | void;
let syncFault: SyncFault | undefined;

/** Installs (or with undefined removes) the sync fault hook of this thread: tests only. */
export function setSyncFaultForTests(fault: SyncFault | undefined): void {
  syncFault = fault;
}

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

export class PartitionLog {
  readonly topic: string;
  readonly partition: number;
  readonly partitionDir: string;
  private readonly config: LogConfig;
  private readonly logger: Logger;
  private readonly segments: SegmentSet;
  private readonly recoveryPoint: RecoveryPoint;
  /** The next offset to assign (past the staged batches). */
  private endOffset: bigint;
  private writtenEndOffset: bigint;
  private unsyncedBytes = 0;
  // Bumped by every write of batches so an async sync can tell whether it covered everything.
  private appendGeneration = 0;
  private failure: Error | null = null;
  /** Batches with offsets assigned, not yet written (stage / flushStaged). */
  private staged: Buffer[] = [];
  private stagedBytes = 0;
  private closed = false;

  private constructor(options: PartitionLogOptions, segments: SegmentSet, checkpointFile: CheckpointFile) {
    this.topic = options.topic;
    this.partition = options.partition;
    this.config = options.config;
    this.logger = options.logger;
    this.partitionDir = segments.partitionDir;
    this.segments = segments;
    this.endOffset = segments.active.nextOffset;
    this.writtenEndOffset = this.endOffset;
    this.recoveryPoint = new RecoveryPoint(checkpointFile, this.partitionDir, this.activeEnd(), () => segments.logStartOffset, this.logger);
  }

  /** Opens (creating or recovering) the log of one partition. */
  static open(options: PartitionLogOptions): PartitionLog {
    const partitionDir = join(options.dir, partitionDirName(options.topic, options.partition));
    const firstMade = mkdirSync(partitionDir, { recursive: true });
    const checkpointFile = new CheckpointFile(partitionDir);
    const recovered = recoverSegments(partitionDir, checkpointFile.loaded, options.config.indexIntervalBytes, options.logger);
    const segments = new SegmentSet(partitionDir, recovered.segments, recovered.logStartOffset, options.config, options.logger);
    const log = new PartitionLog(options, segments, checkpointFile);
    if (recovered.created) {
      // A new partition: its entries (and its directory's, in the parent) are made durable off
      // this thread's loop, a few at a time (creation-syncs.ts), so creating a thousand partitions
      // does not hold the shard's other partitions for a thousand synchronous fsyncs. Until they
      // are done, a sync of this log (the group commit's syncAsync) also waits for them, so nothing
      // appended here is acknowledged under fsync=always before the files it lives in are durable.
      log.recoveryPoint.record(log.activeEnd(), false);
      log.syncCreationInBackground(partitionDir, firstMade);
    } else {
      log.recoveryPoint.record(log.activeEnd());
    }
    // Counted among the logs holding descriptors; over the thread's bound an idle one lets go,
    // so opening every partition at start-up never holds every partition's files (open-logs.ts).
    touchOpenLog(log);
    return log;
  }

  /**
   * The creation syncs of a new log: `partitionDir` (the segment files and the checkpoint), the
   * checkpoint's bytes, the data directory (the partition directory's entry), and the parent of
   * every other directory mkdir made (up from `partitionDir` to `firstMade`).
   */
  private syncCreationInBackground(partitionDir: string, firstMade: string | undefined): void {
    const directories = [partitionDir, dirname(partitionDir)];
    for (let made = dirname(partitionDir); firstMade !== undefined && made.length >= firstMade.length && dirname(made) !== made; made = dirname(made)) {
      directories.push(dirname(made));
    }
    const files = [join(partitionDir, CHECKPOINT_FILE)];
    this.creation = { directories, files, done: false };
    const creation = this.creation;
    this.creationSynced = Promise.all([
      ...directories.map((d) => queueCreationSync('directory', d)),
      ...files.map((f) => queueCreationSync('file', f)),
    ]).then(() => {
      creation.done = true;
    }, (err: unknown) => {
      creation.error = err as Error;
      if (!this.closed) this.logger.error({ err }, 'syncing a new partition log\'s files failed; its next commit reports it');
    });
  }

  /** A new log's creation syncs (syncCreationInBackground); null once they are done or for an opened log. */
  private creation: { directories: string[]; files: string[]; done: boolean; error?: Error } | null = null;
  /** Settles (never rejects) when the creation syncs are done or failed. */
  private creationSynced: Promise<void> = Promise.resolve();

  /** True while a new log's files may not be durable yet (the creation syncs run or failed). */
  get creationPending(): boolean {
    return this.creation !== null && !this.creation.done;
  }

  /** The creation syncs, done here and now if they have not finished (sync, close). */
  private syncCreationNow(): void {
    const creation = this.creation;
    if (creation === null || creation.done) return;
    for (const file of creation.files) syncFileSync(file);
    for (const dir of creation.directories) syncDirectory(dir);
    creation.done = true;
    this.creation = null;
  }

  /** A commit waits for this log's creation syncs: they go before other new partitions'. */
  private expediteCreation(): void {
    const creation = this.creation!;
    expediteCreationSyncs([
      ...creation.directories.map((path) => ({ kind: 'directory' as const, path })),
      ...creation.files.map((path) => ({ kind: 'file' as const, path })),
    ]);
  }

  /** Waits for the creation syncs; a failed one is retried here, where the failure reaches the caller. */
  private async awaitCreation(): Promise<void> {
    await this.creationSynced;
    const creation = this.creation;
    if (creation === null) return;
    if (creation.error !== undefined) this.syncCreationNow();
    this.creation = null;
  }

  /**
   * Gives back the descriptors of an idle log (open-logs.ts): nothing staged, nothing unsynced, no
   * background sync of a rolled segment in flight. They are reopened by the next write or sync.
   */
  releaseIdleDescriptors(): boolean {
    if (this.closed || this.failure !== null || this.staged.length > 0 || this.dirty) return false;
    if (!this.segments.active.releaseIdleDescriptors()) return false;
    this.recoveryPoint.releaseDescriptor();
    return true;
  }

  /** The first offset a consumer may read (Kafka's log start offset). */
  get logStartOffset(): bigint {
    return this.segments.logStartOffset;
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
    return this.segments.totalBytes;
  }

  /** Changes whenever the set of segment files changes (roll, deletion): readers then re-list. */
  get segmentsVersion(): number {
    return this.segments.version;
  }

  /** True when appended bytes have not been fdatasynced yet (in the active segment or a rolled one). */
  get dirty(): boolean {
    return this.unsyncedBytes > 0 || this.recoveryPoint.rolledPending;
  }

  get segmentCount(): number {
    return this.segments.count;
  }

  /** The recovery point at the end of the active segment's written bytes (everything written). */
  private activeEnd(): RecoveryCheckpoint {
    const active = this.segments.active;
    return { logStartOffset: this.segments.logStartOffset, segmentBase: active.baseOffset, position: active.size, offset: this.endOffset };
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
        if (this.segments.mustRoll(batch, this.endOffset, this.stagedBytes, appendTimeMs)) {
          this.writeStaged();
          this.roll(appendTimeMs);
        }
        batch.writeBigInt64BE(this.endOffset, BATCH_BASE_OFFSET);
        if (logAppendTime) stampLogAppendTime(batch, appendTimeMs);
        const active = this.segments.active;
        const info: BatchInfo = batchInfoAt(batch, 0, active.size + this.stagedBytes);
        active.noteBatch(info, this.config.indexIntervalBytes);
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

  /** True after a failed write or sync: the log refuses appends until it is reopened (recovery decides its end). */
  get offline(): boolean {
    return this.failure !== null;
  }

  /** Why the log is offline (the failed write's or sync's error), or null. */
  get offlineReason(): Error | null {
    return this.failure;
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
    touchOpenLog(this);
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
    const active = this.segments.active;
    writeFramesAt(active.logDescriptor, frames, active.size);
    active.size += bytes;
    active.flushIndexesIfMany();
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
    const { rolled, logDescriptor } = this.segments.roll(this.endOffset, nowMs);
    const next: RecoveryCheckpoint = { logStartOffset: this.segments.logStartOffset, segmentBase: this.endOffset, position: 0, offset: this.endOffset };
    this.recoveryPoint.syncRolledInBackground(rolled, logDescriptor, next);
    this.unsyncedBytes = 0;
    this.logger.debug({ rolled: rolled.baseOffset.toString(), size: rolled.size, next: this.endOffset.toString() }, 'rolled segment');
  }

  /** fdatasync of the active segment (and of rolled ones still syncing), then the recovery checkpoint moves to the synced end. */
  sync(): void {
    this.assertWritable();
    this.assertNothingStaged();
    if (!this.dirty) return;
    const active = this.segments.active;
    const point = this.activeEnd();
    this.syncCreationNow();
    this.recoveryPoint.syncRolledNow();
    active.flushIndexes();
    fdatasyncSync(active.logDescriptor);
    this.unsyncedBytes = 0;
    this.recoveryPoint.advance(point);
  }

  /**
   * Like sync() but on the libuv threadpool, so several partitions' syncs overlap (syncAll). Writes
   * may go on while it runs (the shard's pipelined group commit): it covers what was written when
   * it began, and the recovery point moves only to there. A sync that fails takes the log offline,
   * as a failed write does: after a failed fdatasync the kernel may have dropped the dirty pages,
   * so nothing written before it may be acknowledged, and a later sync could not prove otherwise.
   */
  async syncAsync(): Promise<void> {
    this.assertWritable();
    this.assertNothingStaged();
    if (!this.dirty) return;
    const active = this.segments.active;
    const generation = this.appendGeneration;
    const point = this.activeEnd();
    const rolledBefore = this.recoveryPoint.pendingRolled();
    const fd = active.retainDescriptor();
    try {
      if (syncFault !== undefined) await syncFault(this);
      // Batches written before a roll in this same commit live in the rolled segment.
      if (this.creationPending) this.expediteCreation();
      await Promise.all([this.recoveryPoint.rolledSyncs, fdatasyncAsync(fd), this.creationSynced]);
    } catch (err) {
      this.syncFailed(err as Error);
    } finally {
      active.releaseDescriptor();
    }
    if (this.closed) return;
    // Another sync of this log failed meanwhile (a deeper commit pipeline): this one proves nothing
    // about the bytes that one covered, so it fails too and the recovery point stays.
    if (this.failure !== null) this.syncFailed(this.failure);
    try {
      // A new log's files: durable before anything written to them is acknowledged.
      if (this.creation !== null) await this.awaitCreation();
      // A background sync that failed is retried here, where a failure reaches the caller.
      if (this.recoveryPoint.anyStillPending(rolledBefore)) this.recoveryPoint.syncRolledNow();
    } catch (err) {
      this.syncFailed(err as Error);
    }
    // Appends that landed while the sync ran may not be covered by it.
    if (generation === this.appendGeneration) this.unsyncedBytes = 0;
    this.recoveryPoint.advance(point);
  }

  /** A failed sync: offline (the first failure is kept), and the caller hears of it. */
  private syncFailed(err: Error): never {
    if (this.failure === null && !this.closed) {
      this.failure = err;
      this.logger.error({ err }, 'fdatasync failed; partition log is offline');
    }
    throw err;
  }

  /**
   * DeleteRecords: raises the log start offset to `offset` (at most logEndOffset; the caller
   * checks it against the high watermark) and deletes the segments wholly below it.
   */
  deleteRecordsBefore(offset: bigint): { logStartOffset: bigint; deletedSegments: number } {
    this.assertWritable();
    this.assertNothingStaged();
    const { logStartOffset, deletedSegments, moved } = deleteRecordsBefore(this.segments, offset, this.endOffset);
    if (moved) this.recoveryPoint.persistLogStartOffset();
    return { logStartOffset, deletedSegments };
  }

  /** Retention by retention.ms and retention.bytes (src/segments/retention.ts), persisted. */
  applyRetention(nowMs: bigint): RetentionResult {
    this.assertWritable();
    this.assertNothingStaged();
    const result = applyRetention(this.segments, this.config, nowMs);
    if (result.deletedSegments > 0) this.recoveryPoint.persistLogStartOffset();
    return result;
  }

  /**
   * What the cleaner may read: the rolled segments known durable (before the recovery point's
   * segment, so recovery never re-validates a cleaned one against the next segment's base), oldest
   * first, with their sizes as the swap will check them.
   */
  cleanableSegments(): { baseOffset: bigint; nextOffset: bigint; size: number; maxTimestamp: bigint; logPath: string }[] {
    this.assertWritable();
    const durableBefore = this.recoveryPoint.segmentBase;
    const out = [];
    for (const segment of this.segments.rolled) {
      if (segment.nextOffset > durableBefore || this.recoveryPoint.anyStillPending([segment])) break;
      out.push({ baseOffset: segment.baseOffset, nextOffset: segment.nextOffset, size: segment.size, maxTimestamp: segment.maxTimestamp, logPath: segment.files.log });
    }
    return out;
  }

  /**
   * Tiered storage: the rolled segments known durable (as cleanableSegments) that end at or below
   * `lastStableOffset`, oldest first: what may be uploaded. Their files no longer change.
   */
  uploadableSegments(lastStableOffset: bigint): { baseOffset: bigint; nextOffset: bigint; size: number; maxTimestamp: bigint; files: { log: string; offsetIndex: string; timeIndex: string; txnIndex: string } }[] {
    const out = [];
    for (const segment of this.cleanableSegments()) {
      if (segment.nextOffset > lastStableOffset) break;
      const files = this.segments.rolled.find((r) => r.baseOffset === segment.baseOffset)!.files;
      out.push({ baseOffset: segment.baseOffset, nextOffset: segment.nextOffset, size: segment.size, maxTimestamp: segment.maxTimestamp, files });
    }
    return out;
  }

  /** Tiered storage: the rolled segments, oldest first, with their sizes and largest timestamps. */
  rolledSegments(): { baseOffset: bigint; nextOffset: bigint; size: number; maxTimestamp: bigint }[] {
    return this.segments.rolled.map((s) => ({ baseOffset: s.baseOffset, nextOffset: s.nextOffset, size: s.size, maxTimestamp: s.maxTimestamp }));
  }

  /**
   * Tiered storage: deletes leading rolled segments while `shouldDelete` says so (the caller allows
   * only segments already recorded remote) and raises the (local) log start offset to the first
   * one left, persisted in the recovery checkpoint.
   */
  deleteLocalLeading(shouldDelete: (segment: { baseOffset: bigint; nextOffset: bigint; size: number; maxTimestamp: bigint }) => boolean): { count: number; bytes: number } {
    this.assertWritable();
    this.assertNothingStaged();
    const deleted = this.segments.deleteLeading(shouldDelete);
    if (deleted.count > 0) {
      this.segments.raiseLogStartOffset(this.segments.first.baseOffset);
      this.recoveryPoint.persistLogStartOffset();
    }
    return deleted;
  }

  /**
   * Swaps the cleaner's groups in (src/wal/cleaner-swap.ts), each only if its segments are still
   * the ones it read at `sizes`; returns how many were swapped. Readers re-list after it.
   */
  swapCleaned(groups: readonly CleanedGroup[], sizes: ReadonlyMap<bigint, number>): number {
    this.assertWritable();
    this.assertNothingStaged();
    return swapCleanedGroups(this.segments, groups, (group) => group.replaces.map((b) => sizes.get(b) ?? -1), this.config.indexIntervalBytes, this.logger);
  }

  /** Deletes cleaned files that will not be swapped in. */
  discardCleaned(groups: readonly CleanedGroup[]): void {
    for (const group of groups) discardCleaned(this.partitionDir, group.replaces[0]!);
  }

  /**
   * Appends an aborted transaction to the .txnindex of the active segment: the one the ABORT marker
   * just staged lands in (stage() rolls before it stages, never after). Not fsynced: the index is
   * derived from the log, and every unclean open rebuilds it (rebuildTxnIndexes); close() syncs it.
   */
  appendAbortedTxn(txn: AbortedTxn): void {
    this.assertWritable();
    const active = this.segments.active;
    try {
      appendFileSync(active.files.txnIndex, encodeAbortedTxn(txn));
    } catch (err) {
      // A marker whose entry is missing would show its aborted records to read_committed readers.
      this.fail(err as Error);
    }
    this.txnIndexesWritten.add(active.baseOffset);
  }

  /** Segments whose .txnindex this log wrote since open, synced at close. */
  private readonly txnIndexesWritten = new Set<bigint>();

  /** The bytes of each segment's .txnindex, by segment base (decimal): what the producer snapshot records. */
  txnIndexSizes(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const segment of this.segments.all) {
      try {
        out[String(segment.baseOffset)] = statSync(segment.files.txnIndex).size;
      } catch { /* no aborted transaction in this segment */ }
    }
    return out;
  }

  /** The aborted transactions of every segment, oldest first (the cleaner's and the tests' view). */
  abortedTxns(): AbortedTxn[] {
    const out: AbortedTxn[] = [];
    for (const segment of this.segments.all) {
      try {
        out.push(...decodeAbortedTxns(readFileSync(segment.files.txnIndex)));
      } catch { /* none */ }
    }
    return out;
  }

  /**
   * Recovery: makes each segment's .txnindex say what the replayed log says. `replayed` holds
   * the aborted transactions whose marker is at or past `fromOffset`; entries below it are kept.
   * Segments wholly below `fromOffset` are not touched.
   */
  rebuildTxnIndexes(fromOffset: bigint, replayed: readonly AbortedTxn[]): number {
    this.assertWritable();
    const all = this.segments.all;
    let rewritten = 0;
    for (let i = 0; i < all.length; i++) {
      const segment = all[i]!;
      const end = i + 1 < all.length ? all[i + 1]!.baseOffset : this.endOffset;
      if (end <= fromOffset && i + 1 < all.length) continue;
      let existing: Buffer;
      try {
        existing = readFileSync(segment.files.txnIndex);
      } catch {
        existing = Buffer.alloc(0);
      }
      const kept = decodeAbortedTxns(existing).filter((t) => t.lastOffset < fromOffset);
      const mine = replayed.filter((t) => t.lastOffset >= segment.baseOffset && (i + 1 === all.length || t.lastOffset < end));
      const wanted = encodeAbortedTxns([...kept, ...mine]);
      if (wanted.equals(existing)) continue;
      rewritten++;
      if (wanted.length === 0) {
        rmSync(segment.files.txnIndex, { force: true });
      } else {
        writeFileSync(segment.files.txnIndex, wanted);
        this.txnIndexesWritten.add(segment.baseOffset);
      }
    }
    return rewritten;
  }

  private syncTxnIndexes(): void {
    for (const segment of this.segments.all) {
      if (!this.txnIndexesWritten.has(segment.baseOffset)) continue;
      try {
        const fd = openSync(segment.files.txnIndex, 'r');
        try { fdatasyncSync(fd); } finally { closeSync(fd); }
      } catch { /* removed since */ }
    }
    this.txnIndexesWritten.clear();
  }

  /**
   * Calls `visit` with each batch holding offsets >= `fromOffset` (from the batch containing it)
   * below logEndOffset, in order. `frame` is only valid during the call. For replaying internal
   * logs (metadata, consumer offsets) at startup.
   */
  forEachBatchSync(fromOffset: bigint, visit: (frame: Buffer, info: BatchInfo) => void): void {
    this.assertOpen();
    this.assertNothingStaged();
    this.segments.forEachBatchSync(fromOffset, visit);
  }

  /** Every batch from logStartOffset, copied: for small internal logs. */
  readAllSync(): Buffer[] {
    const frames: Buffer[] = [];
    this.forEachBatchSync(this.segments.logStartOffset, (frame) => frames.push(Buffer.from(frame)));
    return frames;
  }

  /** Syncs everything and leaves the clean-shutdown marker so the next open skips the tail scan. */
  close(): void {
    if (this.closed) return;
    this.assertNothingStaged();
    if (this.failure === null) {
      const active = this.segments.active;
      active.appendFinalTimeIndexEntry();
      active.flushIndexes();
      this.syncCreationNow();
      this.recoveryPoint.syncRolledNow();
      fdatasyncSync(active.logDescriptor);
      this.syncTxnIndexes();
      this.recoveryPoint.record(this.activeEnd());
      this.segments.closeDescriptors();
      this.recoveryPoint.close();
      writeCleanShutdown(this.partitionDir, { activeSegmentBase: active.baseOffset, activeSegmentSize: active.size, logEndOffset: this.endOffset });
    } else {
      this.segments.closeDescriptors();
      this.recoveryPoint.close();
    }
    this.closed = true;
    forgetOpenLog(this);
  }

  /** Topic deletion: closes the log and removes its directory. */
  deleteAll(): void {
    if (!this.closed) {
      this.segments.closeDescriptors();
      this.recoveryPoint.close();
      this.closed = true;
      forgetOpenLog(this);
    }
    rmSync(this.partitionDir, { recursive: true, force: true });
    this.segments.bumpVersion();
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
