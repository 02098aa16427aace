// CRC-32C (Castagnoli), the checksum of Kafka RecordBatch v2. Uses @node-rs/crc32's SSE4.2/ARMv8
// instruction path when its prebuilt binary loads (and the input is big enough to repay the call),
// else a slice-by-8 table in plain JS.
import { createRequire } from 'node:module';

type Crc32cFunction = (buf: Uint8Array, initial?: number) => number;

// Reflected form of the Castagnoli polynomial 0x1EDC6F41.
const CASTAGNOLI_REFLECTED = 0x82f63b78;

// SLICE_TABLES[k * 256 + b] is the CRC contribution of byte b followed by k zero bytes, which
// lets the loop fold eight input bytes per step instead of one.
const SLICE_TABLES = buildSliceTables();

function buildSliceTables(): Int32Array {
  const tables = new Int32Array(8 * 256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte;
    for (let bit = 0; bit < 8; bit++) crc = crc & 1 ? (crc >>> 1) ^ CASTAGNOLI_REFLECTED : crc >>> 1;
    tables[byte] = crc;
  }
  for (let slice = 1; slice < 8; slice++) {
    for (let byte = 0; byte < 256; byte++) {
      const previous = tables[(slice - 1) * 256 + byte];
      tables[slice * 256 + byte] = (previous >>> 8) ^ tables[previous & 0xff];
    }
  }
  return tables;
}

/** Pure-JS CRC-32C; `initial` is a previous result, so crc32c(b, crc32c(a)) === crc32c(a ++ b). */
export function crc32cPortable(buf: Uint8Array, initial = 0): number {
  const t = SLICE_TABLES;
  let crc = ~initial;
  let i = 0;
  const end8 = buf.length - (buf.length & 7);
  while (i < end8) {
    crc ^= buf[i] | (buf[i + 1] << 8) | (buf[i + 2] << 16) | (buf[i + 3] << 24);
    crc =
      t[1792 + (crc & 0xff)] ^
      t[1536 + ((crc >>> 8) & 0xff)] ^
      t[1280 + ((crc >>> 16) & 0xff)] ^
      t[1024 + (crc >>> 24)] ^
      t[768 + buf[i + 4]] ^
      t[512 + buf[i + 5]] ^
      t[256 + buf[i + 6]] ^
      t[buf[i + 7]];
    i += 8;
  }
  while (i < buf.length) crc = t[(crc ^ buf[i++]) & 0xff] ^ (crc >>> 8);
  return ~crc >>> 0;
}

function loadNative(): Crc32cFunction | null {
  // The binary comes from a per-platform optional dependency: it is absent where napi-rs ships
  // no build (e.g. linux-ppc64/s390x/riscv64) or when installed with --omit=optional.
  try {
    const native = createRequire(import.meta.url)('@node-rs/crc32') as { crc32c: (b: Uint8Array, s?: number) => number };
    const check = native.crc32c(Buffer.from('123456789'), 0);
    return check === 0xe3069283 ? native.crc32c : null;
  } catch {
    return null;
  }
}

const native = loadNative();

// Below this size the N-API call costs more than the table loop (bench/crc32c.ts: at 128 B
// native 1.2 GB/s vs JS 1.6 GB/s; at 256 B native 2.4 GB/s vs JS 1.7 GB/s).
const NATIVE_MIN_BYTES = 192;

function hybrid(nativeCrc32c: Crc32cFunction): Crc32cFunction {
  return (buf, initial = 0) =>
    buf.length < NATIVE_MIN_BYTES ? crc32cPortable(buf, initial) : nativeCrc32c(buf, initial);
}

/** Which implementation `crc32c` uses in this process: for logs and benchmarks. */
export const crc32cImplementation: 'native' | 'portable' = native ? 'native' : 'portable';

/** CRC-32C of `buf`, unsigned; `initial` continues a previous result. */
export const crc32c: Crc32cFunction = native ? hybrid(native) : crc32cPortable;
