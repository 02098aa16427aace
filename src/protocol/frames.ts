// Kafka framing: a 4-byte big-endian size, then that many bytes. Splits a socket's byte stream
// into whole frames. A frame that lies inside one chunk is handed out as a view of it; only a
// frame that spans chunks is copied, once, as its bytes arrive. A spanning frame up to
// MAX_RETAINED_SCRATCH (8 MiB, far above a producer's 1 MiB max.request.size) gets one buffer of
// its announced size when its first bytes arrive, so it is never grown and copied again: in
// transient mode that buffer is the connection's reused scratch, grown at most once per larger
// frame. A larger frame's memory grows with the bytes received (doubling from 64 KiB), never to
// the announced size up front (issue 15 defect 2), until the connection holds the frame's
// reservation in the request-memory budget (connection.ts, wholeFrameReserved()): then it moves,
// once, into one buffer of the announced size. So the memory of large frames stays within the
// budget's bound, and a peer that announces a frame and stalls without a reservation holds little
// more than what it sent (at most 8 MiB of address space for a small frame; pages not yet written
// are not resident).
/**
 * Gives a buffer's memory back at once instead of at the next GC (which may not come for a long
 * time once traffic stops): detaching the ArrayBuffer releases its backing store. Only for
 * buffers this splitter allocated whole and no longer hands out.
 */
function freeNow(buffer: Buffer): void {
  const backing = buffer.buffer as ArrayBuffer & { transfer?: (length: number) => ArrayBuffer };
  if (buffer.byteOffset === 0 && buffer.length === backing.byteLength && buffer.length > 0 && typeof backing.transfer === 'function') backing.transfer(0);
}

export type FrameEvent = { kind: 'frame'; frame: Buffer } | { kind: 'bad-size'; size: number };

/** Spanning frames up to this size are assembled in one reused buffer (transient mode). */
const MAX_RETAINED_SCRATCH = 8 * 1024 * 1024;

/** First allocation for a spanning frame larger than MAX_RETAINED_SCRATCH; then it doubles. */
const FIRST_LARGE_FRAME_ALLOCATION = 64 * 1024;

export class FrameSplitter {
  /** Largest frame accepted; a connection lowers it while a SASL client is not yet authenticated. */
  maxFrameBytes: number;
  /** Size-prefix bytes gathered while the prefix itself spans chunks. */
  readonly #head = Buffer.alloc(4);
  #headFilled = 0;
  /**
   * The frame being assembled from several chunks: its announced size (0 when none is), the memory
   * holding what has arrived (as long as that, or longer), and how much has arrived.
   */
  #frameSize = 0;
  #frame: Buffer | null = null;
  #frameFilled = 0;
  /** The connection holds the partial frame's announced size in its budget: allocate it whole. */
  #wholeReserved = false;
  /** Reused to assemble spanning frames in transient mode; grows to the largest seen (capped). */
  #scratch: Buffer = Buffer.alloc(0);

  constructor(maxFrameBytes: number) {
    this.maxFrameBytes = maxFrameBytes;
  }

  /** Bytes received that do not yet make a whole frame. */
  get bufferedBytes(): number {
    return this.#headFilled + (this.#frameSize === 0 ? 0 : 4 + this.#frameFilled);
  }

  /** The memory now holding the frame being assembled across chunks (0 when there is none or none has arrived). */
  get assemblyBytes(): number {
    return this.#frameSize === 0 || this.#frame === null ? 0 : this.#frame.length;
  }

  /** The announced size of the frame being assembled across chunks, or 0 when there is none. */
  get pendingFrameSize(): number {
    return this.#frameSize;
  }

  /**
   * The caller has reserved the partial frame's announced size (the request-memory budget): the
   * rest of it is assembled in one buffer of that size instead of a doubling one.
   */
  wholeFrameReserved(): void {
    if (this.#frameSize > 0) this.#wholeReserved = true;
  }

  /** Drops the partial frame and the reused memory (the stream is abandoned: its connection closed). */
  release(): void {
    if (this.#frame !== null && this.#frame !== this.#scratch) freeNow(this.#frame);
    freeNow(this.#scratch);
    this.#frame = null;
    this.#frameSize = 0;
    this.#frameFilled = 0;
    this.#wholeReserved = false;
    this.#headFilled = 0;
    this.#scratch = Buffer.alloc(0);
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
      if (this.#frameSize > 0) {
        const take = Math.min(this.#frameSize - this.#frameFilled, chunk.length - at);
        const frame = this.#room(this.#frameFilled + take, transient);
        chunk.copy(frame, this.#frameFilled, at, at + take);
        this.#frameFilled += take;
        at += take;
        if (this.#frameFilled < this.#frameSize) return undefined;
        const whole = frame.length === this.#frameSize ? frame : frame.subarray(0, this.#frameSize);
        this.#frame = null;
        this.#frameSize = 0;
        this.#wholeReserved = false;
        onFrame(whole);
        // A transient frame too large for the scratch is garbage once the callback returns (the
        // contract above): its memory goes back now, not at some later GC.
        if (transient && frame !== this.#scratch) freeNow(frame);
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
        this.#frameSize = 0;
        this.#headFilled = 0;
        return size;
      }
      if (chunk.length - at >= size) {
        onFrame(chunk.subarray(at, at + size));
        at += size;
        continue;
      }
      // Only the size is known: memory comes as the bytes do (#room), so a peer that announces a
      // large frame and stalls holds little.
      this.#frameSize = size;
      this.#frame = null;
      this.#frameFilled = 0;
      this.#wholeReserved = false;
    }
    return undefined;
  }

  /**
   * Memory for the partial frame that holds at least `needed` bytes, keeping the bytes already
   * in: the retained scratch when the frame fits it (transient mode), grown to the announced size
   * at once when it is smaller; else a buffer of this frame, of the announced size when that is
   * at most MAX_RETAINED_SCRATCH or reserved whole, otherwise doubling as bytes arrive.
   */
  #room(needed: number, transient: boolean): Buffer {
    const current = this.#frame;
    if (current !== null && current.length >= needed) return current;
    const size = this.#frameSize;
    let grown: Buffer;
    if (transient && size <= MAX_RETAINED_SCRATCH) {
      if (this.#scratch.length < size) {
        // Nothing of this frame is in the old scratch yet (it gets memory before its first copy).
        freeNow(this.#scratch);
        this.#scratch = Buffer.allocUnsafeSlow(size);
      }
      grown = this.#scratch;
    } else {
      const length = size <= MAX_RETAINED_SCRATCH || this.#wholeReserved ? size : Math.min(size, Math.max(needed, FIRST_LARGE_FRAME_ALLOCATION, 2 * (current?.length ?? 0)));
      grown = Buffer.allocUnsafeSlow(length);
      if (current !== null) {
        current.copy(grown, 0, 0, this.#frameFilled);
        freeNow(current);
      }
    }
    this.#frame = grown;
    return grown;
  }
}
