// The Kafka wire Writer: a growable buffer that the generated encoders write field by field, with
// byte fields spliced by reference for vectored writes (Fetch responses' records).
import { Buffer } from 'node:buffer';
import { UUID_HEX_AT, hexDigit } from './uuid.ts';
import { uvarintSize } from './varint.ts';
import { SplicedBytes } from './spliced-bytes.ts';

// A JS string of n UTF-16 units encodes to at most 3n UTF-8 bytes; below this many units a
// compact length prefix is sure to fit in one varint byte, so we can write first and patch after.
const ONE_BYTE_PREFIX_MAX_UNITS = 42;

export class Writer {
  private buf: Buffer;
  // int64/float64 go through a DataView: V8 inlines DataView.setBigInt64, while Buffer's
  // writeBigInt64BE does BigInt arithmetic (measured 80 M/s against 2 M/s, see docs/notes/codec.md).
  private view: DataView;
  /** Next write position; also the number of bytes written so far. */
  position = 0;

  constructor(initialCapacity = 256) {
    this.buf = Buffer.allocUnsafe(Math.max(16, initialCapacity));
    this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
  }

  private ensure(extra: number): void {
    const needed = this.position + extra;
    if (needed <= this.buf.length) return;
    let capacity = this.buf.length * 2;
    while (capacity < needed) capacity *= 2;
    const grown = Buffer.allocUnsafe(capacity);
    this.buf.copy(grown, 0, 0, this.position);
    this.buf = grown;
    this.view = new DataView(grown.buffer, grown.byteOffset, grown.byteLength);
  }

  /** A view of the bytes written so far (not a copy: later writes may reuse the memory after reset()). */
  finish(): Buffer {
    if (this.splices.length > 0) {
      if (this.splices.some((s) => s.bytes instanceof SplicedBytes)) throw new Error('a message with spliced file bytes has no single-buffer form');
      return Buffer.concat(this.finishChunks());
    }
    return this.buf.subarray(0, this.position);
  }

  /** Forget what was written, keeping the grown buffer for the next message. */
  reset(): void {
    this.position = 0;
    this.splices = [];
    this.splicedBytes = 0;
  }

  // ---- splicing: large byte fields by reference (Fetch responses' records) ----

  private spliceFrom = Infinity;
  private splices: { at: number; bytes: Uint8Array }[] = [];
  private splicedBytes = 0;

  /**
   * From now on, byte fields of at least `minBytes` are kept by reference instead of copied, and
   * the message comes out of finishChunks() as pieces for one vectored write. Positions (and so
   * patchInt32 and reserveInt32) keep counting only the bytes in the buffer: use it only when no
   * length is computed from positions across such a field (the frame size uses `length`; tagged
   * fields must not contain one).
   */
  enableSplicing(minBytes: number): void {
    this.spliceFrom = minBytes;
  }

  /** Every byte of the message, spliced fields included. */
  get length(): number {
    return this.position + this.splicedBytes;
  }

  /** The message as pieces in order: buffer slices and spliced fields. No copy. */
  finishChunks(): Uint8Array[] {
    if (this.splices.length === 0) return [this.finish()];
    const chunks: Uint8Array[] = [];
    let from = 0;
    for (const { at, bytes } of this.splices) {
      if (at > from) chunks.push(this.buf.subarray(from, at));
      chunks.push(bytes);
      from = at;
    }
    if (this.position > from) chunks.push(this.buf.subarray(from, this.position));
    return chunks;
  }

  int8(value: number): void {
    this.ensure(1);
    this.buf[this.position++] = value & 0xff;
  }

  bool(value: boolean): void {
    this.ensure(1);
    this.buf[this.position++] = value ? 1 : 0;
  }

  int16(value: number): void {
    this.ensure(2);
    const b = this.buf;
    const p = this.position;
    b[p] = (value >>> 8) & 0xff;
    b[p + 1] = value & 0xff;
    this.position = p + 2;
  }

  uint16(value: number): void {
    this.int16(value);
  }

  int32(value: number): void {
    this.ensure(4);
    const b = this.buf;
    const p = this.position;
    b[p] = (value >>> 24) & 0xff;
    b[p + 1] = (value >>> 16) & 0xff;
    b[p + 2] = (value >>> 8) & 0xff;
    b[p + 3] = value & 0xff;
    this.position = p + 4;
  }

  uint32(value: number): void {
    this.int32(value);
  }

  int64(value: bigint): void {
    this.ensure(8);
    this.view.setBigInt64(this.position, value);
    this.position += 8;
  }

  float64(value: number): void {
    this.ensure(8);
    this.view.setFloat64(this.position, value);
    this.position += 8;
  }

