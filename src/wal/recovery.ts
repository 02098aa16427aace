// Opening a partition's segments after a stop: after a clean one (the marker matches the files)
// nothing is scanned; after an unclean one every segment from the recovery point on is validated
// batch by batch and cut at the first torn or corrupt batch, and the segments after it are removed.
import { closeSync, fstatSync, openSync, readdirSync, rmSync, statSync } from 'node:fs';
import type { Logger } from 'pino';
import type { BatchProblem } from '../segments/batch-header.ts';
import { walkBatchesSync } from '../segments/batch-walk-sync.ts';
import { segmentBasesIn, segmentPaths } from '../segments/layout.ts';
import { Segment } from '../segments/segment.ts';
import { completeInterruptedSwaps } from './cleaner-swap.ts';
import { readCleanShutdown, removeCleanShutdown, syncDirectory, type RecoveryCheckpoint } from './checkpoint.ts';

export interface SegmentValidation {
  /** Leading bytes of the .log that hold whole, valid, contiguous batches. */
  validBytes: number;
  /** The offset after the last valid batch: the log end offset and the HWM after recovery. */
  nextOffset: bigint;
  /** Bytes past validBytes that the caller must cut, and why. */
  cutBytes: number;
  problem: BatchProblem | null;
  batchesValidated: number;
}

export interface RecoveredSegments {
  /** Rolled segments then the active one, ascending by base offset; never empty. */
  segments: Segment[];
  /** The checkpoint's log start offset, within [first base, log end offset]. */
  logStartOffset: bigint;
  /**
   * True when the directory held no segment and a first one was created: its entries are not
   * synced here; the caller makes them durable (PartitionLog.open, off the shard's loop).
   */
  created: boolean;
}

/**
 * Validates the whole segment at `logPath`: length, magic, contiguous offsets from `baseOffset`
 * and CRC-32C of every batch. Always from the start, never from the recovery point's position:
 * a batch the checkpoint vouches for may still have been damaged on disk, and serving it would
 * hand clients a batch that fails its CRC (DESIGN-NOTES, "recovery scope"). One segment bounds
 * the cost.
 */
