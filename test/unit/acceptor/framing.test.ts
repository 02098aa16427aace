// Framing: frames split across chunks in every way come out whole and byte-exact; Produce frames
// that span chunks are assembled in reused memory and flagged transient, others are not.
import { expect, test } from 'vitest';
import { FrameSplitter } from '../../../src/acceptor/framing.ts';

function frame(apiKey: number, bodyBytes: number, fill: number): Buffer {
  const body = Buffer.alloc(bodyBytes, fill);
  body.writeInt16BE(apiKey, 0);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

test('every split of a stream of frames yields the same frames, byte for byte', () => {
  const frames = [frame(0, 300, 1), frame(3, 20, 2), frame(0, 5, 3), frame(18, 2, 4), frame(0, 1000, 5)];
  const stream = Buffer.concat(frames);
  for (const step of [1, 2, 3, 7, 64, 299, 512, stream.length]) {
    const splitter = new FrameSplitter(1 << 20);
    const seen: { bytes: Buffer; transient: boolean }[] = [];
    for (let at = 0; at < stream.length; at += step) {
      // Copy transient frames at once: their memory is reused by the next one.
      expect(splitter.pushEach(stream.subarray(at, at + step), (f, transient) => seen.push({ bytes: Buffer.from(f), transient }))).toBeUndefined();
    }
    expect(seen.map((s) => s.bytes)).toEqual(frames.map((f) => f.subarray(4)));
    // Only Produce frames that spanned chunks are assembled in reused memory.
    for (const [i, s] of seen.entries()) if (s.transient) expect(frames[i]!.readInt16BE(4)).toBe(0);
    // (With 1-byte chunks the api key itself spans chunks: such a frame is simply copied.)
    if (step >= 2 && step < 300) expect(seen[0]!.transient).toBe(true);
    expect(seen[1]!.transient).toBe(false);
  }
});

test('a transient frame really is reused memory, and push() never hands out reused memory', () => {
  const splitter = new FrameSplitter(1 << 20);
  const a = frame(0, 100, 7);
  const b = frame(0, 100, 9);
  const held: Buffer[] = [];
  for (const f of [a, b]) {
    splitter.pushEach(f.subarray(0, 50), () => undefined);
    splitter.pushEach(f.subarray(50), (bytes, transient) => { expect(transient).toBe(true); held.push(bytes); });
  }
  expect(held[0]!.buffer).toBe(held[1]!.buffer);
  const plain = new FrameSplitter(1 << 20);
  const out = [...plain.push(a.subarray(0, 50)), ...plain.push(a.subarray(50))];
  expect(out).toEqual([{ kind: 'frame', frame: a.subarray(4) }]);
});

test('a size out of range is reported and nothing after it is parsed', () => {
  const splitter = new FrameSplitter(1000);
  const huge = Buffer.alloc(8);
  huge.writeInt32BE(5000);
  let frames = 0;
  expect(splitter.pushEach(huge, () => { frames++; })).toBe(5000);
  const negative = Buffer.alloc(4);
  negative.writeInt32BE(-1);
  expect(new FrameSplitter(1000).pushEach(negative, () => { frames++; })).toBe(-1);
  expect(frames).toBe(0);
});
