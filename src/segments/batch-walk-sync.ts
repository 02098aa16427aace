// Walks the RecordBatch frames of a segment file synchronously (shard worker only): recovery,
// index rebuilds and startup replay all read a segment as "header, skip, header, ...".
import { fstatSync, readSync } from 'node:fs';
import { batchCrcMatches, batchInfoAt, headerProblem, type BatchInfo, type BatchProblem } from './batch-header.ts';
import { BATCH_HEADER_BYTES, BATCH_LENGTH, BATCH_LOG_OVERHEAD } from './layout.ts';

export interface WalkResult {
  /** Position just past the last good batch. */
  end: number;
  /** Offset after the last good batch (the expected offset when no batch was read). */
  nextOffset: bigint;
  /** Why the walk stopped before the end of the file, or null when it reached it cleanly. */
  problem: BatchProblem | null;
  batches: number;
}

export interface WalkOptions {
  from: number;
  /** baseOffset the batch at `from` must carry; every later one must follow contiguously. */
  expectedOffset: bigint;
  /** Check each batch's CRC-32C (recovery of bytes not known to be durable). */
  verifyCrc: boolean;
  /** Stop at this position instead of the file's size. */
  end?: number;
  /** A later batch may start past the offset after the last one (a segment the cleaner wrote). */
  allowGaps?: boolean;
}

const CHUNK_BYTES = 1024 * 1024;

/**
 * Visits each batch from `options.from`, in order, until the end of the file, the first bad
 * batch, or `visit` returning false. `frame` is only valid during the call.
 */
export function walkBatchesSync(fd: number, options: WalkOptions, visit?: (info: BatchInfo, frame: Buffer) => boolean | void): WalkResult {
  const fileEnd = options.end ?? fstatSync(fd).size;
  let chunk = Buffer.allocUnsafe(Math.min(CHUNK_BYTES, Math.max(fileEnd - options.from, BATCH_HEADER_BYTES)));
  let chunkStart = options.from;
  let chunkLength = 0;
  let position = options.from;
  let nextOffset = options.expectedOffset;
  let batches = 0;

  // Makes [position, position + bytes) readable in `chunk`, refilling from the file; false at EOF.
  const ensure = (bytes: number): boolean => {
    if (position + bytes > fileEnd) return false;
    if (position >= chunkStart && position + bytes <= chunkStart + chunkLength) return true;
    if (bytes > chunk.length) chunk = Buffer.allocUnsafe(bytes);
    chunkStart = position;
    chunkLength = 0;
    const want = Math.min(chunk.length, fileEnd - position);
    while (chunkLength < want) {
      const n = readSync(fd, chunk, chunkLength, want - chunkLength, chunkStart + chunkLength);
      if (n === 0) break;
      chunkLength += n;
    }
    return position + bytes <= chunkStart + chunkLength;
  };

  while (position < fileEnd) {
    if (!ensure(BATCH_HEADER_BYTES)) return { end: position, nextOffset, problem: 'torn', batches };
    const at = position - chunkStart;
    const problem = headerProblem(chunk, at, nextOffset, fileEnd - position, options.allowGaps === true);
    if (problem) return { end: position, nextOffset, problem, batches };
    const size = chunk.readInt32BE(at + BATCH_LENGTH) + BATCH_LOG_OVERHEAD;
    const needBody = options.verifyCrc || visit !== undefined;
    if (needBody && !ensure(size)) return { end: position, nextOffset, problem: 'torn', batches };
    const frameAt = position - chunkStart;
    const frame = chunk.subarray(frameAt, frameAt + size);
    if (options.verifyCrc && !batchCrcMatches(frame)) return { end: position, nextOffset, problem: 'bad-crc', batches };
    const info = batchInfoAt(chunk, frameAt, position);
    position += size;
    nextOffset = info.lastOffset + 1n;
    batches++;
    if (visit && visit(info, frame) === false) break;
  }
  return { end: position, nextOffset, problem: null, batches };
}
