// The Kafka wire Reader: a bounds-checked cursor over one Buffer. Every length read from the wire is
// checked against the bytes left, so malformed input ends in a ProtocolDecodeError and nothing else.
import type { Buffer } from 'node:buffer';
import { HEX_BYTE } from './uuid.ts';

/** Thrown for any malformed input: truncation, bad lengths, overlong varints. Nothing else escapes a decoder. */
export class ProtocolDecodeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProtocolDecodeError';
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
