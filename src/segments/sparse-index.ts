// The in-memory core both sparse indexes of a segment share: ascending (key, value) pairs in two
// growable typed arrays, a floor search by key, and loading the consistent prefix of an index file.
//
//   .index      key: offset - segment base (int32)   value: byte position in .log (int32)
//   .timeindex  key: max timestamp so far (int64)     value: offset - segment base (int32)

const INITIAL_CAPACITY = 64;

/** Int32Array or BigInt64Array: the key column of one kind of index. */
interface KeyColumn<K> {
  [index: number]: K;
  readonly length: number;
  set(source: ArrayLike<K>): void;
}

export abstract class SparseIndex<K extends number | bigint> {
  private keys: KeyColumn<K>;
  private values = new Int32Array(INITIAL_CAPACITY);
  private entryCount = 0;
  private readonly newKeys: (length: number) => KeyColumn<K>;
  private readonly entryBytes: number;

  protected constructor(newKeys: (length: number) => KeyColumn<K>, entryBytes: number) {
    this.newKeys = newKeys;
    this.keys = newKeys(INITIAL_CAPACITY);
    this.entryBytes = entryBytes;
  }

  get count(): number {
    return this.entryCount;
  }

  protected keyAt(i: number): K {
    return this.keys[i];
  }

  protected valueAt(i: number): number {
    return this.values[i];
  }

  protected appendEntry(key: K, value: number): void {
    if (this.entryCount === this.keys.length) {
      const grownKeys = this.newKeys(this.keys.length * 2);
      grownKeys.set(this.keys as ArrayLike<K>);
      this.keys = grownKeys;
      const grownValues = new Int32Array(this.values.length * 2);
      grownValues.set(this.values);
      this.values = grownValues;
    }
    this.keys[this.entryCount] = key;
    this.values[this.entryCount] = value;
    this.entryCount++;
  }

  /** The entry with the largest key <= `key`, or -1 when there is none. */
  floor(key: K): number {
    let lo = 0;
    let hi = this.entryCount - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (this.keys[mid] <= key) {
        found = mid;
        lo = mid + 1;
      } else {
        hi = mid - 1;
      }
    }
    return found;
  }

  /**
   * Appends the entries encoded in `bytes` (an index file, or what was appended to it since the
   * last read) while each is valid alone (isValidEntry) and in order (follows). Returns how many
   * bytes were taken: whole entries up to the first inconsistent or incomplete one.
   */
  protected appendEncodedEntries(bytes: Uint8Array, limit: number): number {
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    let at = 0;
    while (at + this.entryBytes <= bytes.byteLength) {
      const key = this.decodeKey(view, at);
      const value = this.decodeValue(view, at);
      const last = this.entryCount - 1;
      const consistent = this.isValidEntry(key, value, limit) && (last < 0 || this.follows(key, value, this.keys[last], this.values[last]));
      if (!consistent) break;
      this.appendEntry(key, value);
      at += this.entryBytes;
    }
    return at;
  }

  protected abstract decodeKey(view: DataView, at: number): K;
  protected abstract decodeValue(view: DataView, at: number): number;
  /** Whether an entry is valid on its own (non-negative, within `limit`). */
  protected abstract isValidEntry(key: K, value: number, limit: number): boolean;
  /** Whether an entry may follow the last one (the index's ordering rule). */
  protected abstract follows(key: K, value: number, lastKey: K, lastValue: number): boolean;
}
