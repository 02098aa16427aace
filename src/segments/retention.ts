// Which segments of a partition log go, and how far its log start offset moves: retention by
// time (retention.ms) and size (retention.bytes), and DeleteRecords. The caller persists the result.
import type { LogConfig } from './log-config.ts';
import type { SegmentSet } from './segment-set.ts';

export type RetentionReason = 'retention.ms' | 'retention.bytes' | 'log-start-offset';

export interface RetentionResult {
  deletedSegments: number;
  deletedBytes: number;
  /** Which limit deleted them: retention.ms, retention.bytes, or the log start offset. */
  reasons: RetentionReason[];
  logStartOffset: bigint;
}

/**
 * Deletes rolled segments past retention.ms (by their largest timestamp) or retention.bytes (by
 * the log's total size), oldest first, never the active one; raises logStartOffset to the base
 * of the first remaining segment.
 */
export function applyRetention(segments: SegmentSet, config: LogConfig, nowMs: bigint): RetentionResult {
  const reasons: RetentionReason[] = [];
  let deletedSegments = 0;
  let deletedBytes = 0;
  const tally = (result: { count: number; bytes: number }, reason: RetentionReason): void => {
    if (result.count === 0) return;
    deletedSegments += result.count;
    deletedBytes += result.bytes;
    reasons.push(reason);
  };
  tally(segments.deleteLeading((segment) => segment.nextOffset <= segments.logStartOffset), 'log-start-offset');
  // Under cleanup.policy=compact alone only the log start offset removes segments (Kafka's
  // UnifiedLog.deleteOldSegments: time and size retention belong to the delete policy).
  if (config.deleteRetention && config.retentionMs >= 0) {
    const cutoff = nowMs - BigInt(config.retentionMs);
    tally(segments.deleteLeading((segment) => segment.maxTimestamp < cutoff), 'retention.ms');
  }
  if (config.deleteRetention && config.retentionBytes >= 0) {
    // Kafka's rule: a segment goes only if the log stays at or above the limit without it.
    let excess = segments.totalBytes - config.retentionBytes;
    tally(
      segments.deleteLeading((segment) => {
        if (excess - segment.size < 0) return false;
        excess -= segment.size;
        return true;
      }),
      'retention.bytes',
    );
  }
  if (deletedSegments > 0) segments.raiseLogStartOffset(segments.first.baseOffset);
  return { deletedSegments, deletedBytes, reasons, logStartOffset: segments.logStartOffset };
}

/**
 * DeleteRecords: raises the log start offset to `offset` (at most `logEndOffset`; the caller
 * checks it against the high watermark) and deletes the segments wholly below it. `moved` says
 * whether the log start offset changed (and must be persisted).
 */
export function deleteRecordsBefore(segments: SegmentSet, offset: bigint, logEndOffset: bigint): { logStartOffset: bigint; deletedSegments: number; moved: boolean } {
  if (offset > logEndOffset) throw new RangeError(`offset ${offset} is past the log end offset ${logEndOffset}`);
  if (offset <= segments.logStartOffset) return { logStartOffset: segments.logStartOffset, deletedSegments: 0, moved: false };
  segments.raiseLogStartOffset(offset);
  const deleted = segments.deleteLeading((segment) => segment.nextOffset <= segments.logStartOffset);
  return { logStartOffset: segments.logStartOffset, deletedSegments: deleted.count, moved: true };
}
