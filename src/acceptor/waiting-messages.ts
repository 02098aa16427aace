// The messages that found a shard's request ring full, in arrival order, copied back to back into
// a few large chunks instead of one copy per part of each message. A 1,000-partition produce
// request into a full ring used to queue 1,000 entries, each an object, an array and two copies
// (a header of 16 bytes on the V8 heap, the records in the malloc arena). The arena kept what those
// bursts made it grow: 56-83 MiB after w1-many, against 15-19 MiB with this queue
// (docs/notes/memory.md, "Third pass"). Here the queue holds one object per chunk.
//
//   chunk:  [u32 length][message bytes ...][u32 length][message bytes ...] ...   free →
//            ^ head (first message not yet written to the ring)             ^ tail
//
// A message larger than the chunk size gets a chunk of its own. Emptied chunks of the standard size
// are kept as spares (up to SPARE_CHUNKS) and reused, because a fresh chunk is expensive: at 1 MiB it
// is above the broker's malloc mmap threshold (256 KiB), so each one is an mmap, 256 page faults and,
// once the GC frees it, an munmap; filling fresh chunks measured ~1.2 s of CPU per GiB against 0.04 s
// for a reused one (docs/notes/memory.md, "Third pass"). The spares are dropped once the queue has
// stayed empty for SPARE_IDLE_MS, so they outlast the gaps between the episodes of one burst of
// traffic (w1-many has a hundred or more a run) but not the burst.

const LENGTH_BYTES = 4;
/** Bytes of a standard chunk: 64 frames of w1-many's 16 KiB appends. */
export const WAITING_CHUNK_BYTES = 1024 * 1024;
/** At most this many emptied chunks are kept for reuse (32 MiB). */
export const SPARE_CHUNKS = 32;
/** Spares are dropped after the queue has been empty this long. */
export const SPARE_IDLE_MS = 1000;

interface Chunk {
  bytes: Buffer;
  /** Offset of the first message not yet taken. */
  head: number;
  /** Offset after the last message copied in. */
  tail: number;
}

export class WaitingMessages {
  readonly #chunks: Chunk[] = [];
  readonly #spare: Buffer[] = [];
  readonly #spareIdleMs: number;
  /** Armed while the queue is empty and spares are kept; refreshed each time the queue empties again. */
  #dropSpares: NodeJS.Timeout | undefined;
  #count = 0;

  constructor(options: { spareIdleMs?: number } = {}) {
    this.#spareIdleMs = options.spareIdleMs ?? SPARE_IDLE_MS;
  }

  /** Messages queued. */
  get length(): number {
    return this.#count;
  }

  /** Emptied chunks kept for reuse. */
  get spareChunks(): number {
    return this.#spare.length;
  }

  /** Copies a message made of `parts` (the caller's bytes may be reused once it returns). */
  push(parts: readonly Uint8Array[]): void {
    let length = 0;
    for (const part of parts) length += part.byteLength;
    const needed = LENGTH_BYTES + length;
    let chunk = this.#chunks.at(-1);
    if (chunk === undefined || chunk.bytes.length - chunk.tail < needed) {
      chunk = { bytes: this.#allocate(needed), head: 0, tail: 0 };
      this.#chunks.push(chunk);
    }
    chunk.bytes.writeUInt32LE(length, chunk.tail);
    let at = chunk.tail + LENGTH_BYTES;
    for (const part of parts) {
      chunk.bytes.set(part, at);
      at += part.byteLength;
    }
    chunk.tail = at;
    this.#count += 1;
  }

  /** The first message, as a view into its chunk: valid until the next shift() or clear(). */
  peek(): Uint8Array | undefined {
    const chunk = this.#chunks[0];
    if (chunk === undefined) return undefined;
    const length = chunk.bytes.readUInt32LE(chunk.head);
    return chunk.bytes.subarray(chunk.head + LENGTH_BYTES, chunk.head + LENGTH_BYTES + length);
  }

  /** Drops the first message (written to the ring). */
  shift(): void {
    const chunk = this.#chunks[0];
    if (chunk === undefined) return;
    chunk.head += LENGTH_BYTES + chunk.bytes.readUInt32LE(chunk.head);
    this.#count -= 1;
    if (chunk.head === chunk.tail) {
      this.#chunks.shift();
      this.#recycle(chunk.bytes);
      if (this.#count === 0) this.#armDropSpares();
    }
  }

  clear(): void {
    for (const chunk of this.#chunks) this.#recycle(chunk.bytes);
    this.#chunks.length = 0;
    this.#count = 0;
    this.#armDropSpares();
  }

  /** Drops the spares SPARE_IDLE_MS from now unless the queue is in use then (it re-arms when it empties). */
  #armDropSpares(): void {
    if (this.#spare.length === 0) return;
    if (this.#dropSpares !== undefined) {
      this.#dropSpares.refresh();
      return;
    }
    this.#dropSpares = setTimeout(() => {
      this.#dropSpares = undefined;
      if (this.#count === 0) this.#spare.length = 0;
    }, this.#spareIdleMs);
    this.#dropSpares.unref();
  }

  #allocate(needed: number): Buffer {
    if (needed > WAITING_CHUNK_BYTES) return Buffer.allocUnsafeSlow(needed);
    return this.#spare.pop() ?? Buffer.allocUnsafeSlow(WAITING_CHUNK_BYTES);
  }

  #recycle(bytes: Buffer): void {
    if (bytes.length === WAITING_CHUNK_BYTES && this.#spare.length < SPARE_CHUNKS) this.#spare.push(bytes);
  }
}
