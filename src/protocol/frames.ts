// Kafka framing: a 4-byte big-endian size, then that many bytes. Splits a socket's byte stream
// into whole frames. A frame that lies inside one chunk is handed out as a view of it; only a
// frame that spans chunks is copied, once, as its bytes arrive.

export type FrameEvent = { kind: 'frame'; frame: Buffer } | { kind: 'bad-size'; size: number };

/** Spanning frames up to this size are assembled in one reused buffer (transient mode). */
const MAX_RETAINED_SCRATCH = 8 * 1024 * 1024;

export class FrameSplitter {
  /** Largest frame accepted; a connection lowers it while a SASL client is not yet authenticated. */
  maxFrameBytes: number;
  /** Size-prefix bytes gathered while the prefix itself spans chunks. */
  readonly #head = Buffer.alloc(4);
  #headFilled = 0;
  /** The frame being assembled from several chunks, and how much of it has arrived. */
  #frame: Buffer | null = null;
  #frameFilled = 0;
  /** Reused to assemble spanning frames in transient mode; grows to the largest seen (capped). */
  #scratch: Buffer = Buffer.alloc(0);

  constructor(maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Bytes received that do not yet make a whole frame. */
  get bufferedBytes(): number {
    return this.#headFilled + (this.#frame === null ? 0 : 4 + this.#frameFilled);
  }

  /**
   * For chunks in memory the caller reuses (a socket read into one buffer): hands each frame to
   * `onFrame` as soon as it is complete, as a view of the chunk or of memory this splitter reuses
   * for the next spanning frame. Either way the callback must be done with the frame's bytes when
   * it returns, or copy them. Nothing of the chunk is referenced after this call returns. Returns
   * the bad size when the stream cannot be trusted any more, else undefined.
   */
  pushTransient(chunk: Buffer, onFrame: (frame: Buffer) => void): number | undefined {
    return this.#split(chunk, true, onFrame);
  }

  /**
   * For chunks the caller gives away: returns every frame now complete, each one the caller's to
   * keep. A size below 0 or above the maximum is reported once, and the caller closes the
   * connection: nothing after it can be trusted.
   */
  push(chunk: Buffer): FrameEvent[] {
    const events: FrameEvent[] = [];
    const badSize = this.#split(chunk, false, (frame) => events.push({ kind: 'frame', frame }));
    if (badSize !== undefined) events.push({ kind: 'bad-size', size: badSize });
    return events;
  }

  /** The one framing loop; `transient` assembles spanning frames in the reused scratch buffer. */
  #split(chunk: Buffer, transient: boolean, onFrame: (frame: Buffer) => void): number | undefined {
    let at = 0;
    while (at < chunk.length) {
      const frame = this.#frame;
      if (frame !== null) {
        const take = Math.min(frame.length - this.#frameFilled, chunk.length - at);
        chunk.copy(frame, this.#frameFilled, at, at + take);
        this.#frameFilled += take;
        at += take;
        if (this.#frameFilled < frame.length) return undefined;
        this.#frame = null;
        onFrame(frame);
        continue;
      }
      let size: number;
      if (this.#headFilled === 0 && chunk.length - at >= 4) {
        size = chunk.readInt32BE(at);
        at += 4;
      } else {
        const take = Math.min(4 - this.#headFilled, chunk.length - at);
        chunk.copy(this.#head, this.#headFilled, at, at + take);
        this.#headFilled += take;
        at += take;
        if (this.#headFilled < 4) return undefined;
        this.#headFilled = 0;
        size = this.#head.readInt32BE(0);
      }
      if (size < 0 || size > this.maxFrameBytes) {
        this.#frame = null;
        this.#headFilled = 0;
        return size;
      }
      if (chunk.length - at >= size) {
        onFrame(chunk.subarray(at, at + size));
        at += size;
        continue;
      }
      this.#frame = transient ? this.#scratchOf(size) : Buffer.allocUnsafe(size);
      this.#frameFilled = 0;
    }
    return undefined;
  }

  #scratchOf(size: number): Buffer {
    if (size > MAX_RETAINED_SCRATCH) return Buffer.allocUnsafeSlow(size);
    if (this.#scratch.length < size) this.#scratch = Buffer.allocUnsafeSlow(Math.min(MAX_RETAINED_SCRATCH, Math.max(size, 2 * this.#scratch.length)));
    return this.#scratch.subarray(0, size);
  }
}
