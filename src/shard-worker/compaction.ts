// When the owning shard cleans a compacted partition, and what it asks the cleaner for (Kafka's
// LogCleanerManager: cleanable range below the LSO, dirty ratio, min/max compaction lag, expired tombstones),
// plus the partition's cleaner checkpoint (Kafka's cleaner-offset-checkpoint), one small file per
// partition directory.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { firstBatchTimestamp, type CleanJob } from '../segments/cleaner.ts';
import type { LogConfig } from '../segments/log-config.ts';

/*
 * `cleaner-checkpoint`, version 1, JSON:
 *   { "version": 1, "firstDirtyOffset": "<bigint>", "nextDeleteHorizonMs": n }
 * Written (temp file + rename) after each swap; losing it only makes the next clean redo work.
 */
export const CLEANER_CHECKPOINT_FILE = 'cleaner-checkpoint';
export const CLEANER_CHECKPOINT_VERSION = 1;

/** The map's bound: Kafka's default 128 MiB dedupe buffer holds about this many keys. */
export const MAX_MAP_KEYS = 4_000_000;

export interface CleanerState {
  firstDirtyOffset: bigint;
  /** The earliest delete horizon of a tombstone the last clean kept (-1: none): a clean is due then. */
  nextDeleteHorizonMs: number;
  running: boolean;
  /** Dirty bytes / cleanable bytes at the last check, for the metrics. */
  dirtyRatio: number;
  lastCleanMs: number;
  runs: number;
  /** Wall-clock ms before which no clean is tried again after a failed one (no warning per backoff). */
  retryAfterMs: number;
}

/** After a failed clean the partition waits this long before the next try. */
export const CLEANER_RETRY_BACKOFF_MS = 60_000;

export function loadCleanerState(partitionDir: string): CleanerState {
  const state: CleanerState = { firstDirtyOffset: 0n, nextDeleteHorizonMs: -1, running: false, dirtyRatio: 0, lastCleanMs: -1, runs: 0, retryAfterMs: 0 };
  try {
    const saved = JSON.parse(readFileSync(join(partitionDir, CLEANER_CHECKPOINT_FILE), 'utf8')) as { version: number; firstDirtyOffset: string; nextDeleteHorizonMs: number };
    if (saved.version === CLEANER_CHECKPOINT_VERSION) {
      state.firstDirtyOffset = BigInt(saved.firstDirtyOffset);
      state.nextDeleteHorizonMs = Number(saved.nextDeleteHorizonMs);
    }
  } catch {
    // Absent or unreadable: clean from the log start.
  }
  return state;
}

export function saveCleanerState(partitionDir: string, state: CleanerState): void {
  const path = join(partitionDir, CLEANER_CHECKPOINT_FILE);
  writeFileSync(path + '.tmp', JSON.stringify({ version: CLEANER_CHECKPOINT_VERSION, firstDirtyOffset: String(state.firstDirtyOffset), nextDeleteHorizonMs: state.nextDeleteHorizonMs }));
  renameSync(path + '.tmp', path);
}

export interface CleanableSegment {
  baseOffset: bigint;
  nextOffset: bigint;
  size: number;
  maxTimestamp: bigint;
  logPath: string;
}

export interface CleanPlan {
  job: Omit<CleanJob, 'throttle' | 'producerLastOffsets' | 'partitionDir' | 'nowMs' | 'abortedTxns'>;
  dirtyRatio: number;
  reason: 'dirty-ratio' | 'max-compaction-lag' | 'tombstones-expired';
}

/**
 * Decides whether to clean now. `segments` are the rolled, durable segments oldest first; the
 * cleanable part ends at the first one younger than min.compaction.lag.ms. Returns the plan, or
 * the dirty ratio alone when nothing is due.
 */
export function planClean(
  segments: readonly CleanableSegment[], logStartOffset: bigint, state: CleanerState, config: LogConfig, nowMs: number, lastStableOffset?: bigint,
): CleanPlan | { dirtyRatio: number } {
  const lagCutoff = BigInt(nowMs - config.minCompactionLagMs);
  const cleanable: CleanableSegment[] = [];
  for (const segment of segments) {
    if (segment.nextOffset <= logStartOffset) continue;
    if (segment.maxTimestamp > lagCutoff) break;
    // Never past an open transaction: its records may still be aborted (Kafka's firstUncleanableOffset).
    if (lastStableOffset !== undefined && segment.nextOffset > lastStableOffset) break;
    cleanable.push(segment);
  }
  if (cleanable.length === 0) return { dirtyRatio: 0 };
  const endOffset = cleanable[cleanable.length - 1]!.nextOffset;
  // The checkpoint may lag retention or DeleteRecords, or be ahead after a reopen of a truncated log.
  let firstDirty = state.firstDirtyOffset;
  if (firstDirty < cleanable[0]!.baseOffset) firstDirty = cleanable[0]!.baseOffset;
  if (firstDirty > endOffset) firstDirty = cleanable[0]!.baseOffset;
  let dirtyBytes = 0;
  let cleanBytes = 0;
  for (const segment of cleanable) {
    if (segment.baseOffset >= firstDirty) dirtyBytes += segment.size;
    else cleanBytes += segment.size;
  }
  const total = dirtyBytes + cleanBytes;
  const dirtyRatio = total === 0 ? 0 : dirtyBytes / total;
  const job = { segments: cleanable.map(({ baseOffset, nextOffset, size }) => ({ baseOffset, nextOffset, size })), firstDirtyOffset: firstDirty, endOffset,
    deleteRetentionMs: config.deleteRetentionMs, segmentBytes: config.segmentBytes, indexIntervalBytes: config.indexIntervalBytes, maxMapKeys: MAX_MAP_KEYS };
  if (dirtyBytes > 0 && dirtyRatio >= config.minCleanableDirtyRatio) return { job, dirtyRatio, reason: 'dirty-ratio' };
  if (dirtyBytes > 0 && config.maxCompactionLagMs < Number.MAX_SAFE_INTEGER) {
    const firstDirtySegment = cleanable.find((s) => s.baseOffset >= firstDirty)!;
    const earliest = firstBatchTimestamp(firstDirtySegment.logPath);
    if (earliest !== null && earliest < BigInt(nowMs - config.maxCompactionLagMs)) return { job, dirtyRatio, reason: 'max-compaction-lag' };
  }
  if (state.nextDeleteHorizonMs >= 0 && nowMs >= state.nextDeleteHorizonMs) return { job, dirtyRatio, reason: 'tombstones-expired' };
  return { dirtyRatio };
}
