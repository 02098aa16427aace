// Kafka framing: a 4-byte big-endian size, then that many bytes. Splits a socket's byte stream
// into whole frames, copying only when a frame spans several chunks.

export type FrameEvent = { kind: 'frame'; frame: Buffer } | { kind: 'bad-size'; size: number };

/** Api key of Produce: its frames may be assembled in reused memory (see pushEach). */
const PRODUCE_API_KEY = 0;

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

  /** Reused to assemble Produce frames that span socket chunks; grows to the largest seen. */
  #scratch: Buffer = Buffer.alloc(0);

  /**
   * Like push, but hands each frame to `onFrame` as soon as it is complete. A Produce frame that
   * spans socket chunks is assembled in memory this splitter reuses for the next such frame, and
   * comes with `transient = true`: the callback must be done with its bytes when it returns. The
   * produce path is (every append is copied into a shard ring before the handler's first await),
   * and it saves one allocation and one GC'd copy per produce request (docs/notes/bench.md). Returns
   * the bad size when the stream cannot be trusted any more, else undefined.
   */
  pushEach(chunk: Buffer, onFrame: (frame: Buffer, transient: boolean) => void): number | undefined {
    return this.#split(chunk, true, onFrame);
  }

  /**
   * Adds a chunk and returns every frame now complete. A size below 0 or above the maximum is
   * reported once, and the caller closes the connection: nothing after it can be trusted.
   */
  push(chunk: Buffer): FrameEvent[] {
    const events: FrameEvent[] = [];
    const badSize = this.#split(chunk, false, (frame) => events.push({ kind: 'frame', frame }));
    if (badSize !== undefined) events.push({ kind: 'bad-size', size: badSize });
    return events;
  }

  /** The one framing loop; `reuse` allows Produce frames that span chunks to use the scratch buffer. */
  #split(chunk: Buffer, reuse: boolean, onFrame: (frame: Buffer, transient: boolean) => void): number | undefined {
    this.#chunks.push(chunk);
    this.#buffered += chunk.length;
    while (this.#buffered >= 4) {
      const size = this.#peekInt32();
      if (size < 0 || size > this.maxFrameBytes) {
        this.#chunks = [];
        this.#buffered = 0;
        return size;
      }
      if (this.#buffered < 4 + size) break;
      this.#consume(4);
      const first = this.#chunks[0]!;
      // The api key is the frame's first two bytes; when they are not both in the first chunk the
      // frame is simply copied.
      if (reuse && first.length < size && first.length >= 2 && first.readInt16BE(0) === PRODUCE_API_KEY) {
        if (this.#scratch.length < size) this.#scratch = Buffer.allocUnsafeSlow(Math.max(size, 2 * this.#scratch.length));
        onFrame(this.#consume(size, this.#scratch), true);
      } else {
        onFrame(this.#consume(size), false);
      }
    }
    return undefined;
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

  /** Removes n bytes from the front; a view when they sit in one chunk, else one copy (into `into` when given). */
  #consume(n: number, into?: Buffer): Buffer {
    this.#buffered -= n;
    const first = this.#chunks[0];
    if (n === 0) return Buffer.alloc(0);
    if (first !== undefined && first.length >= n) {
      const out = first.subarray(0, n);
      if (first.length === n) this.#chunks.shift();
      else this.#chunks[0] = first.subarray(n);
      return out;
    }
    const out = into ? into.subarray(0, n) : Buffer.allocUnsafe(n);
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
