// The partition budget derived from the open-file limit (issue 15 defect 3). A partition holds
// four descriptors on its shard: its active segment's .log, .index and .timeindex, and its
// recovery checkpoint. Read handles on the main thread come out of the reserve: all partitions'
// read caches share one bound (HandleCache.setThreadLimit), half the reserve. The rest of the
// reserve is for client connections, the listener, worker threads' pipes and the process itself.
import { readFileSync } from 'node:fs';

export const FILES_PER_PARTITION = 4;

/** Descriptors kept for everything that is not a partition's own: at least 256, or a tenth of the limit. */
export function descriptorReserve(limit: number): number {
  return Math.max(256, Math.floor(limit / 10));
}

/** The soft RLIMIT_NOFILE of this process (Linux /proc), or undefined where it cannot be read. */
export function softOpenFileLimit(): number | undefined {
  try {
    const line = readFileSync('/proc/self/limits', 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const soft = line?.split(/\s+/)[3];
    if (soft === undefined) return undefined;
    return soft === 'unlimited' ? Infinity : Number(soft);
  } catch {
    return undefined;
  }
}

/**
 * The budget in force: the configured one when set (> 0), else what the open-file limit allows,
 * never above the watermark table's capacity. Read once, at start-up (sync fs is allowed then).
 */
export function effectivePartitionBudget(configured: number, maxPartitions: number, limit = softOpenFileLimit()): number {
  if (configured > 0) return Math.min(configured, maxPartitions);
  if (limit === undefined || !Number.isFinite(limit)) return maxPartitions;
  return Math.max(1, Math.min(maxPartitions, Math.floor((limit - descriptorReserve(limit)) / FILES_PER_PARTITION)));
}

/** The thread-wide bound on the main thread's read handles: half the reserve. */
export function readHandleLimit(limit = softOpenFileLimit()): number {
  if (limit === undefined || !Number.isFinite(limit)) return 1024;
  return Math.max(16, Math.floor(descriptorReserve(limit) / 2));
}

/**
 * Partition logs one shard lets hold descriptors at once (src/wal/open-logs.ts): half of what the
 * budget's descriptors allow, split over the shards. Idle, synced logs beyond it release theirs.
 */
export function openLogsPerShard(shards: number, limit = softOpenFileLimit()): number | undefined {
  if (limit === undefined || !Number.isFinite(limit)) return undefined;
  return Math.max(8, Math.floor((limit - descriptorReserve(limit)) / FILES_PER_PARTITION / 2 / shards));
}
