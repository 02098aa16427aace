// On-disk layout of a partition directory: file names, index entry formats, and the few
// RecordBatch v2 header fields the log itself reads. Changing a layout bumps its version.
//
//   <dataDir>/<topic>-<partition>/
//     00000000000000000000.log        RecordBatch v2 frames, back to back, baseOffset rewritten
//     00000000000000000000.index      sparse offset index  (OFFSET_INDEX_ENTRY_BYTES each)
//     00000000000000000000.timeindex  sparse time index    (TIME_INDEX_ENTRY_BYTES each)
//     00000000000000000000.txnindex   aborted transactions (src/segments/txn-index.ts), only when any
//     00000000000000004242.log ...    next segment: base = first offset it holds
//     recovery-checkpoint             see src/wal/checkpoint.ts
//     clean-shutdown                  see src/wal/checkpoint.ts
//
// Index files are Kafka's formats, big-endian, appended without preallocation, so a file's size
// is always a whole number of entries once written (a torn last entry is dropped on open):
//
//   .index      +0 int32 offset - segment base   +4 int32 byte position in .log
//   .timeindex  +0 int64 max timestamp so far    +8 int32 offset - segment base (of that batch)
import { join } from 'node:path';

export const SEGMENT_LAYOUT_VERSION = 1;

export const LOG_SUFFIX = '.log';
export const OFFSET_INDEX_SUFFIX = '.index';
export const TIME_INDEX_SUFFIX = '.timeindex';
export const TXN_INDEX_FILE_SUFFIX = '.txnindex';

export const OFFSET_INDEX_ENTRY_BYTES = 8;
export const TIME_INDEX_ENTRY_BYTES = 12;

// The RecordBatch v2 header positions the log reads, under the log's names, from the one header
// view of the project (src/protocol/record-batch.ts, drawn there).
export {
  BASE_OFFSET_POSITION as BATCH_BASE_OFFSET,
  BATCH_LENGTH_POSITION as BATCH_LENGTH,
  MAGIC_POSITION as BATCH_MAGIC,
  CRC_POSITION as BATCH_CRC,
  ATTRIBUTES_POSITION as BATCH_ATTRIBUTES,
  LAST_OFFSET_DELTA_POSITION as BATCH_LAST_OFFSET_DELTA,
  BASE_TIMESTAMP_POSITION as BATCH_BASE_TIMESTAMP,
  MAX_TIMESTAMP_POSITION as BATCH_MAX_TIMESTAMP,
  RECORD_BATCH_HEADER_SIZE as BATCH_HEADER_BYTES,
  LOG_OVERHEAD as BATCH_LOG_OVERHEAD,
  CURRENT_MAGIC as BATCH_MAGIC_V2,
  ATTRIBUTE_COMPRESSION_MASK,
  ATTRIBUTE_LOG_APPEND_TIME as ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND_TIME,
} from '../protocol/record-batch.ts';

const OFFSET_DIGITS = 20;

/** `00000000000000001234` for 1234n: the name stem of the segment whose first offset is 1234. */
export function segmentStem(baseOffset: bigint): string {
  return baseOffset.toString().padStart(OFFSET_DIGITS, '0');
}

export function partitionDirName(topic: string, partition: number): string {
  return `${topic}-${partition}`;
}

export function segmentPaths(partitionDir: string, baseOffset: bigint): { log: string; offsetIndex: string; timeIndex: string; txnIndex: string } {
  const stem = join(partitionDir, segmentStem(baseOffset));
  return { log: stem + LOG_SUFFIX, offsetIndex: stem + OFFSET_INDEX_SUFFIX, timeIndex: stem + TIME_INDEX_SUFFIX, txnIndex: stem + TXN_INDEX_FILE_SUFFIX };
}

const SEGMENT_LOG_NAME = /^(\d{20})\.log$/;

/** Base offsets of the segments among `fileNames` (a directory listing), ascending. */
export function segmentBasesIn(fileNames: readonly string[]): bigint[] {
  const bases: bigint[] = [];
  for (const name of fileNames) {
    const match = SEGMENT_LOG_NAME.exec(name);
    if (match) bases.push(BigInt(match[1]));
  }
  return bases.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Index of the last element of ascending `bases` that is <= `offset`, or -1. */
export function floorIndex(bases: readonly bigint[], offset: bigint): number {
  let lo = 0;
  let hi = bases.length - 1;
  let found = -1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    if (bases[mid] <= offset) {
      found = mid;
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}
