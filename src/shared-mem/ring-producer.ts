// The writing end of a byte ring (layout in ring-layout.ts): copies messages in, publishes them in
// batches, rings the data doorbell once per sleep, and waits for space without blocking the main thread.
// Atomics.waitAsync is in es2024; the project tsconfig's lib stops at es2023.
/// <reference lib="es2024.sharedmemory" />
import {
  CAPACITY, CONSUMER_SLEEPING, PRODUCER_WAITING, READ_INDEX, RING_FRAME_HEADER_BYTES, RING_HEADER_BYTES, RingView, WRITE_INDEX, frameBytes,
} from './ring-layout.ts';

/**
 * The writing end. Exactly one thread writes a given ring; it never blocks in tryWrite.
 * Payloads are copied into the ring, so the caller may reuse its buffers as soon as it returns.
 */
export class RingProducer extends RingView {
  // Only this end stores writeIndex, so a private copy is always exact.
  #writeIndex: number;
  // A possibly stale readIndex: the true one only grows, so free space computed from this one
  // is an underestimate and safe. Reloaded only when it looks too small.
  #readIndexSeen: number;
  /** Called after the ring grew (the acceptor logs it); the grow itself needs no caller's help. */
  onGrow: ((fromBytes: number, toBytes: number) => void) | undefined;

  constructor(buffer: SharedArrayBuffer) {
    super(buffer);
    this.#writeIndex = Atomics.load(this.header, WRITE_INDEX) >>> 0;
    this.#readIndexSeen = Atomics.load(this.header, READ_INDEX) >>> 0;
  }

