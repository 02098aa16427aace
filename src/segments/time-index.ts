// The sparse time index of one segment held in memory: (max timestamp so far, offset - base of the
// batch holding it), timestamps strictly increasing because an entry is added only when it grows.
import { TIME_INDEX_ENTRY_BYTES } from './layout.ts';
import { SparseIndex } from './sparse-index.ts';

export class TimeIndexEntries extends SparseIndex<bigint> {
  constructor() {
    super((length) => new BigInt64Array(length), TIME_INDEX_ENTRY_BYTES);
  }

  timestampAt(i: number): bigint {
    return this.keyAt(i);
  }

  relativeOffsetAt(i: number): number {
    return this.valueAt(i);
  }

  /** Largest timestamp indexed, or -1n when there is no entry. */
  get lastTimestamp(): bigint {
    return this.count === 0 ? -1n : this.keyAt(this.count - 1);
  }

  append(timestamp: bigint, relativeOffset: number): void {
    this.appendEntry(timestamp, relativeOffset);
  }

  /**
   * Appends the consistent leading entries encoded in `bytes` (timestamps strictly increasing,
   * offsets non-decreasing and below `relativeOffsetLimit`); returns the bytes taken.
   */
  appendEncoded(bytes: Uint8Array, relativeOffsetLimit = 0x7fffffff): number {
    return this.appendEncodedEntries(bytes, relativeOffsetLimit);
  }

  protected decodeKey(view: DataView, at: number): bigint {
    return view.getBigInt64(at);
  }

  protected decodeValue(view: DataView, at: number): number {
    return view.getInt32(at + 8);
  }

  protected isValidEntry(_timestamp: bigint, relativeOffset: number, relativeOffsetLimit: number): boolean {
    return relativeOffset >= 0 && relativeOffset < relativeOffsetLimit;
  }

  protected follows(timestamp: bigint, relativeOffset: number, lastTimestamp: bigint, lastOffset: number): boolean {
    return timestamp > lastTimestamp && relativeOffset >= lastOffset;
  }
}

export function encodeTimeIndexEntry(target: Buffer, at: number, timestamp: bigint, relativeOffset: number): void {
  target.writeBigInt64BE(timestamp, at);
  target.writeInt32BE(relativeOffset, at + 8);
}
