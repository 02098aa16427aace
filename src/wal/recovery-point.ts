// How far one partition log is known durable (the recovery point, recorded in its checkpoint file),
// and the background fdatasyncs of rolled segments that must finish before the point moves past them.
import { fdatasync } from 'node:fs';
import { promisify } from 'node:util';
import type { Logger } from 'pino';
import type { Segment } from '../segments/segment.ts';
import { syncDirectory, syncDirectoryAsync, syncFileAsync, syncFileSync, type CheckpointFile, type RecoveryCheckpoint } from './checkpoint.ts';

const fdatasyncAsync = promisify(fdatasync);

/**
 * The point only moves forward. Rolled segments are synced in the order they rolled (one chain),
 * and the point moves to the segment after a rolled one only once its .log, both indexes and the
 * directory are synced: so whatever the point vouches for is durable, and recovery after a crash
 * validates from the point's segment through every later one.
 */
export class RecoveryPoint {
  private readonly file: CheckpointFile;
  private readonly partitionDir: string;
  private readonly logger: Logger;
  private readonly logStartOffset: () => bigint;
  private point: RecoveryCheckpoint;
  /** Rolled segments whose background fdatasync has not finished, and the chain of those syncs. */
  private readonly unsyncedRolled = new Set<Segment>();
  private rollSyncs: Promise<void> = Promise.resolve();
  private closed = false;

  constructor(file: CheckpointFile, partitionDir: string, point: RecoveryCheckpoint, logStartOffset: () => bigint, logger: Logger) {
    this.file = file;
    this.partitionDir = partitionDir;
    this.point = point;
    this.logStartOffset = logStartOffset;
    this.logger = logger;
  }

  /** The segment the point is in: every segment before it is durable (the cleaner cleans only those). */
  get segmentBase(): bigint {
    return this.point.segmentBase;
  }

  /** True while a rolled segment's bytes may not be durable yet. */
  get rolledPending(): boolean {
    return this.unsyncedRolled.size > 0;
  }

  /** Settles when every background sync started so far has finished (it never rejects). */
  get rolledSyncs(): Promise<void> {
    return this.rollSyncs;
  }

  /** The rolled segments not yet known durable, to check with anyStillPending() after an await. */
  pendingRolled(): Segment[] {
    return [...this.unsyncedRolled];
  }

  /** Whether any of `segments` is still not known durable (its background sync failed or runs). */
  anyStillPending(segments: readonly Segment[]): boolean {
    return segments.some((segment) => this.unsyncedRolled.has(segment));
  }

  /**
   * Syncs a just-rolled segment in the background (its .log through `logDescriptor`, which the
   * roll retained and this releases), then moves the point to `next`, the start of the segment
   * after it. A failure leaves the point behind; syncRolledNow() retries where it can be reported.
   */
  syncRolledInBackground(rolled: Segment, logDescriptor: number, next: RecoveryCheckpoint): void {
    this.unsyncedRolled.add(rolled);
    // Chained, so the recovery point only ever moves past segments that are all durable.
    this.rollSyncs = this.rollSyncs.then(async () => {
      try {
        await Promise.all([fdatasyncAsync(logDescriptor), syncFileAsync(rolled.files.offsetIndex), syncFileAsync(rolled.files.timeIndex)]);
        await syncDirectoryAsync(this.partitionDir);
      } finally {
        rolled.releaseDescriptor();
      }
      this.unsyncedRolled.delete(rolled);
      this.advance(next);
    }).catch((err: unknown) => {
      this.logger.error({ err, segment: rolled.files.log }, 'background fdatasync of a rolled segment failed');
    });
  }

  /** Makes rolled segments whose background sync has not finished durable now, synchronously. */
  syncRolledNow(): void {
    for (const segment of this.unsyncedRolled) {
      for (const path of [segment.files.log, segment.files.offsetIndex, segment.files.timeIndex]) syncFileSync(path);
    }
    if (this.unsyncedRolled.size > 0) syncDirectory(this.partitionDir);
    this.unsyncedRolled.clear();
  }

  /** Moves the point forward (never back) to `point`, a position the caller has just made durable. */
  advance(point: RecoveryCheckpoint): void {
    if (this.closed) return;
    const ahead = point.segmentBase > this.point.segmentBase
      || (point.segmentBase === this.point.segmentBase && point.position > this.point.position);
    if (!ahead) return;
    this.point = { ...point, logStartOffset: this.logStartOffset() };
    this.file.write(this.point, false);
  }

  /** Records a new log start offset durably (retention, DeleteRecords): it must survive a crash. */
  persistLogStartOffset(): void {
    this.point = { ...this.point, logStartOffset: this.logStartOffset() };
    this.file.write(this.point, true);
  }

  /**
   * Records `point` durably, whether or not it is ahead (open after recovery, clean close); a new
   * log's first point is written with `durable` false and synced with its other files.
   */
  record(point: RecoveryCheckpoint, durable = true): void {
    this.point = point;
    this.file.write(point, durable);
  }

  /** Closes the checkpoint file's descriptor until the next write (an idle partition). */
  releaseDescriptor(): void {
    this.file.releaseDescriptor();
  }

  /** Closes the checkpoint file; background syncs that finish later no longer move the point. */
  close(): void {
    this.file.close();
    this.closed = true;
  }
}