  /** Bytes a frame can take right now; a message needs frame header and padding on top. */
  freeBytes(): number {
    this.#readIndexSeen = Atomics.load(this.header, READ_INDEX) >>> 0;
    return this.capacity - ((this.#writeIndex - this.#readIndexSeen) >>> 0);
  }

  /** Whether a message of `payloadBytes` would be taken right now. */
  fits(payloadBytes: number): boolean {
    return this.#hasRoom(frameBytes(payloadBytes));
  }

  /**
   * Appends one message; false when the ring is too full, and the caller applies backpressure
   * (e.g. pauses the socket, then waitForSpaceAsync). A message larger than the current capacity
   * grows the ring once it is empty (ring-layout.ts); false until then. Throws if the message
   * could never fit, not even in a ring grown to its maximum capacity.
   */
  tryWrite(message: Uint8Array): boolean {
    const length = message.byteLength;
    if (!this.#reserve(length)) return false;
    this.#copyIn((this.#writeIndex + RING_FRAME_HEADER_BYTES) >>> 0, message);
    this.#publish(length);
    return true;
  }

  /** Appends one message made of `parts` laid end to end, without concatenating them first. */
  tryWriteParts(parts: readonly Uint8Array[]): boolean {
    let length = 0;
    for (const part of parts) length += part.byteLength;
    if (!this.#reserve(length)) return false;
    let at = (this.#writeIndex + RING_FRAME_HEADER_BYTES) >>> 0;
    for (const part of parts) {
      this.#copyIn(at, part);
      at = (at + part.byteLength) >>> 0;
    }
    this.#publish(length);
    return true;
  }

  /**
   * Appends messages[start], messages[start + 1], ... while they fit, and publishes them with one
   * store and at most one doorbell: the cross-core traffic of a hand-off is paid per batch, not per
   * message. Returns how many were written; the caller keeps the rest for after waitForSpace.
   */
  tryWriteBatch(messages: readonly Uint8Array[], start: number = 0): number {
    let writeIndex = this.#writeIndex;
    let written = 0;
    try {
      for (let i = start; i < messages.length; i++) {
        const message = messages[i]!;
        const frame = this.#checkedFrameBytes(message.byteLength);
        if (!this.#hasRoom(frame, writeIndex)) break;
        this.dataWords[(writeIndex & this.mask) >>> 2] = message.byteLength;
        this.#copyIn((writeIndex + RING_FRAME_HEADER_BYTES) >>> 0, message);
        writeIndex = (writeIndex + frame) >>> 0;
        written++;
      }
    } finally {
      // Publish what was written even if a later message was too big to ever fit.
      if (written > 0) this.#publishUpTo(writeIndex);
    }
    return written;
  }

  /**
   * Resolves true once a message of `payloadBytes` fits, false after `timeoutMs`. Never blocks
   * the thread: for the main thread, which pauses its sockets meanwhile.
   */
  async waitForSpaceAsync(payloadBytes: number, timeoutMs: number): Promise<boolean> {
    const needed = this.#checkedFrameBytes(payloadBytes);
    const deadline = performance.now() + timeoutMs;
    while (true) {
      if (this.#announceWaitingUnlessRoom(needed)) return true;
      const left = deadline - performance.now();
      if (left <= 0) return this.#stopWaiting(needed);
      const result = Atomics.waitAsync(this.header, PRODUCER_WAITING, 1, left);
      if (result.async) await result.value;
    }
  }

  /**
   * Blocking variant of waitForSpaceAsync, for a shard worker only: Atomics.wait would freeze
   * the main thread (DESIGN.md §1).
   */
  waitForSpace(payloadBytes: number, timeoutMs: number): boolean {
    const needed = this.#checkedFrameBytes(payloadBytes);
    const deadline = performance.now() + timeoutMs;
    while (true) {
      if (this.#announceWaitingUnlessRoom(needed)) return true;
      const left = deadline - performance.now();
      if (left <= 0) return this.#stopWaiting(needed);
      Atomics.wait(this.header, PRODUCER_WAITING, 1, left);
    }
  }

  /*
   * The space doorbell, mirror image of the data doorbell (see RingConsumer): raise the flag,
   * THEN look at readIndex. The consumer stores readIndex, THEN looks at the flag. With
   * sequentially consistent atomics one of the two sees the other's store, so either we see
   * the space or the consumer sees the flag, clears it and notifies; and because we wait on the
   * flag still being 1, a clear that lands before we sleep makes the wait return at once.
   */
  #announceWaitingUnlessRoom(needed: number): boolean {
    if (this.#hasRoom(needed)) return true;
    Atomics.store(this.header, PRODUCER_WAITING, 1);
    if (this.#hasRoom(needed)) {
      Atomics.store(this.header, PRODUCER_WAITING, 0);
      return true;
    }
    return false;
  }

  #stopWaiting(needed: number): boolean {
    Atomics.store(this.header, PRODUCER_WAITING, 0);
    return this.#hasRoom(needed);
  }

  /** Whether the frame of a `payloadBytes` message is larger than the ring is now, though not than it may grow to. */
  needsGrowth(payloadBytes: number): boolean {
    const needed = frameBytes(payloadBytes);
    return needed > this.capacity && needed <= this.maxCapacity;
  }

  #checkedFrameBytes(payloadBytes: number): number {
    const needed = frameBytes(payloadBytes);
    if (needed > this.maxCapacity) {
      throw new RangeError(`message of ${payloadBytes} bytes can never fit a ring of ${this.maxCapacity} bytes (max ${this.maxMessageBytes})`);
    }
    return needed;
  }

  #hasRoom(needed: number, writeIndex: number = this.#writeIndex): boolean {
    if (this.capacity - ((writeIndex - this.#readIndexSeen) >>> 0) >= needed) return true;
    this.#readIndexSeen = Atomics.load(this.header, READ_INDEX) >>> 0;
    if (this.capacity - ((writeIndex - this.#readIndexSeen) >>> 0) >= needed) return true;
    return needed > this.capacity && this.#growWhenEmpty(needed, writeIndex);
  }

  /*
   * The grow (ring-layout.ts): only for a frame the current capacity cannot hold, only while the
   * ring is empty (`writeIndex` is this end's, published or not: a batch that has written frames
   * is not empty). Doubles until the frame fits; the caller checked it fits the maximum. The new
   * capacity word is stored before any frame that needs it is published.
   */
  #growWhenEmpty(needed: number, writeIndex: number): boolean {
    if (needed > this.maxCapacity || writeIndex !== this.#readIndexSeen) return false;
    const from = this.capacity;
    let to = from;
    while (to < needed) to *= 2;
    this.buffer.grow(RING_HEADER_BYTES + to);
    Atomics.store(this.header, CAPACITY, to);
    this.refreshCapacity();
    this.onGrow?.(from, to);
    return true;
  }

  #reserve(payloadBytes: number): boolean {
    if (!this.#hasRoom(this.#checkedFrameBytes(payloadBytes))) return false;
    // Plain store: it becomes visible to the consumer with the payload, at #publish.
    this.dataWords[(this.#writeIndex & this.mask) >>> 2] = payloadBytes;
    return true;
  }

  #copyIn(index: number, bytes: Uint8Array): void {
    const at = index & this.mask;
    const untilEnd = this.capacity - at;
    if (bytes.byteLength <= untilEnd) {
      this.data.set(bytes, at);
    } else {
      this.data.set(bytes.subarray(0, untilEnd), at);
      this.data.set(bytes.subarray(untilEnd), 0);
    }
  }

  #publish(payloadBytes: number): void {
    this.#publishUpTo((this.#writeIndex + frameBytes(payloadBytes)) >>> 0);
  }

  /*
   * The data doorbell, producer half. Store writeIndex (the release that makes the frame's plain
   * stores visible to a consumer that loads it), THEN look at consumerSleeping. The consumer
   * raises consumerSleeping, THEN looks at writeIndex: under sequential consistency at least
   * one of us sees the other's store, so a frame is never left unseen by a sleeping consumer.
   * Only a flag we flip from 1 to 0 earns a notify: one wake-up per sleep, not per message.
   */
  #publishUpTo(writeIndex: number): void {
    this.#writeIndex = writeIndex;
    Atomics.store(this.header, WRITE_INDEX, writeIndex | 0);
    if (Atomics.load(this.header, CONSUMER_SLEEPING) !== 0 && Atomics.exchange(this.header, CONSUMER_SLEEPING, 0) === 1) {
      Atomics.notify(this.header, CONSUMER_SLEEPING, 1);
    }
  }
}