  uuid(value: string): void {
    if (value.length !== 36 || value[8] !== '-' || value[13] !== '-' || value[18] !== '-' || value[23] !== '-') {
      throw new TypeError(`not an 8-4-4-4-12 UUID: ${JSON.stringify(value)}`);
    }
    this.ensure(16);
    const b = this.buf;
    const p = this.position;
    for (let i = 0; i < 16; i++) {
      const at = UUID_HEX_AT[i]!;
      const high = hexDigit(value.charCodeAt(at));
      const low = hexDigit(value.charCodeAt(at + 1));
      if ((high | low) < 0) throw new TypeError(`not an 8-4-4-4-12 UUID: ${JSON.stringify(value)}`);
      b[p + i] = (high << 4) | low;
    }
    this.position = p + 16;
  }

  uvarint(value: number): void {
    this.ensure(5);
    const b = this.buf;
    let p = this.position;
    let v = value >>> 0;
    while (v >= 0x80) {
      b[p++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[p++] = v;
    this.position = p;
  }

  /** Signed 32-bit value, zigzag-encoded as in record headers. */
  varint(value: number): void {
    this.uvarint(((value << 1) ^ (value >> 31)) >>> 0);
  }

  /** Signed 64-bit value, zigzag-encoded. */
  varlong(value: bigint): void {
    let v = BigInt.asUintN(64, (value << 1n) ^ (value >> 63n));
    this.ensure(10);
    const b = this.buf;
    let p = this.position;
    while (v >= 0x80n) {
      b[p++] = Number(v & 0x7fn) | 0x80;
      v >>= 7n;
    }
    b[p++] = Number(v);
    this.position = p;
  }

  raw(bytes: Uint8Array): void {
    // SplicedBytes hold nothing to copy: they are always referenced.
    if (bytes.length >= this.spliceFrom || bytes instanceof SplicedBytes) {
      // Referenced, not copied: finishChunks() hands it to the socket between the buffer's pieces.
      this.splices.push({ at: this.position, bytes });
      this.splicedBytes += bytes.length;
      return;
    }
    this.ensure(bytes.length);
    this.buf.set(bytes, this.position);
    this.position += bytes.length;
  }

  string(value: string): void {
    // Reserve the int16 length, write the UTF-8 bytes straight into the buffer, then patch.
    this.ensure(2 + value.length * 3);
    const start = this.position + 2;
    const length = this.buf.write(value, start, 'utf8');
    if (length > 0x7fff) throw new RangeError(`string of ${length} bytes does not fit an int16 length`);
    this.buf[start - 2] = length >>> 8;
    this.buf[start - 1] = length & 0xff;
    this.position = start + length;
  }

  nullableString(value: string | null): void {
    if (value === null) this.int16(-1);
    else this.string(value);
  }

  compactString(value: string): void {
    if (value.length <= ONE_BYTE_PREFIX_MAX_UNITS) {
      this.ensure(1 + value.length * 3);
      const start = this.position + 1;
      const length = this.buf.write(value, start, 'utf8');
      this.buf[start - 1] = length + 1;
      this.position = start + length;
      return;
    }
    const length = Buffer.byteLength(value, 'utf8');
    this.uvarint(length + 1);
    this.ensure(length);
    this.position += this.buf.write(value, this.position, 'utf8');
  }

  compactNullableString(value: string | null): void {
    if (value === null) this.uvarint(0);
    else this.compactString(value);
  }

  bytes(value: Uint8Array): void {
    this.int32(value.length);
    this.raw(value);
  }

  nullableBytes(value: Uint8Array | null): void {
    if (value === null) this.int32(-1);
    else this.bytes(value);
  }

  compactBytes(value: Uint8Array): void {
    this.uvarint(value.length + 1);
    this.raw(value);
  }

  compactNullableBytes(value: Uint8Array | null): void {
    if (value === null) this.uvarint(0);
    else this.compactBytes(value);
  }

  /** Classic array length (int32); -1 is null. */
  arrayLength(length: number): void {
    this.int32(length);
  }

  /** Compact array length (unsigned varint of length + 1); pass -1 for null. */
  compactArrayLength(length: number): void {
    this.uvarint(length + 1);
  }

  /** Reserve 4 bytes (e.g. the frame size) to fill in later with patchInt32. */
  reserveInt32(): number {
    this.ensure(4);
    const at = this.position;
    this.position += 4;
    return at;
  }

  patchInt32(at: number, value: number): void {
    this.buf.writeInt32BE(value | 0, at);
  }

  /**
   * Starts one entry of a tagged-field section: writes the tag and leaves one byte for the size.
   * Pass the returned mark to endTaggedField once the field's value is written.
   */
  beginTaggedField(tag: number): number {
    this.uvarint(tag);
    this.ensure(1);
    return this.position++;
  }

  /** Writes the size of the field begun at `mark`, moving the value up when the size needs more than one byte. */
  endTaggedField(mark: number): void {
    const size = this.position - mark - 1;
    const prefix = uvarintSize(size);
    if (prefix > 1) {
      this.ensure(prefix - 1);
      this.buf.copyWithin(mark + prefix, mark + 1, this.position);
      this.position += prefix - 1;
    }
    const end = this.position;
    this.position = mark;
    this.uvarint(size);
    this.position = end;
  }
}
