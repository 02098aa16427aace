// Kafka's varints: unsigned (compact lengths, tags) and zigzag-encoded varint/varlong (record
// fields; protobuf's sint32/sint64), sized and written straight into a Buffer.

/** Number of bytes `value` takes as an unsigned varint (value < 2^32). */
export function uvarintSize(value: number): number {
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

function zigzag32(n: number): number {
  return ((n << 1) ^ (n >> 31)) >>> 0;
}

export function varintSize(n: number): number {
  return uvarintSize(zigzag32(n));
}

function zigzag64(n: bigint): bigint {
  return BigInt.asUintN(64, (n << 1n) ^ (n >> 63n));
}

export function varlongSize(n: bigint): number {
  // Zigzag of a value in int32 range is the same in 32 and 64 bits, so most deltas skip BigInt math.
  if (n >= -0x80000000n && n <= 0x7fffffffn) return varintSize(Number(n));
  let z = zigzag64(n);
  let size = 1;
  while (z >= 0x80n) {
    z >>= 7n;
    size++;
  }
  return size;
}

/** Writes `n` zigzag-encoded at `position`; returns the position after it. */
export function writeVarint(buf: Buffer, position: number, n: number): number {
  let u = zigzag32(n);
  while (u >= 0x80) {
    buf[position++] = (u & 0x7f) | 0x80;
    u >>>= 7;
  }
  buf[position++] = u;
  return position;
}

export function writeVarlong(buf: Buffer, position: number, n: bigint): number {
  if (n >= -0x80000000n && n <= 0x7fffffffn) return writeVarint(buf, position, Number(n));
  let z = zigzag64(n);
  while (z >= 0x80n) {
    buf[position++] = Number(z & 0x7fn) | 0x80;
    z >>= 7n;
  }
  buf[position++] = Number(z);
  return position;
}
