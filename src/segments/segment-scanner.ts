// Async, read-ahead access to one segment file for the main thread: batch headers and whole
// batches by position, reading through a FileHandle so the event loop never blocks.
import type { FileHandle } from 'node:fs/promises';

const EMPTY = Buffer.alloc(0);

export class SegmentScanner {
  private readonly handle: FileHandle;
  private buffer: Buffer = EMPTY;
  private bufferStart = 0;
  private bufferLength = 0;

  constructor(handle: FileHandle) {
    this.handle = handle;
  }

  /**
   * Makes at least `minBytes` from `position` available (fewer only at end of file), reading
   * `readAhead` bytes when it must read. Returns how many bytes from `position` are available.
   */
  async load(position: number, minBytes: number, readAhead: number): Promise<number> {
    const bufferEnd = this.bufferStart + this.bufferLength;
    if (position >= this.bufferStart && position + minBytes <= bufferEnd) return bufferEnd - position;
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
}
