// Recovery of a partition's active segment after an unclean stop: validate batch by batch from the
// last point known durable, and cut the file at the first torn or corrupt batch.
import { closeSync, fstatSync, openSync } from 'node:fs';
import { walkBatchesSync, type BatchProblem } from '../segments/batch-walk-sync.ts';
import type { RecoveryCheckpoint } from './checkpoint.ts';

export interface TailRecovery {
  /** Leading bytes of the .log that hold whole, valid, contiguous batches. */
  validBytes: number;
  /** The offset after the last valid batch: the log end offset and the HWM after recovery. */
  nextOffset: bigint;
  /** Where validation started (the checkpoint's position, or 0). */
  validatedFrom: number;
  /** Bytes past validBytes that the caller must cut, and why. */
  cutBytes: number;
  problem: BatchProblem | null;
  batchesValidated: number;
}

/**
 * Validates the segment at `logPath` from the checkpoint's position when the checkpoint lies in
 * this segment (the bytes before it were fdatasynced before the checkpoint was written), else
 * from its start: length, magic, contiguous offsets and CRC-32C of every batch.
 */
export function validateSegmentTail(logPath: string, baseOffset: bigint, checkpoint: RecoveryCheckpoint | null): TailRecovery {
  const fd = openSync(logPath, 'r');
  try {
    const fileSize = fstatSync(fd).size;
    const usable = checkpoint !== null && checkpoint.segmentBase === baseOffset && checkpoint.position <= fileSize && checkpoint.offset >= baseOffset;
    const from = usable ? checkpoint.position : 0;
    const expectedOffset = usable ? checkpoint.offset : baseOffset;
    const walk = walkBatchesSync(fd, { from, expectedOffset, verifyCrc: true, end: fileSize });
    return {
      validBytes: walk.end,
      nextOffset: walk.nextOffset,
      validatedFrom: from,
      cutBytes: fileSize - walk.end,
      problem: walk.problem,
      batchesValidated: walk.batches,
    };
  } finally {
    closeSync(fd);
  }
}
