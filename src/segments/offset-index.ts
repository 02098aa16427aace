// The sparse offset index of one segment held in memory: (offset - base, position) pairs in
// ascending order, shared by the shard's writer (appends) and the main thread's reader (lookups).
import { OFFSET_INDEX_ENTRY_BYTES } from './layout.ts';
import { SparseIndex } from './sparse-index.ts';

export class OffsetIndexEntries extends SparseIndex<number> {
  constructor() {
    super((length) => new Int32Array(length), OFFSET_INDEX_ENTRY_BYTES);
  }

  relativeOffsetAt(i: number): number {
    return this.keyAt(i);
  }

  positionAt(i: number): number {
    return this.valueAt(i);
  }

  append(relativeOffset: number, position: number): void {
    this.appendEntry(relativeOffset, position);
  }

  /**
   * Appends the entries encoded in `bytes` that extend this index consistently (offsets and
   * positions strictly increasing, positions below `logSizeLimit`). Returns how many bytes were
   * taken: whole entries up to the first inconsistent or incomplete one.
   */
  appendEncoded(bytes: Uint8Array, logSizeLimit = Number.MAX_SAFE_INTEGER): number {
    return this.appendEncodedEntries(bytes, logSizeLimit);
  }

  /** Byte position in the segment to start scanning from for `relativeOffset`. */
  floorPosition(relativeOffset: number): number {
    const i = this.floor(relativeOffset);
    return i < 0 ? 0 : this.valueAt(i);
  }

  protected decodeKey(view: DataView, at: number): number {
    return view.getInt32(at);
  }

  protected decodeValue(view: DataView, at: number): number {
    return view.getInt32(at + 4);
  }

  protected isValidEntry(relativeOffset: number, position: number, logSizeLimit: number): boolean {
    return relativeOffset >= 0 && position >= 0 && position < logSizeLimit;
  }

  protected follows(relativeOffset: number, position: number, lastOffset: number, lastPosition: number): boolean {
    return relativeOffset > lastOffset && position > lastPosition;
  }
}

export function encodeOffsetIndexEntry(target: Buffer, at: number, relativeOffset: number, position: number): void {
  target.writeInt32BE(relativeOffset, at);
  target.writeInt32BE(position, at + 4);
}
