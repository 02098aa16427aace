// The sparse offset index of one segment held in memory: (offset - base, position) pairs in
// ascending order, shared by the shard's writer (appends) and the main thread's reader (lookups).
import { OFFSET_INDEX_ENTRY_BYTES } from './layout.ts';

const INITIAL_CAPACITY = 64;

export class OffsetIndexEntries {
  private relativeOffsets = new Int32Array(INITIAL_CAPACITY);
  private positions = new Int32Array(INITIAL_CAPACITY);
  private entryCount = 0;

  get count(): number {
    return this.entryCount;
  }

  relativeOffsetAt(i: number): number {
    return this.relativeOffsets[i];
  }

  positionAt(i: number): number {
    return this.positions[i];
  }

  append(relativeOffset: number, position: number): void {
    if (this.entryCount === this.relativeOffsets.length) {
      const grownOffsets = new Int32Array(this.relativeOffsets.length * 2);
      grownOffsets.set(this.relativeOffsets);
      this.relativeOffsets = grownOffsets;
      const grownPositions = new Int32Array(this.positions.length * 2);
      grownPositions.set(this.positions);
      this.positions = grownPositions;
    }
    this.relativeOffsets[this.entryCount] = relativeOffset;
    this.positions[this.entryCount] = position;
    this.entryCount++;
  }

  /**
   * Appends the entries encoded in `bytes` that extend this index consistently (offsets and
   * positions strictly increasing, positions below `logSizeLimit`). Returns how many bytes were
   * taken: whole entries up to the first inconsistent or incomplete one.
   */
  appendEncoded(bytes: Uint8Array, logSizeLimit = Number.MAX_SAFE_INTEGER): number {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0;
    while (at + OFFSET_INDEX_ENTRY_BYTES <= bytes.byteLength) {
      const relativeOffset = view.getInt32(at);
      const position = view.getInt32(at + 4);
      const last = this.entryCount - 1;
      const consistent =
        relativeOffset >= 0 &&
        position >= 0 &&
        position < logSizeLimit &&
        (last < 0 || (relativeOffset > this.relativeOffsets[last] && position > this.positions[last]));
      if (!consistent) break;
      this.append(relativeOffset, position);
      at += OFFSET_INDEX_ENTRY_BYTES;
    }
    return at;
  }

  /** The entry with the largest offset <= `relativeOffset`, or -1 when the segment start is the floor. */
  floor(relativeOffset: number): number {
    let lo = 0;
    let hi = this.entryCount - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.relativeOffsets[mid] <= relativeOffset) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /** Byte position in the segment to start scanning from for `relativeOffset`. */
  floorPosition(relativeOffset: number): number {
    const i = this.floor(relativeOffset);
    return i < 0 ? 0 : this.positions[i];
  }
}

export function encodeOffsetIndexEntry(target: Buffer, at: number, relativeOffset: number, position: number): void {
  target.writeInt32BE(relativeOffset, at);
  target.writeInt32BE(position, at + 4);
}