export function validateSegment(logPath: string, baseOffset: bigint, allowGaps = false): SegmentValidation {
  const fd = openSync(logPath, 'r');
  try {
    const fileSize = fstatSync(fd).size;
    const walk = walkBatchesSync(fd, { from: 0, expectedOffset: baseOffset, verifyCrc: true, end: fileSize, allowGaps });
    return { validBytes: walk.end, nextOffset: walk.nextOffset, cutBytes: fileSize - walk.end, problem: walk.problem, batchesValidated: walk.batches };
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens (recovering where needed) the segments in `partitionDir`, creating the first one in an
 * empty directory. `checkpoint` is the recovery point the log last recorded: segments before its
 * segment were synced before it moved past them and are not scanned; it also carries the log
 * start offset. Removes the clean-shutdown marker, durably, so a crash from here on is unclean.
 * A first segment created in an empty directory is not synced here (see RecoveredSegments.created).
 */
export function recoverSegments(partitionDir: string, checkpoint: RecoveryCheckpoint | null, indexIntervalBytes: number, logger: Logger): RecoveredSegments {
  // A cleaner swap the stop interrupted is finished or discarded before anything is listed.
  completeInterruptedSwaps(partitionDir, logger);
  const clean = readCleanShutdown(partitionDir);
  let bases = segmentBasesIn(readdirSync(partitionDir));
  const lastBase = bases.at(-1);
  // A marker whose recorded size does not match the file is not trusted (the file changed after).
  const cleanStop = clean !== null && lastBase !== undefined && clean.activeSegmentBase === lastBase && clean.activeSegmentSize === statSync(segmentPaths(partitionDir, lastBase).log).size;
  if (bases.length > 1 && !cleanStop) bases = recoverRolledSegments(partitionDir, bases, checkpoint, logger);

  const segments: Segment[] = [];
  const created = bases.length === 0;
  if (created) {
    segments.push(Segment.create(partitionDir, checkpoint?.logStartOffset ?? 0n, BigInt(Date.now())));
  } else {
    for (let i = 0; i < bases.length - 1; i++) {
      const { segment, indexesRebuilt } = Segment.openRolled(partitionDir, bases[i], bases[i + 1], indexIntervalBytes);
      if (indexesRebuilt) logger.warn({ segment: segment.files.log }, 'rebuilt missing or damaged index files of a rolled segment');
      segments.push(segment);
    }
    segments.push(openActiveSegment(partitionDir, bases[bases.length - 1], cleanStop ? clean : null, indexIntervalBytes, logger));
  }
  removeCleanShutdown(partitionDir);

  const firstBase = segments[0].baseOffset;
  const lastEnd = segments[segments.length - 1].nextOffset;
  let logStartOffset = checkpoint?.logStartOffset ?? firstBase;
  if (logStartOffset < firstBase) logStartOffset = firstBase;
  if (logStartOffset > lastEnd) logStartOffset = lastEnd;
  return { segments, logStartOffset, created };
}

/** The last segment, reopened as active: from the clean marker's figures, else validated and cut. */
function openActiveSegment(
  partitionDir: string,
  activeBase: bigint,
  clean: { activeSegmentSize: number; logEndOffset: bigint } | null,
  indexIntervalBytes: number,
  logger: Logger,
): Segment {
  const logPath = segmentPaths(partitionDir, activeBase).log;
  let validBytes: number;
  let nextOffset: bigint;
  if (clean !== null) {
    validBytes = clean.activeSegmentSize;
    nextOffset = clean.logEndOffset;
  } else {
    const tail = validateSegment(logPath, activeBase);
    validBytes = tail.validBytes;
    nextOffset = tail.nextOffset;
    if (tail.cutBytes > 0) {
      logger.warn({ segment: logPath, truncatedAt: tail.validBytes, cutBytes: tail.cutBytes, reason: tail.problem, logEndOffset: nextOffset }, 'recovery truncated a torn or corrupt tail');
    } else {
      logger.info({ segment: logPath, batches: tail.batchesValidated, logEndOffset: nextOffset }, 'recovered after unclean shutdown');
    }
  }
  const { segment, indexesRebuilt } = Segment.openActive(partitionDir, activeBase, validBytes, nextOffset, clean !== null, indexIntervalBytes);
  if (segment.size < validBytes) {
    logger.warn({ segment: logPath, truncatedAt: segment.size, cutBytes: validBytes - segment.size }, 'recovery truncated batches that did not walk before the checkpoint');
  }
  if (indexesRebuilt && clean !== null) logger.warn({ segment: logPath }, 'rebuilt damaged index files of the active segment');
  // What was validated may still sit only in the page cache (a process crash): make it durable
  // before a checkpoint vouches for it.
  if (clean === null) segment.syncFiles();
  return segment;
}

/**
 * After an unclean stop, the rolled segments from the recovery point's segment on may not have
 * finished their background fdatasync (a roll does not wait for it), so each is validated whole
 * and must end where the next segment begins. At the first that fails, every later segment is
 * removed and that one becomes the active segment, whose tail is then checked and cut like any
 * other. Returns the bases left.
 */
function recoverRolledSegments(partitionDir: string, bases: bigint[], checkpoint: RecoveryCheckpoint | null, logger: Logger): bigint[] {
  const from = checkpoint?.segmentBase ?? bases[0];
  // Without a checkpoint nothing says which segments the cleaner may have rewritten (only ones
  // before the recovery point): their gaps and early ends are then accepted, CRCs still checked.
  const compactedMayBeAmong = checkpoint === null;
  for (let i = 0; i < bases.length - 1; i++) {
    if (bases[i] < from) continue;
    const logPath = segmentPaths(partitionDir, bases[i]).log;
    const check = validateSegment(logPath, bases[i], compactedMayBeAmong);
    if (check.cutBytes === 0 && (check.nextOffset === bases[i + 1] || (compactedMayBeAmong && check.nextOffset < bases[i + 1]))) continue;
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
      for (const path of [paths.log, paths.offsetIndex, paths.timeIndex, paths.txnIndex]) rmSync(path, { force: true });
    }
    syncDirectory(partitionDir);
    return bases.slice(0, i + 1);
  }
  return bases;
}
