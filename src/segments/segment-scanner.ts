// Async, read-ahead access to one segment file for the main thread: batch headers and whole
// batches by position, reading through a FileHandle so the event loop never blocks. HeaderWalk is
// the reader's one walk over batch headers.
import type { FileHandle } from 'node:fs/promises';
import { batchInfoAt, headerProblem, type BatchInfo } from './batch-header.ts';
import { BATCH_HEADER_BYTES } from './layout.ts';

const EMPTY = Buffer.alloc(0);

export class SegmentScanner {
  private readonly handle: FileHandle;
  private buffer: Buffer = EMPTY;
  private bufferStart = 0;
  private bufferLength = 0;

  constructor(handle: FileHandle) {
    this.handle = handle;
  }

  /** Whether the last load() covered [position, position + bytes). */
  has(position: number, bytes: number): boolean {
    return position >= this.bufferStart && position + bytes <= this.bufferStart + this.bufferLength;
  }

  /**
   * Makes at least `minBytes` from `position` available (fewer only at end of file), reading
   * `readAhead` bytes when it must read. Returns how many bytes from `position` are available.
   */
  async load(position: number, minBytes: number, readAhead: number): Promise<number> {
    if (this.has(position, minBytes)) return this.bufferStart + this.bufferLength - position;
    // A fresh buffer each time: views handed out earlier stay valid for the caller.
    const size = Math.max(minBytes, readAhead);
    const buffer = Buffer.allocUnsafe(size);
    let got = 0;
    while (got < minBytes) {
      const { bytesRead } = await this.handle.read(buffer, got, size - got, position + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    this.buffer = buffer;
    this.bufferStart = position;
    this.bufferLength = got;
    return got;
  }

  /** Bytes [position, position + length) which the last load() covered. */
  view(position: number, length: number): Buffer {
    const at = position - this.bufferStart;
    return this.buffer.subarray(at, at + length);
  }

  /** The header of the batch at `position`, which the last load() covered; see headerProblem. */
  headerAt(position: number, expectedOffset: bigint): BatchInfo | 'offset-gap' {
    const at = position - this.bufferStart;
    // The reader walks compacted segments too: a batch past the expected offset follows a gap.
    const problem = headerProblem(this.buffer, at, expectedOffset, Number.MAX_SAFE_INTEGER, true);
    if (problem === 'offset-gap') return problem;
    if (problem !== null) throw new Error(`not a RecordBatch v2 header at position ${position}`);
    return batchInfoAt(this.buffer, at, position);
  }
}

/** Why a walk gave no header: the HWM's offset is next, the segment's bytes end, or the batch there is not the expected one. */
export type WalkEnd = 'hwm' | 'end' | 'gap';

/**
 * Walks the batch headers of one segment in order from `position`, where the batch with
 * baseOffset `expected` starts, each next batch contiguous with the last. It stops by offset: the
 * header of a batch at or past the HWM is never even read, because those bytes may be unpublished
 * or half written (DESIGN §2).
 */
export class HeaderWalk {
  readonly scanner: SegmentScanner;
  private readonly highWatermark: bigint;
  /** Where the next header is read, and the baseOffset it must carry. */
  position: number;
  expected: bigint;
  /** How many bytes a read that must go to the file asks for. */
  readAhead: number;

  constructor(scanner: SegmentScanner, position: number, expected: bigint, highWatermark: bigint, readAhead: number) {
    this.scanner = scanner;
    this.position = position;
    this.expected = expected;
    this.highWatermark = highWatermark;
    this.readAhead = readAhead;
  }

  /** The next batch's header (its baseOffset is below the HWM), moving past it; or why there is none. */
  async next(): Promise<BatchInfo | WalkEnd> {
    if (this.expected >= this.highWatermark) return 'hwm';
    const position = this.position;
    if (!this.scanner.has(position, BATCH_HEADER_BYTES) && (await this.scanner.load(position, BATCH_HEADER_BYTES, this.readAhead)) < BATCH_HEADER_BYTES) return 'end';
    const header = this.scanner.headerAt(position, this.expected);
    if (header === 'offset-gap') return 'gap';
    this.position = position + header.size;
    this.expected = header.lastOffset + 1n;
    return header;
  }

  /** The whole batch of `header` when the last read already covered it, else null (then loadFrame). */
  loadedFrame(header: BatchInfo): Buffer | null {
    return this.scanner.has(header.position, header.size) ? this.scanner.view(header.position, header.size) : null;
  }

  /** The whole batch of `header`, or null when the file ends first. */
  async loadFrame(header: BatchInfo): Promise<Buffer | null> {
    const have = await this.scanner.load(header.position, header.size, Math.max(this.readAhead, header.size));
    return have < header.size ? null : this.scanner.view(header.position, header.size);
  }
}
