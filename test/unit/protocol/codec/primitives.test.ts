// Writer and Reader primitives: exact bytes for varints, compact types and UUIDs; growth; the
// tagged-field size patch; and every bounds check failing with ProtocolDecodeError.
import { describe, expect, it } from 'vitest';
import { ProtocolDecodeError, Reader, Writer, ZERO_UUID, uvarintSize } from '../../../../src/protocol/primitives.ts';

function written(write: (w: Writer) => void): number[] {
  const w = new Writer(16);
  write(w);
  return [...w.finish()];
}

const reader = (bytes: number[]) => new Reader(Buffer.from(bytes));

describe('Writer and Reader', () => {
  it('writes fixed-width integers big-endian and reads them back with sign', () => {
    expect(written((w) => { w.int8(-1); w.int16(-2); w.int32(-3); w.uint16(65535); w.uint32(4294967295); }))
      .toEqual([0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    const r = reader([0xff, 0xff, 0xfe, 0xff, 0xff, 0xff, 0xfd, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect([r.int8(), r.int16(), r.int32(), r.uint16(), r.uint32()]).toEqual([-1, -2, -3, 65535, 4294967295]);
  });

  it('round-trips int64 extremes and float64', () => {
    const w = new Writer();
    for (const v of [-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n]) w.int64(v);
    w.float64(-0.5);
    const r = new Reader(w.finish());
    expect([r.int64(), r.int64(), r.int64(), r.int64(), r.float64()]).toEqual([-(2n ** 63n), 2n ** 63n - 1n, 0n, -1n, -0.5]);
  });

  it('encodes unsigned varints as in the spec', () => {
    expect(written((w) => w.uvarint(0))).toEqual([0x00]);
    expect(written((w) => w.uvarint(127))).toEqual([0x7f]);
    expect(written((w) => w.uvarint(128))).toEqual([0x80, 0x01]);
    expect(written((w) => w.uvarint(300))).toEqual([0xac, 0x02]);
    expect(written((w) => w.uvarint(4294967295))).toEqual([0xff, 0xff, 0xff, 0xff, 0x0f]);
    for (const v of [0, 1, 127, 128, 16383, 16384, 2097151, 2097152, 268435455, 268435456, 4294967295]) {
      const bytes = written((w) => w.uvarint(v));
      expect(bytes.length).toBe(uvarintSize(v));
      expect(reader(bytes).uvarint()).toBe(v);
    }
  });

  it('zigzags signed varints and varlongs', () => {
    expect(written((w) => { w.varint(0); w.varint(-1); w.varint(1); w.varint(-64); })).toEqual([0x00, 0x01, 0x02, 0x7f]);
    for (const v of [0, -1, 1, 63, -64, 64, 2147483647, -2147483648]) expect(reader(written((w) => w.varint(v))).varint()).toBe(v);
    for (const v of [0n, -1n, 1n, 2n ** 63n - 1n, -(2n ** 63n), 1234567890123n]) expect(reader(written((w) => w.varlong(v))).varlong()).toBe(v);
    expect(written((w) => w.varlong(-(2n ** 63n)))).toEqual([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
  });

  it('writes classic and compact strings, null markers and UTF-8 lengths', () => {
    expect(written((w) => w.string('hé'))).toEqual([0x00, 0x03, 0x68, 0xc3, 0xa9]);
    expect(written((w) => w.nullableString(null))).toEqual([0xff, 0xff]);
    expect(written((w) => w.compactString('hé'))).toEqual([0x04, 0x68, 0xc3, 0xa9]);
    expect(written((w) => w.compactNullableString(null))).toEqual([0x00]);
    const long = '🚀'.repeat(40); // 160 bytes: needs a two-byte compact length
    const bytes = written((w) => w.compactString(long));
    expect(bytes.slice(0, 2)).toEqual([0xa1, 0x01]);
    expect(reader(bytes).compactString()).toBe(long);
    expect(reader([0xff, 0xff]).nullableString()).toBeNull();
    expect(reader([0x00]).compactNullableString()).toBeNull();
  });

  it('writes bytes and reads them as views of the input, not copies', () => {
    expect(written((w) => w.bytes(Buffer.from([1, 2])))).toEqual([0, 0, 0, 2, 1, 2]);
    expect(written((w) => w.compactNullableBytes(null))).toEqual([0]);
    const input = Buffer.from([0, 0, 0, 2, 9, 8]);
    const view = new Reader(input).bytes();
    expect([...view]).toEqual([9, 8]);
    input[4] = 7;
    expect(view[0]).toBe(7);
  });

  it('formats UUIDs as lowercase 8-4-4-4-12 and rejects malformed ones on write', () => {
    const uuid = '0123abcd-4567-89ef-0011-223344556677';
    const bytes = written((w) => w.uuid(uuid));
    expect(Buffer.from(bytes).toString('hex')).toBe('0123abcd456789ef0011223344556677');
    expect(reader(bytes).uuid()).toBe(uuid);
    expect(reader(new Array(16).fill(0)).uuid()).toBe(ZERO_UUID);
    expect(() => written((w) => w.uuid('not-a-uuid'))).toThrow(TypeError);
    expect(() => written((w) => w.uuid('0123abcd-4567-89ef-0011-22334455667g'))).toThrow(TypeError);
  });

  it('grows by doubling and patches a reserved frame size in place', () => {
    const w = new Writer(16);
    const at = w.reserveInt32();
    for (let i = 0; i < 1000; i++) w.int32(i);
    w.patchInt32(at, w.position - 4);
    const out = w.finish();
    expect(out.length).toBe(4004);
    expect(out.readInt32BE(0)).toBe(4000);
    expect(out.readInt32BE(4 + 999 * 4)).toBe(999);
  });

  it('patches tagged-field sizes, moving the value when the size needs two bytes', () => {
    const w = new Writer(16);
    const small = w.beginTaggedField(3);
    w.int32(7);
    w.endTaggedField(small);
    const large = w.beginTaggedField(200);
    w.raw(Buffer.alloc(300, 0xab));
    w.endTaggedField(large);
    const r = new Reader(w.finish());
    expect([r.uvarint(), r.uvarint(), r.int32()]).toEqual([3, 4, 7]);
    expect([r.uvarint(), r.uvarint()]).toEqual([200, 300]);
    expect(r.raw(300).every((b) => b === 0xab)).toBe(true);
    expect(r.remaining).toBe(0);
  });
});

describe('Reader bounds', () => {
  const cases: [string, number[], (r: Reader) => unknown][] = [
    ['truncated int32', [0, 0, 1], (r) => r.int32()],
    ['truncated int64', [0, 0, 0, 0, 0, 0, 0], (r) => r.int64()],
    ['truncated uuid', new Array(15).fill(0), (r) => r.uuid()],
    ['string longer than the input', [0, 10, 65], (r) => r.string()],
    ['negative string length', [0xff, 0xfe], (r) => r.nullableString()],
    ['null in a non-nullable string', [0xff, 0xff], (r) => r.string()],
    ['null in a non-nullable compact string', [0x00], (r) => r.compactString()],
    ['huge compact string', [0xff, 0xff, 0xff, 0xff, 0x0f], (r) => r.compactString()],
    ['negative bytes length', [0x80, 0, 0, 0], (r) => r.bytes()],
    ['huge array length', [0x7f, 0xff, 0xff, 0xff], (r) => r.arrayLength()],
    ['negative array length', [0xff, 0xff, 0xff, 0xfe], (r) => r.nullableArrayLength()],
    ['null in a non-nullable array', [0xff, 0xff, 0xff, 0xff], (r) => r.arrayLength()],
    ['huge compact array', [0xff, 0xff, 0xff, 0xff, 0x0f], (r) => r.compactArrayLength()],
    ['varint longer than 5 bytes', [0xff, 0xff, 0xff, 0xff, 0xff, 0x01], (r) => r.uvarint()],
    ['unterminated varint', [0x80, 0x80], (r) => r.uvarint()],
    ['varlong longer than 10 bytes', new Array(11).fill(0xff), (r) => r.varlong()],
    ['tagged field larger than the input', [0x01, 0x00, 0x05, 0x00], (r) => r.skipTaggedFields()],
    ['negative skip', [0, 0], (r) => r.skip(-1)],
  ];
  for (const [name, bytes, read] of cases) {
    it(`${name} throws ProtocolDecodeError`, () => {
      expect(() => read(reader(bytes))).toThrow(ProtocolDecodeError);
    });
  }

  it('respects the end of its window, not the end of the buffer', () => {
    const r = new Reader(Buffer.from([0, 0, 0, 1, 0, 0, 0, 2]), 0, 4);
    expect(r.int32()).toBe(1);
    expect(() => r.int32()).toThrow(ProtocolDecodeError);
  });
});
