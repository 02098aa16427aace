// The RecordBatch v2 header as the log reads it, written once for every walk over a segment (the
// shard's synchronous walks and the main thread's async reader): fields by position and checks.
import { computeBatchCrc } from '../protocol/record-batch.ts';
import {
  BATCH_ATTRIBUTES,
  BATCH_BASE_OFFSET,
  BATCH_CRC,
  BATCH_HEADER_BYTES,
  BATCH_LAST_OFFSET_DELTA,
  BATCH_LENGTH,
  BATCH_LOG_OVERHEAD,
  BATCH_MAGIC,
  BATCH_MAGIC_V2,
  BATCH_MAX_TIMESTAMP,
} from './layout.ts';

export interface BatchInfo {
  /** Byte position of the batch in its segment. */
  position: number;
  /** Whole frame size, header included. */
  size: number;
  baseOffset: bigint;
  lastOffset: bigint;
  maxTimestamp: bigint;
  attributes: number;
}

export type BatchProblem = 'torn' | 'bad-length' | 'bad-magic' | 'bad-crc' | 'offset-gap';

/** Reads the header fields of the frame at `at` in `buf`; the caller checked the header fits. */
export function batchInfoAt(buf: Buffer, at: number, position: number): BatchInfo {
  const baseOffset = buf.readBigInt64BE(at + BATCH_BASE_OFFSET);
  return {
    position,
    size: buf.readInt32BE(at + BATCH_LENGTH) + BATCH_LOG_OVERHEAD,
    baseOffset,
    lastOffset: baseOffset + BigInt(buf.readInt32BE(at + BATCH_LAST_OFFSET_DELTA)),
    maxTimestamp: buf.readBigInt64BE(at + BATCH_MAX_TIMESTAMP),
    attributes: buf.readInt16BE(at + BATCH_ATTRIBUTES),
  };
}

/**
 * Checks the header fields of the frame at `at` that can be checked without its body. With
 * `allowGaps` a batch may start past `expectedOffset` (a compacted segment has gaps: the cleaner
 * drops whole batches and keeps offsets), never before it. Recovery walks without it: baseOffset is
 * outside the CRC, so contiguity is what catches a damaged one in a segment the cleaner never wrote.
 */
export function headerProblem(buf: Buffer, at: number, expectedOffset: bigint, bytesLeftInFile: number, allowGaps = false): BatchProblem | null {
  const length = buf.readInt32BE(at + BATCH_LENGTH);
  if (length < BATCH_HEADER_BYTES - BATCH_LOG_OVERHEAD) return 'bad-length';
  if (length + BATCH_LOG_OVERHEAD > bytesLeftInFile) return 'torn';
  if (buf.readInt8(at + BATCH_MAGIC) !== BATCH_MAGIC_V2) return 'bad-magic';
  if (buf.readInt32BE(at + BATCH_LAST_OFFSET_DELTA) < 0) return 'bad-length';
  const baseOffset = buf.readBigInt64BE(at + BATCH_BASE_OFFSET);
  if (allowGaps ? baseOffset < expectedOffset : baseOffset !== expectedOffset) return 'offset-gap';
  return null;
}

export function batchCrcMatches(frame: Buffer): boolean {
  return frame.readUInt32BE(BATCH_CRC) === computeBatchCrc(frame, 0);
}
