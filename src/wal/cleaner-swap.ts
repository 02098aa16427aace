// Putting a cleaned segment in place of the segments it replaces, crash-safely, and finishing or
// discarding a swap a crash interrupted. Runs on the owning shard only (the cleaner thread writes
// `.cleaned` files and nothing else). Kafka's scheme (LocalLog.replaceSegments):
//
//   1. the cleaner wrote <base>.log.cleaned, .index.cleaned, .timeindex.cleaned (and .txnindex.cleaned
//      when the group keeps an aborted transaction), each fdatasynced
//   2. rename <base>.log.cleaned -> <base>.log.swap, fsync the directory      <- the commit point
//   3. delete the replaced segments after the first (all their files)
//   4. rename the .index/.timeindex .cleaned files over the first's (the .txnindex too, or drop the
//      first's when the group keeps none), then <base>.log.swap over <base>.log (rename replaces
//      atomically), fsync the directory
// The .txnindex needs no step of its own in recovery: it is derived from the log, and the unclean
// open that finds an interrupted swap rebuilds every .txnindex from the batches.
//
// Recovery (completeInterruptedSwaps, before the segments are listed): a `.cleaned` file is a
// swap that never committed: deleted. A `.log.swap` committed: every segment whose base lies
// inside the swap's offsets (after its own base, up to its last offset) is deleted, the base's
// index files are dropped (rebuilt from the log on open), and the swap is renamed into place.
// Each offset is in exactly one file at every step after recovery: before the commit point only in
// the old segments, after it only in the swap (old segments holding offsets it covers are removed).
import { closeSync, existsSync, openSync, readdirSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { walkBatchesSync } from '../segments/batch-walk-sync.ts';
import { CLEANED_SUFFIX, type CleanedGroup } from '../segments/cleaner.ts';
import { segmentBasesIn, segmentPaths } from '../segments/layout.ts';
import { Segment, unlinkIfPresent } from '../segments/segment.ts';
import type { SegmentSet } from '../segments/segment-set.ts';
import { syncDirectory } from './checkpoint.ts';

export const SWAP_SUFFIX = '.swap';

/**
 * Tests only: HIGHWATER_TEST_CLEANER_CRASH names a step at which the process kills itself (kill -9
 * semantics) so that recovery can be checked at each point of the swap. Unset in production.
 */
export type SwapCrashPoint = 'before-commit' | 'after-commit' | 'after-delete' | 'after-index-rename' | 'after-swap';

function crashPoint(point: SwapCrashPoint): void {
  if (process.env.HIGHWATER_TEST_CLEANER_CRASH === point) process.kill(process.pid, 'SIGKILL');
}

function filesOf(partitionDir: string, base: bigint): string[] {
  const p = segmentPaths(partitionDir, base);
  return [p.log, p.offsetIndex, p.timeIndex, p.txnIndex];
}

/** Deletes the cleaned files of a group that will not be swapped in (the log changed meanwhile). */
export function discardCleaned(partitionDir: string, base: bigint): void {
  for (const path of filesOf(partitionDir, base)) unlinkIfPresent(path + CLEANED_SUFFIX);
}

/**
 * Swaps the cleaned groups of one run in, all under one commit (two directory fsyncs per run, not
 * per group: on the shard's thread each is a journal commit): files as above, then the segment set.
 * A group whose replaced segments are no longer what the cleaner read is discarded. Returns how
 * many groups were swapped.
 */
export function swapCleanedGroups(segments: SegmentSet, groups: readonly CleanedGroup[], sizesOf: (group: CleanedGroup) => number[], indexIntervalBytes: number, logger: Logger): number {
  const dir = segments.partitionDir;
  const swapping = groups.filter((group) => {
    if (segments.holdsRolled(group.replaces, sizesOf(group))) return true;
    discardCleaned(dir, group.replaces[0]!);
    return false;
  });
  if (swapping.length === 0) return 0;
  crashPoint('before-commit');
  for (const group of swapping) {
    const paths = segmentPaths(dir, group.replaces[0]!);
    renameSync(paths.log + CLEANED_SUFFIX, paths.log + SWAP_SUFFIX);
  }
  syncDirectory(dir);
  crashPoint('after-commit');
  for (const group of swapping) for (const replaced of group.replaces.slice(1)) for (const path of filesOf(dir, replaced)) unlinkIfPresent(path);
  crashPoint('after-delete');
  for (const group of swapping) {
    const paths = segmentPaths(dir, group.replaces[0]!);
    renameSync(paths.offsetIndex + CLEANED_SUFFIX, paths.offsetIndex);
    renameSync(paths.timeIndex + CLEANED_SUFFIX, paths.timeIndex);
    if (existsSync(paths.txnIndex + CLEANED_SUFFIX)) renameSync(paths.txnIndex + CLEANED_SUFFIX, paths.txnIndex);
    else unlinkIfPresent(paths.txnIndex);
  }
  crashPoint('after-index-rename');
  for (const group of swapping) {
    const paths = segmentPaths(dir, group.replaces[0]!);
    renameSync(paths.log + SWAP_SUFFIX, paths.log);
  }
  syncDirectory(dir);
  crashPoint('after-swap');
  for (const group of swapping) {
    const base = group.replaces[0]!;
    const { segment, indexesRebuilt } = Segment.openRolled(dir, base, group.nextOffset, indexIntervalBytes);
    if (indexesRebuilt) logger.warn({ segment: segment.files.log }, 'rebuilt the index files of a cleaned segment');
    segments.replaceRolled(group.replaces.length, segment);
  }
  return swapping.length;
}

/** Recovery: discards uncommitted cleaned files and completes committed swaps (see the top). */
export function completeInterruptedSwaps(partitionDir: string, logger: Logger): void {
  const names = readdirSync(partitionDir);
  let changed = false;
  for (const name of names) {
    if (!name.endsWith(CLEANED_SUFFIX)) continue;
    unlinkIfPresent(join(partitionDir, name));
    changed = true;
  }
  for (const name of names) {
    const match = /^(\d{20})\.log\.swap$/.exec(name);
    if (!match) continue;
    const base = BigInt(match[1]!);
    const swapPath = join(partitionDir, name);
    const end = swapEndOffset(swapPath, base);
    const covered = segmentBasesIn(readdirSync(partitionDir)).filter((b) => b > base && b < end);
    for (const b of covered) for (const path of filesOf(partitionDir, b)) unlinkIfPresent(path);
    const paths = segmentPaths(partitionDir, base);
    unlinkIfPresent(paths.offsetIndex);
    unlinkIfPresent(paths.timeIndex);
    renameSync(swapPath, paths.log);
    changed = true;
    logger.warn({ segment: paths.log, removedSegments: covered.map(String) }, 'recovery completed an interrupted cleaner swap');
  }
  if (changed) syncDirectory(partitionDir);
}

/** One past the last offset in a swap file (its base when it holds no batch). */
function swapEndOffset(path: string, base: bigint): bigint {
  const fd = openSync(path, 'r');
  try {
    return walkBatchesSync(fd, { from: 0, expectedOffset: base, verifyCrc: false, end: statSync(path).size, allowGaps: true }).nextOffset;
  } finally {
    closeSync(fd);
  }
}

