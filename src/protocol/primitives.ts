// Kafka wire primitives: a growable Writer and a bounds-checked Reader over one Buffer.
// The generated codecs (src/protocol/generated/) are straight-line sequences of these calls.
import { Buffer } from 'node:buffer';

/** Thrown for any malformed input: truncation, bad lengths, overlong varints. Nothing else escapes a decoder. */
export class ProtocolDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolDecodeError';
  }
}

export const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

const HEX_BYTE: string[] = [];
for (let i = 0; i < 256; i++) HEX_BYTE.push(i.toString(16).padStart(2, '0'));

/** Where each byte's two hex digits start in the 36-char form. */
const UUID_HEX_AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/** Value of one hex digit (either case), or -1. */
function hexDigit(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  if (code >= 0x61 && code <= 0x66) return code - 0x57;
  if (code >= 0x41 && code <= 0x46) return code - 0x37;
  return -1;
}

// A JS string of n UTF-16 units encodes to at most 3n UTF-8 bytes; below this many units a
// compact length prefix is sure to fit in one varint byte, so we can write first and patch after.
const ONE_BYTE_PREFIX_MAX_UNITS = 42;

/** Number of bytes `value` takes as an unsigned varint (value < 2^32). */
export function uvarintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

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
    if (this.splices.length > 0) return Buffer.concat(this.finishChunks());
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
    if (bytes.length >= this.spliceFrom) {
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

export class Reader {
  readonly buf: Buffer;
  offset: number;
  readonly end: number;
  // See Writer: DataView reads of int64 are several times faster than Buffer.readBigInt64BE.
  private readonly view: DataView;

  constructor(buf: Buffer, offset = 0, end = buf.length) {
    if (offset < 0 || end > buf.length || offset > end) throw new RangeError(`bad Reader window [${offset}, ${end}) over ${buf.length} bytes`);
    this.buf = buf;
    this.offset = offset;
    this.end = end;
    this.view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  }

  get remaining(): number {
    return this.end - this.offset;
  }

  /** Advances past n bytes and returns where they started; the single place truncation is detected. */
  private take(n: number): number {
    const at = this.offset;
    if (n > this.end - at) throw new ProtocolDecodeError(`truncated: need ${n} bytes at offset ${at}, ${this.end - at} left`);
    this.offset = at + n;
    return at;
  }

  skip(n: number): void {
    if (n < 0) throw new ProtocolDecodeError(`negative skip ${n}`);
    this.take(n);
  }

  int8(): number {
    const at = this.take(1);
    return (this.buf[at]! << 24) >> 24;
  }

  bool(): boolean {
    return this.buf[this.take(1)] !== 0;
  }

  int16(): number {
    const at = this.take(2);
    const b = this.buf;
    return ((b[at]! << 24) | (b[at + 1]! << 16)) >> 16;
  }

  uint16(): number {
    const at = this.take(2);
    const b = this.buf;
    return (b[at]! << 8) | b[at + 1]!;
  }

  int32(): number {
    const at = this.take(4);
    const b = this.buf;
    return (b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!;
  }

  uint32(): number {
    return this.int32() >>> 0;
  }

  int64(): bigint {
    return this.view.getBigInt64(this.take(8));
  }

  float64(): number {
    return this.view.getFloat64(this.take(8));
  }

  uuid(): string {
    const at = this.take(16);
    const b = this.buf;
    let s = '';
    for (let i = 0; i < 16; i++) {
      if (i === 4 || i === 6 || i === 8 || i === 10) s += '-';
      s += HEX_BYTE[b[at + i]!];
    }
    return s;
  }

  uvarint(): number {
    const b = this.buf;
    const first = b[this.take(1)]!;
    if (first < 0x80) return first;
    let value = first & 0x7f;
    for (let shift = 7; shift < 28; shift += 7) {
      const byte = b[this.take(1)]!;
      value |= (byte & 0x7f) << shift;
      if (byte < 0x80) return value;
    }
    const last = b[this.take(1)]!;
    if (last > 0x0f) throw new ProtocolDecodeError(`unsigned varint longer than 32 bits before offset ${this.offset}`);
    return value + last * 0x10000000;
  }

  varint(): number {
    const v = this.uvarint();
    return (v >>> 1) ^ -(v & 1);
  }

  varlong(): bigint {
    const b = this.buf;
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = b[this.take(1)]!;
      value |= BigInt(byte & 0x7f) << shift;
      if (byte < 0x80) {
        if (value >= 1n << 64n) break;
        return (value >> 1n) ^ -(value & 1n);
      }
    }
    throw new ProtocolDecodeError(`varlong longer than 64 bits before offset ${this.offset}`);
  }

  /** A zero-copy view of the next n bytes. */
  raw(n: number): Buffer {
    if (n < 0) throw new ProtocolDecodeError(`negative length ${n}`);
    const at = this.take(n);
    return this.buf.subarray(at, at + n);
  }

  private utf8(length: number): string {
    const at = this.take(length);
    return this.buf.toString('utf8', at, at + length);
  }

  /** Checks a length read from the wire; null marker handling is the caller's. */
  private bounded(length: number, what: string): number {
    if (length < 0) throw new ProtocolDecodeError(`negative ${what} length ${length} at offset ${this.offset}`);
    if (length > this.end - this.offset) throw new ProtocolDecodeError(`${what} length ${length} exceeds the ${this.end - this.offset} bytes left at offset ${this.offset}`);
    return length;
  }

  string(): string {
    const length = this.int16();
    return this.utf8(this.bounded(length, 'string'));
  }

  nullableString(): string | null {
    const length = this.int16();
    if (length === -1) return null;
    return this.utf8(this.bounded(length, 'string'));
  }

  compactString(): string {
    const length = this.uvarint() - 1;
    if (length === -1) throw new ProtocolDecodeError(`null in a non-nullable compact string at offset ${this.offset}`);
    return this.utf8(this.bounded(length, 'string'));
  }

  compactNullableString(): string | null {
    const length = this.uvarint() - 1;
    if (length === -1) return null;
    return this.utf8(this.bounded(length, 'string'));
  }

  bytes(): Buffer {
    return this.raw(this.bounded(this.int32(), 'bytes'));
  }

  nullableBytes(): Buffer | null {
    const length = this.int32();
    if (length === -1) return null;
    return this.raw(this.bounded(length, 'bytes'));
  }

  compactBytes(): Buffer {
    const length = this.uvarint() - 1;
    if (length === -1) throw new ProtocolDecodeError(`null in non-nullable compact bytes at offset ${this.offset}`);
    return this.raw(this.bounded(length, 'bytes'));
  }

  compactNullableBytes(): Buffer | null {
    const length = this.uvarint() - 1;
    if (length === -1) return null;
    return this.raw(this.bounded(length, 'bytes'));
  }

  // Every array element takes at least one byte in any real message, so a count above the bytes
  // left is malformed; refusing it here means a hostile count never allocates a huge array.

  arrayLength(): number {
    const length = this.int32();
    if (length === -1) throw new ProtocolDecodeError(`null in a non-nullable array at offset ${this.offset}`);
    return this.bounded(length, 'array');
  }

  /** -1 for null. */
  nullableArrayLength(): number {
    const length = this.int32();
    if (length === -1) return -1;
    return this.bounded(length, 'array');
  }

  compactArrayLength(): number {
    const length = this.uvarint() - 1;
    if (length === -1) throw new ProtocolDecodeError(`null in a non-nullable compact array at offset ${this.offset}`);
    return this.bounded(length, 'array');
  }

  /** -1 for null. */
  compactNullableArrayLength(): number {
    const length = this.uvarint() - 1;
    if (length === -1) return -1;
    return this.bounded(length, 'array');
  }

  /** Reads a tagged-field size and returns the offset where that field must end. */
  taggedFieldEnd(): number {
    const size = this.bounded(this.uvarint(), 'tagged field');
    return this.offset + size;
  }

  /** Checks that a known tagged field consumed exactly the size its header announced. */
  expectOffset(expected: number): void {
    if (this.offset !== expected) throw new ProtocolDecodeError(`tagged field ended at offset ${this.offset}, its size says ${expected}`);
  }

  /** Skips a whole tagged-field section, for a struct that knows no tags in this version. */
  skipTaggedFields(): void {
    const count = this.uvarint();
    for (let i = 0; i < count; i++) {
      this.uvarint();
      this.offset = this.taggedFieldEnd();
    }
  }
}
