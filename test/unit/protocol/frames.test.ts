// Framing: frames split across chunks in every way come out whole and byte-exact, whether the
// chunks are reused memory (socket reads into one buffer) or given away.
import { expect, test } from 'vitest';
import { FrameSplitter } from '../../../src/protocol/frames.ts';

function frame(apiKey: number, bodyBytes: number, fill: number): Buffer {
  const body = Buffer.alloc(bodyBytes, fill);
  body.writeInt16BE(apiKey, 0);
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

test('every split of a stream of frames yields the same frames, byte for byte, in both modes', () => {
  // The last one is an empty frame (size 0).
  const frames = [frame(0, 300, 1), frame(3, 20, 2), frame(0, 5, 3), frame(18, 2, 4), frame(0, 1000, 5), Buffer.alloc(4)];
  const stream = Buffer.concat(frames);
  for (const step of [1, 2, 3, 4, 5, 7, 64, 299, 512, stream.length]) {
    const transient = new FrameSplitter(1 << 20);
    const owned = new FrameSplitter(1 << 20);
    const seen: Buffer[] = [];
    const kept: Buffer[] = [];
    for (let at = 0; at < stream.length; at += step) {
      // The chunk is reused memory: overwritten as soon as the splitter returns, as a socket read
      // buffer would be. Transient frames are copied inside the callback.
      const chunk = Buffer.from(stream.subarray(at, at + step));
      expect(transient.pushTransient(chunk, (f) => seen.push(Buffer.from(f)))).toBeUndefined();
      chunk.fill(0xee);
      for (const e of owned.push(Buffer.from(stream.subarray(at, at + step)))) if (e.kind === 'frame') kept.push(e.frame);
    }
    expect(seen).toEqual(frames.map((f) => f.subarray(4)));
    expect(kept).toEqual(frames.map((f) => f.subarray(4)));
    expect(transient.bufferedBytes).toBe(0);
  }
});

test('bufferedBytes counts a partial size prefix and a partial frame', () => {
  const splitter = new FrameSplitter(1 << 20);
  const f = frame(0, 100, 7);
  splitter.pushTransient(f.subarray(0, 2), () => undefined);
  expect(splitter.bufferedBytes).toBe(2);
  splitter.pushTransient(f.subarray(2, 30), () => undefined);
  expect(splitter.bufferedBytes).toBe(30);
  let got: Buffer | undefined;
  splitter.pushTransient(f.subarray(30), (bytes) => { got = Buffer.from(bytes); });
  expect(got).toEqual(f.subarray(4));
  expect(splitter.bufferedBytes).toBe(0);
});

test('spanning frames reuse one scratch buffer in transient mode, and push() never hands out reused memory', () => {
  const splitter = new FrameSplitter(1 << 20);
  const a = frame(0, 100, 7);
  const b = frame(3, 100, 9);
  const held: Buffer[] = [];
  for (const f of [a, b]) {
    splitter.pushTransient(f.subarray(0, 50), () => undefined);
    splitter.pushTransient(f.subarray(50), (bytes) => held.push(bytes));
  }
  expect(held[0]!.buffer).toBe(held[1]!.buffer);
  const plain = new FrameSplitter(1 << 20);
  const out = [...plain.push(a.subarray(0, 50)), ...plain.push(a.subarray(50)), ...plain.push(b.subarray(0, 50)), ...plain.push(b.subarray(50))];
  // Checked after both were pushed: the first frame was not overwritten by the second.
  expect(out).toEqual([{ kind: 'frame', frame: a.subarray(4) }, { kind: 'frame', frame: b.subarray(4) }]);
});

test('a size out of range is reported and nothing after it is parsed', () => {
  const splitter = new FrameSplitter(1000);
  const huge = Buffer.alloc(8);
  huge.writeInt32BE(5000);
  let frames = 0;
  expect(splitter.pushTransient(huge, () => { frames++; })).toBe(5000);
  const negative = Buffer.alloc(4);
  negative.writeInt32BE(-1);
  expect(new FrameSplitter(1000).pushTransient(negative, () => { frames++; })).toBe(-1);
  expect(frames).toBe(0);
});

test('memory for a spanning frame grows with the bytes received, not to the announced size (issue 15 defect 2)', () => {
  for (const transient of [false, true]) {
    const splitter = new FrameSplitter(128 * 1024 * 1024);
    const header = Buffer.alloc(4 + 1024, 7);
    header.writeInt32BE(96 * 1024 * 1024);
    if (transient) splitter.pushTransient(header, () => undefined);
    else splitter.push(header);
    expect(splitter.pendingFrameSize).toBe(96 * 1024 * 1024);
    expect(splitter.bufferedBytes).toBe(4 + 1024);
    expect(splitter.assemblyBytes).toBeGreaterThanOrEqual(1024);
    expect(splitter.assemblyBytes).toBeLessThan(4 * 1024 * 1024);
    splitter.release();
    expect(splitter.pendingFrameSize).toBe(0);
  }
});

test('a frame assembled over many growing reads is byte-exact', () => {
  const whole = Buffer.alloc(4 + 3 * 1024 * 1024 + 17);
  whole.writeInt32BE(whole.length - 4);
  for (let i = 4; i < whole.length; i++) whole[i] = (i * 31) & 0xff;
  for (const transient of [false, true]) {
    const splitter = new FrameSplitter(16 * 1024 * 1024);
    const got: Buffer[] = [];
    for (let at = 0; at < whole.length; at += 50_000) {
      const piece = whole.subarray(at, Math.min(whole.length, at + 50_000));
      if (transient) splitter.pushTransient(piece, (f) => got.push(Buffer.from(f)));
      else for (const e of splitter.push(piece)) if (e.kind === 'frame') got.push(e.frame);
    }
    expect(got).toHaveLength(1);
    expect(got[0]!.equals(whole.subarray(4))).toBe(true);
  }
});

test('spanning frames of several sizes, each split over several reads and several in one read, come out whole', () => {
  // Sizes around the points where memory is chosen: tiny, a 64 KiB read, a producer's 1 MiB
  // request, just below and above the 8 MiB retained scratch.
  const sizes = [10, 65_536, 65_537, 300_000, 1024 * 1024, 8 * 1024 * 1024 - 1, 8 * 1024 * 1024 + 5, 2_000];
  const frames = sizes.map((size, n) => {
    const f = Buffer.allocUnsafe(4 + size);
    f.writeInt32BE(size, 0);
    for (let i = 4; i < f.length; i += 997) f[i] = (i + n * 13) & 0xff;
    f.writeInt16BE(n % 2 === 0 ? 0 : 3, 4);
    return f;
  });
  const stream = Buffer.concat(frames);
  for (const step of [65_536, 100_003, 3 * 1024 * 1024]) {
    for (const transient of [true, false]) {
      const splitter = new FrameSplitter(16 * 1024 * 1024);
      const got: Buffer[] = [];
      const read = Buffer.allocUnsafe(step);
      for (let at = 0; at < stream.length; at += step) {
        const n = stream.copy(read, 0, at, Math.min(stream.length, at + step));
        const chunk = read.subarray(0, n);
        if (transient) expect(splitter.pushTransient(chunk, (f) => got.push(Buffer.from(f)))).toBeUndefined();
        else for (const e of splitter.push(Buffer.from(chunk))) if (e.kind === 'frame') got.push(e.frame);
        // The read buffer is reused, as the socket's is.
        read.fill(0xee);
      }
      expect(got.map((f) => f.length)).toEqual(sizes);
      for (let i = 0; i < sizes.length; i++) expect(got[i]!.equals(frames[i]!.subarray(4))).toBe(true);
      expect(splitter.bufferedBytes).toBe(0);
    }
  }
});

test('a spanning frame up to 8 MiB gets one buffer of its announced size, reused for the next one in transient mode', () => {
  const splitter = new FrameSplitter(16 * 1024 * 1024);
  const seen: Buffer[] = [];
  const one = frame(0, 1024 * 1024, 1);
  const two = frame(0, 512 * 1024, 2);
  // The second frame starts in the same read that ends the first.
  const stream = Buffer.concat([one, two]);
  const cut = [0, 70_000, 140_000, one.length + 1000, stream.length];
  for (let i = 0; i + 1 < cut.length; i++) {
    splitter.pushTransient(stream.subarray(cut[i], cut[i + 1]), (f) => {
      // The frame is its buffer whole (sized at the header), not a view of a larger grown one.
      if (seen.length === 0) expect(f.buffer.byteLength).toBe(1024 * 1024);
      seen.push(f);
      expect(f.equals((seen.length === 1 ? one : two).subarray(4))).toBe(true);
    });
  }
  expect(seen).toHaveLength(2);
  expect(seen[1]!.buffer).toBe(seen[0]!.buffer);
  // Owned frames: one allocation of exactly the announced size each.
  const owned = new FrameSplitter(16 * 1024 * 1024);
  const out = [...owned.push(one.subarray(0, 70_000)), ...owned.push(one.subarray(70_000, 600_000)), ...owned.push(one.subarray(600_000))];
  expect(out).toHaveLength(1);
  const f = (out[0] as { kind: 'frame'; frame: Buffer }).frame;
  expect(f.byteOffset).toBe(0);
  expect(f.buffer.byteLength).toBe(1024 * 1024);
  expect(f.equals(one.subarray(4))).toBe(true);
});

test('a large spanning frame moves into one buffer of its announced size once its reservation is held, not before', () => {
  const size = 24 * 1024 * 1024;
  const whole = Buffer.alloc(4 + size);
  whole.writeInt32BE(size);
  for (let i = 4; i < whole.length; i += 4093) whole[i] = i & 0xff;
  for (const transient of [true, false]) {
    const splitter = new FrameSplitter(64 * 1024 * 1024);
    const got: Buffer[] = [];
    const push = (piece: Buffer) => {
      if (transient) splitter.pushTransient(piece, (f) => got.push(Buffer.from(f)));
      else for (const e of splitter.push(piece)) if (e.kind === 'frame') got.push(e.frame);
    };
    push(whole.subarray(0, 100_000));
    push(whole.subarray(100_000, 200_000));
    // Without a reservation the memory follows the bytes (issue 15 defect 2).
    expect(splitter.assemblyBytes).toBeGreaterThanOrEqual(200_000 - 4);
    expect(splitter.assemblyBytes).toBeLessThan(4 * 1024 * 1024);
    splitter.wholeFrameReserved();
    push(whole.subarray(200_000, 201_000));
    // Reserved: the frame's own buffer, whole, holding what had arrived.
    expect(splitter.assemblyBytes).toBe(size);
    for (let at = 201_000; at < whole.length; at += 262_144) push(whole.subarray(at, Math.min(whole.length, at + 262_144)));
    expect(got).toHaveLength(1);
    expect(got[0]!.equals(whole.subarray(4))).toBe(true);
    splitter.release();
  }
});
