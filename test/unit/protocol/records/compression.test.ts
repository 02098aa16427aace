// Compression codecs: round trips, and snappy in both the xerial framing (Java client) and raw
// (librdkafka, KafkaJS codecs).
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import {
  COMPRESSION_CODECS,
  compress,
  compressionCodecId,
  compressionCodecOf,
  decompress,
  decompressAsync,
} from '../../../../src/protocol/compression.ts';

const snappyBinding = createRequire(import.meta.url)('snappy') as { compressSync(b: Buffer): Buffer };
const data = Buffer.concat([Buffer.alloc(50_000, 'abc'), randomBytes(30_000), Buffer.from('tail')]);

describe('compression', () => {
  it('maps codec ids as Kafka attributes do', () => {
    expect(COMPRESSION_CODECS.map(compressionCodecId)).toEqual([0, 1, 2, 3, 4]);
    expect(compressionCodecOf(0x0b)).toBe('lz4');
    expect(compressionCodecOf(0x14)).toBe('zstd');
    expect(compressionCodecOf(0x05)).toBeNull();
  });

  for (const codec of COMPRESSION_CODECS) {
    it(`round-trips ${codec}, including empty input`, () => {
      expect(decompress(codec, compress(codec, data)).equals(data)).toBe(true);
      expect(decompress(codec, compress(codec, Buffer.alloc(0))).length).toBe(0);
    });
  }

  for (const codec of COMPRESSION_CODECS) {
    it(`decompressAsync reads what compress wrote for ${codec}, as decompress does`, async () => {
      const packed = compress(codec, data);
      expect((await decompressAsync(codec, packed)).equals(data)).toBe(true);
    });
  }

  it('decompressAsync refuses output past the bound and a payload that is not the codec', async () => {
    await expect(decompressAsync('gzip', compress('gzip', data), 1000)).rejects.toThrow();
    await expect(decompressAsync('zstd', compress('zstd', data), 1000)).rejects.toThrow();
    await expect(decompressAsync('lz4', compress('lz4', data), 1000)).rejects.toThrow(RangeError);
    await expect(decompressAsync('gzip', Buffer.alloc(20, 0x42))).rejects.toThrow();
    await expect(decompressAsync('lz4', Buffer.alloc(20, 0x42))).rejects.toThrow();
  });

  it('writes snappy xerial-framed in 32 KiB blocks, as the Java client does', () => {
    const framed = compress('snappy', data);
    expect(framed.subarray(0, 16).toString('hex')).toBe('82534e4150505900' + '00000001' + '00000001');
    let blocks = 0;
    for (let p = 16; p < framed.length; p += 4 + framed.readInt32BE(p)) blocks++;
    expect(blocks).toBe(Math.ceil(data.length / 32768));
  });

  it('reads raw (unframed) snappy', () => {
    expect(decompress('snappy', snappyBinding.compressSync(data)).equals(data)).toBe(true);
  });

  it('reads xerial framing whose blocks were cut differently', () => {
    const header = Buffer.from('82534e41505059000000000100000001', 'hex');
    const parts: Buffer[] = [header];
    for (const [start, end] of [[0, 10], [10, 60_000], [60_000, data.length]]) {
      const block = snappyBinding.compressSync(data.subarray(start, end));
      const length = Buffer.alloc(4);
      length.writeInt32BE(block.length);
      parts.push(length, block);
    }
    expect(decompress('snappy', Buffer.concat(parts)).equals(data)).toBe(true);
  });

  it('throws on a xerial block running past the end', () => {
    const framed = compress('snappy', data);
    expect(() => decompress('snappy', framed.subarray(0, framed.length - 1))).toThrow();
  });

  it('writes LZ4 frames with independent blocks (FLG bit 5), which Kafka requires', () => {
    const frame = compress('lz4', data);
    expect(frame.readUInt32LE(0)).toBe(0x184d2204);
    expect(frame[4] & 0x20).toBe(0x20);
  });
});
