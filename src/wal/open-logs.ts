// The bound on partition logs holding their descriptors open on one shard thread (issue 15
// defect 3): an active segment's .log, .index and .timeindex and the recovery checkpoint, four
// descriptors a partition. Logs are kept in order of last write; when more than the bound hold
// descriptors, the least recently written ones that are idle and fully synced give them back,
// and take them again on their next write or sync (PartitionLog.releaseIdleDescriptors). So the
// shard's descriptor count follows the bound, not the partition count, and start-up, which opens
// every partition, never holds more than the bound at once.

export interface ReleasableLog {
  /** Closes the log's descriptors if nothing uses them and nothing is unsynced; true when it did. */
  releaseIdleDescriptors(): boolean;
}

/** Per thread: each shard worker has its own module instance. */
let limit = Infinity;
/** Logs that hold descriptors, least recently written first. */
const holding = new Set<ReleasableLog>();

/** The bound for this thread's logs (set once by the shard worker at start). */
export function setOpenLogLimit(logs: number): void {
  limit = Math.max(1, logs);
}

/** `log` holds its descriptors (opened or written): most recent now; over the bound, the oldest idle ones let go. */
export function touchOpenLog(log: ReleasableLog): void {
  holding.delete(log);
  holding.add(log);
  if (holding.size <= limit) return;
  for (const candidate of holding) {
    if (holding.size <= limit) break;
    if (candidate !== log && candidate.releaseIdleDescriptors()) holding.delete(candidate);
  }
}

/** `log` closed for good. */
export function forgetOpenLog(log: ReleasableLog): void {
  holding.delete(log);
}

export function openLogCount(): number {
  return holding.size;
}
