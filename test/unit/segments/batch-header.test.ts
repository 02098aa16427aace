import { describe, expect, it } from 'vitest';
import { batchCrcMatches, batchInfoAt, headerProblem } from '../../../src/segments/batch-header.ts';
import { simpleBatch } from './batch-fixture.ts';

function batchAt(baseOffset: bigint): Buffer {
  const batch = simpleBatch(3, 20, 5_000n);
  batch.writeBigInt64BE(baseOffset, 0);
  return batch;
}

describe('batch header', () => {
  it('reads position, size, offsets, max timestamp and attributes from the frame', () => {
    const batch = batchAt(40n);
    const framed = Buffer.concat([Buffer.alloc(7), batch]);
    expect(batchInfoAt(framed, 7, 1234)).toEqual({ position: 1234, size: batch.length, baseOffset: 40n, lastOffset: 42n, maxTimestamp: 5_002n, attributes: 0 });
  });

  it('names what is wrong with a header: length, torn, magic, negative delta, offset gap', () => {
    const good = batchAt(40n);
    expect(headerProblem(good, 0, 40n, good.length)).toBeNull();
    expect(headerProblem(good, 0, 41n, good.length)).toBe('offset-gap');
    expect(headerProblem(good, 0, 40n, good.length - 1)).toBe('torn');
    const short = Buffer.from(good);
    short.writeInt32BE(10, 8);
    expect(headerProblem(short, 0, 40n, good.length)).toBe('bad-length');
    const magic = Buffer.from(good);
    magic.writeInt8(1, 16);
    expect(headerProblem(magic, 0, 40n, good.length)).toBe('bad-magic');
    const delta = Buffer.from(good);
    delta.writeInt32BE(-1, 23);
    expect(headerProblem(delta, 0, 40n, good.length)).toBe('bad-length');
  });

  it('checks the CRC-32C over the frame, which does not cover the base offset', () => {
    const batch = batchAt(0n);
    expect(batchCrcMatches(batch)).toBe(true);
    batch.writeBigInt64BE(99n, 0);
    expect(batchCrcMatches(batch)).toBe(true);
    batch[batch.length - 1] ^= 1;
    expect(batchCrcMatches(batch)).toBe(false);
  });
});
