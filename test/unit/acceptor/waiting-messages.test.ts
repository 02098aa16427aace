// WaitingMessages, the queue behind a full request ring: messages come out whole and in order,
// copied (the caller's bytes may be reused), across chunk boundaries and for messages larger than a chunk.
import { describe, expect, it } from 'vitest';
import { SPARE_CHUNKS, WAITING_CHUNK_BYTES, WaitingMessages } from '../../../src/acceptor/waiting-messages.ts';

function bytes(length: number, seed: number): Uint8Array {
  const b = new Uint8Array(length);
  for (let i = 0; i < length; i++) b[i] = (i * 31 + seed) & 0xff;
  return b;
}

describe('WaitingMessages', () => {
  it('gives back every message whole and in order, across chunks, including one larger than a chunk', () => {
    const q = new WaitingMessages();
    const sizes = [16 + 16_384, 7, 0, WAITING_CHUNK_BYTES + 5, ...Array.from({ length: 200 }, (_, i) => 10_000 + i)];
    const sent = sizes.map((size, i) => [bytes(16, i), bytes(size, i + 1)] as const);
    for (const parts of sent) q.push(parts as unknown as Uint8Array[]);
    expect(q.length).toBe(sent.length);
    for (const [header, records] of sent) {
      const m = q.peek()!;
      expect(m.byteLength).toBe(header.byteLength + records.byteLength);
      expect(Buffer.from(m.subarray(0, 16)).equals(header)).toBe(true);
      expect(Buffer.from(m.subarray(16)).equals(records)).toBe(true);
      q.shift();
    }
    expect(q.length).toBe(0);
    expect(q.peek()).toBeUndefined();
  });

  it('copies: reusing the caller\'s buffer after push changes nothing queued', () => {
    const q = new WaitingMessages();
    const reused = bytes(100, 3);
    q.push([reused]);
    reused.fill(0);
    expect(Buffer.from(q.peek()!).equals(bytes(100, 3))).toBe(true);
  });

  it('interleaves pushes and shifts, and clear() empties it for reuse', () => {
    const q = new WaitingMessages();
    let next = 0;
    let expected = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 30; i++) q.push([bytes(40_000, next++)]);
      for (let i = 0; i < 20; i++) {
        expect(Buffer.from(q.peek()!).equals(bytes(40_000, expected++))).toBe(true);
        q.shift();
      }
    }
    expect(q.length).toBe(next - expected);
    q.clear();
    expect(q.length).toBe(0);
    q.push([bytes(5, 9)]);
    expect(Buffer.from(q.peek()!).equals(bytes(5, 9))).toBe(true);
  });

  it('reuses emptied chunks (at most SPARE_CHUNKS), and drops them once it has stayed empty for the idle time', async () => {
    const q = new WaitingMessages({ spareIdleMs: 50 });
    const perChunk = Math.floor(WAITING_CHUNK_BYTES / (4 + 100_000));
    for (let i = 0; i < perChunk * (SPARE_CHUNKS + 3); i++) q.push([bytes(100_000, i)]);
    while (q.length > 0) q.shift();
    expect(q.spareChunks).toBe(SPARE_CHUNKS);
    // A new episode within the idle time takes its chunks from the spares.
    for (let i = 0; i < perChunk * 2; i++) q.push([bytes(100_000, i)]);
    expect(q.spareChunks).toBe(SPARE_CHUNKS - 2);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(q.spareChunks).toBe(SPARE_CHUNKS - 2);
    while (q.length > 0) q.shift();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(q.spareChunks).toBe(SPARE_CHUNKS);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect(q.spareChunks).toBe(0);
  });
});
