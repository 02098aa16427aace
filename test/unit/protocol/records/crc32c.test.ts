// CRC-32C: the standard check value, and the native and portable paths agreeing on every size.
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { crc32c, crc32cImplementation, crc32cPortable } from '../../../../src/protocol/crc32c.ts';

describe('crc32c', () => {
  it('gives the standard check value for "123456789"', () => {
    const check = Buffer.from('123456789', 'ascii');
    expect(crc32c(check)).toBe(0xe3069283);
    expect(crc32cPortable(check)).toBe(0xe3069283);
  });

  it('is 0 for empty input and unsigned for every input', () => {
    expect(crc32c(new Uint8Array(0))).toBe(0);
    for (let i = 0; i < 50; i++) expect(crc32c(randomBytes(64))).toBeGreaterThanOrEqual(0);
  });

  it('is not the IEEE CRC-32 (a bug class Highwater designs out)', () => {
    // IEEE CRC-32 of "123456789" is 0xCBF43926.
    expect(crc32c(Buffer.from('123456789'))).not.toBe(0xcbf43926);
  });

  it('uses the native binding on this platform', () => {
    expect(crc32cImplementation).toBe('native');
  });

  it('agrees with the portable implementation on every length around the slicing and native cut-offs', () => {
    const data = randomBytes(4096);
    for (let length = 0; length <= 600; length++) {
      const slice = data.subarray(3, 3 + length);
      expect(crc32c(slice)).toBe(crc32cPortable(slice));
    }
    expect(crc32c(data)).toBe(crc32cPortable(data));
  });

  it('continues from a previous result when given `initial`', () => {
    const data = randomBytes(3000);
    for (const split of [0, 1, 7, 100, 191, 192, 1000, 3000]) {
      const whole = crc32c(data);
      expect(crc32c(data.subarray(split), crc32c(data.subarray(0, split)))).toBe(whole);
      expect(crc32cPortable(data.subarray(split), crc32cPortable(data.subarray(0, split)))).toBe(whole);
    }
  });
});
