// Kafka framing: a 4-byte big-endian size, then that many bytes. Splits a socket's byte stream
// into whole frames, copying only when a frame spans several chunks.

export type FrameEvent = { kind: 'frame'; frame: Buffer } | { kind: 'bad-size'; size: number };

export class FrameSplitter {
  #chunks: Buffer[] = [];
  #buffered = 0;
  readonly maxFrameBytes: number;

  constructor(maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes;
  }

  get bufferedBytes(): number {
    return this.#buffered;
  }

  /**
   * Adds a chunk and returns every frame now complete. A size below 0 or above the maximum is
   * reported once, and the caller closes the connection: nothing after it can be trusted.
   */
  push(chunk: Buffer): FrameEvent[] {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    const events: FrameEvent[] = [];
    while (this.#buffered >= 4) {
      const size = this.#peekInt32();
      if (size < 0 || size > this.maxFrameBytes) {
        events.push({ kind: 'bad-size', size });
        this.#chunks = [];
        this.#buffered = 0;
        return events;
      }
      if (this.#buffered < 4 + size) break;
      this.#consume(4);
      events.push({ kind: 'frame', frame: this.#consume(size) });
    }
    return events;
  }

  #peekInt32(): number {
    const first = this.#chunks[0]!;
    if (first.length >= 4) return first.readInt32BE(0);
    const head = Buffer.alloc(4);
    let filled = 0;
    for (const chunk of this.#chunks) {
      const n = Math.min(4 - filled, chunk.length);
      chunk.copy(head, filled, 0, n);
      filled += n;
      if (filled === 4) break;
    }
    return head.readInt32BE(0);
  }

  /** Removes n bytes from the front; a view when they sit in one chunk, else one copy. */
  #consume(n: number): Buffer {
    this.#buffered -= n;
    const first = this.#chunks[0];
    if (n === 0) return Buffer.alloc(0);
    if (first !== undefined && first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      return out;
    }
    const out = Buffer.allocUnsafe(n);
    let filled = 0;
    while (filled < n) {
      const chunk = this.#chunks[0]!;
      const take = Math.min(n - filled, chunk.length);
      chunk.copy(out, filled, 0, take);
      filled += take;
      if (take === chunk.length) this.#chunks.shift();
      else this.#chunks[0] = chunk.subarray(take);
    }
    return out;
  }
}
