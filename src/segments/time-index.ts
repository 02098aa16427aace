// The sparse time index of one segment held in memory: (max timestamp so far, offset - base of the
// batch holding it), timestamps strictly increasing because an entry is added only when it grows.
import { TIME_INDEX_ENTRY_BYTES } from './layout.ts';

const INITIAL_CAPACITY = 64;

export class TimeIndexEntries {
  private timestamps = new BigInt64Array(INITIAL_CAPACITY);
  private relativeOffsets = new Int32Array(INITIAL_CAPACITY);
  private entryCount = 0;

  get count(): number {
    return this.entryCount;
  }

  timestampAt(i: number): bigint {
    return this.timestamps[i];
  }

  relativeOffsetAt(i: number): number {
    return this.relativeOffsets[i];
  }

  /** Largest timestamp indexed, or -1n when there is no entry. */
  get lastTimestamp(): bigint {
    return this.entryCount === 0 ? -1n : this.timestamps[this.entryCount - 1];
  }

  append(timestamp: bigint, relativeOffset: number): void {
    if (this.entryCount === this.timestamps.length) {
      const grownTimestamps = new BigInt64Array(this.timestamps.length * 2);
      grownTimestamps.set(this.timestamps);
      this.timestamps = grownTimestamps;
      const grownOffsets = new Int32Array(this.relativeOffsets.length * 2);
      grownOffsets.set(this.relativeOffsets);
      this.relativeOffsets = grownOffsets;
    }
    this.timestamps[this.entryCount] = timestamp;
    this.relativeOffsets[this.entryCount] = relativeOffset;
    this.entryCount++;
  }

  /**
   * Appends the consistent leading entries encoded in `bytes` (timestamps strictly increasing,
   * offsets non-decreasing and below `relativeOffsetLimit`); returns the bytes taken.
   */
  appendEncoded(bytes: Uint8Array, relativeOffsetLimit = 0x7fffffff): number {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0;
    while (at + TIME_INDEX_ENTRY_BYTES <= bytes.byteLength) {
      const timestamp = view.getBigInt64(at);
      const relativeOffset = view.getInt32(at + 8);
      const last = this.entryCount - 1;
      const consistent =
        relativeOffset >= 0 &&
        relativeOffset < relativeOffsetLimit &&
        (last < 0 || (timestamp > this.timestamps[last] && relativeOffset >= this.relativeOffsets[last]));
      if (!consistent) break;
      this.append(timestamp, relativeOffset);
      at += TIME_INDEX_ENTRY_BYTES;
    }
    return at;
  }

  /** The entry with the largest timestamp <= `timestamp`, or -1. */
  floor(timestamp: bigint): number {
    let lo = 0;
    let hi = this.entryCount - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.timestamps[mid] <= timestamp) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }
}

export function encodeTimeIndexEntry(target: Buffer, at: number, timestamp: bigint, relativeOffset: number): void {
  target.writeBigInt64BE(timestamp, at);
  target.writeInt32BE(relativeOffset, at + 8);
}
