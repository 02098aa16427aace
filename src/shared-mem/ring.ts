// Single-producer single-consumer ring of variable-length byte messages on one SharedArrayBuffer,
// with batched doorbells both ways: the acceptor -> shard request path and its completions.
// Atomics.waitAsync is in es2024; the project tsconfig's lib stops at es2023.
/// <reference lib="es2024.sharedmemory" />

/*
 * Layout, version 1.
 *
 *   byte 0     ┌──────────────────────────────┐
 *              │ writeIndex  (u32)            │ producer stores, consumer loads
 *   byte 64    ├──────────────────────────────┤
 *              │ readIndex   (u32)            │ consumer stores, producer loads
 *   byte 128   ├──────────────────────────────┤
 *              │ consumerSleeping (0 | 1)     │ "data" doorbell: the consumer waits on it
 *   byte 192   ├──────────────────────────────┤
 *              │ producerWaiting  (0 | 1)     │ "space" doorbell: the producer waits on it
 *   byte 256   ├──────────────────────────────┤
 *              │ data area: capacity bytes,   │
 *              │ a power of two               │
 *              └──────────────────────────────┘
 *
 * Each header word has a cache line to itself, so the producer's stores do not invalidate the
 * line the consumer stores into and the other way round.
 *
 * writeIndex and readIndex count bytes since creation and wrap at 2^32; the byte position is
 * index & (capacity - 1), and used bytes are (writeIndex - readIndex) mod 2^32. Because the
 * capacity divides 2^32, the wrap of the counters never breaks either formula.
 *
 * A frame is a 4-byte length (native byte order: both ends are threads of one process) and the
 * payload, padded to a multiple of 4:
 *
 *      ... ┌─────────┬──────────────────────┬─────┐ ┌─────────┬────── ...
 *          │ len u32 │ payload (len bytes)  │ pad │ │ len u32 │ next payload
 *      ... └─────────┴──────────────────────┴─────┘ └─────────┴────── ...
 *
 * Frames start at multiples of 4, so the length word never straddles the end of the data area;
 * the payload may. Such a payload is written in two copies (tail of the area, then the head), and
 * the consumer hands it out from a scratch copy; every other payload is handed out in place.
 * Splitting rather than skipping to the start keeps every byte usable: a message of up to
 * capacity - 4 bytes always fits in an empty ring, wherever the indexes stand.
 *
 *   data area   [ ..yload │ free ................ │ len │ pa.. ]
 *                         ^ writeIndex & mask      ^ readIndex & mask
 */
export const RING_LAYOUT_VERSION = 1;
export const RING_HEADER_BYTES = 256;
export const RING_WRITE_INDEX_BYTE_OFFSET = 0;
export const RING_READ_INDEX_BYTE_OFFSET = 64;
export const RING_CONSUMER_SLEEPING_BYTE_OFFSET = 128;
export const RING_PRODUCER_WAITING_BYTE_OFFSET = 192;
export const RING_FRAME_HEADER_BYTES = 4;
export const RING_MIN_CAPACITY = 64;
export const RING_MAX_CAPACITY = 2 ** 30;

const WRITE_INDEX = RING_WRITE_INDEX_BYTE_OFFSET / 4;
const READ_INDEX = RING_READ_INDEX_BYTE_OFFSET / 4;
const CONSUMER_SLEEPING = RING_CONSUMER_SLEEPING_BYTE_OFFSET / 4;
const PRODUCER_WAITING = RING_PRODUCER_WAITING_BYTE_OFFSET / 4;

/**
 * The SharedArrayBuffer for a ring whose data area holds `capacityBytes` (a power of two).
 * Frames cost 4 bytes of header plus padding to 4 bytes.
 */
export function createRingBuffer(capacityBytes: number): SharedArrayBuffer {
  checkCapacity(capacityBytes);
  return new SharedArrayBuffer(RING_HEADER_BYTES + capacityBytes);
}

function checkCapacity(capacityBytes: number): void {
  if (!Number.isInteger(capacityBytes) || capacityBytes < RING_MIN_CAPACITY || capacityBytes > RING_MAX_CAPACITY
    || (capacityBytes & (capacityBytes - 1)) !== 0) {
    throw new RangeError(`ring capacity must be a power of two in ${RING_MIN_CAPACITY}..${RING_MAX_CAPACITY}, got ${capacityBytes}`);
  }
}

function frameBytes(payloadBytes: number): number {
  return RING_FRAME_HEADER_BYTES + ((payloadBytes + 3) & ~3);
}

class RingView {
  readonly buffer: SharedArrayBuffer;
  /** Bytes in the data area. */
  readonly capacity: number;
  /** The largest payload a ring of this capacity can ever take. */
  readonly maxMessageBytes: number;
  protected readonly header: Int32Array;
  protected readonly data: Uint8Array;
  protected readonly dataWords: Uint32Array;
  protected readonly mask: number;

  constructor(buffer: SharedArrayBuffer) {
    const capacity = buffer.byteLength - RING_HEADER_BYTES;
    checkCapacity(capacity);
    this.buffer = buffer;
    this.capacity = capacity;
    this.maxMessageBytes = capacity - RING_FRAME_HEADER_BYTES;
    this.mask = capacity - 1;
    this.header = new Int32Array(buffer, 0, RING_HEADER_BYTES / 4);
    this.data = new Uint8Array(buffer, RING_HEADER_BYTES, capacity);
    this.dataWords = new Uint32Array(buffer, RING_HEADER_BYTES, capacity / 4);
  }

  /** Bytes taken by frames written and not yet released, headers and padding included. */
  usedBytes(): number {
    return (Atomics.load(this.header, WRITE_INDEX) - Atomics.load(this.header, READ_INDEX)) >>> 0;
  }
}

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
   * (e.g. pauses the socket, then waitForSpaceAsync). Throws if the message could never fit.
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

  #checkedFrameBytes(payloadBytes: number): number {
    const needed = frameBytes(payloadBytes);
    if (needed > this.capacity) {
      throw new RangeError(`message of ${payloadBytes} bytes can never fit a ring of ${this.capacity} bytes (max ${this.maxMessageBytes})`);
    }
    return needed;
  }

  #hasRoom(needed: number, writeIndex: number = this.#writeIndex): boolean {
    if (this.capacity - ((writeIndex - this.#readIndexSeen) >>> 0) >= needed) return true;
    this.#readIndexSeen = Atomics.load(this.header, READ_INDEX) >>> 0;
    return this.capacity - ((writeIndex - this.#readIndexSeen) >>> 0) >= needed;
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

/**
 * The reading end. Exactly one thread reads a given ring.
 *
 * Views handed to a drain callback point into the ring (or into a scratch copy, for a payload
 * that wraps the end) and are valid ONLY during that call: the space is released to the
 * producer when drain returns. Consume or copy inside the callback.
 */
export class RingConsumer extends RingView {
  // Only this end stores readIndex, so a private copy is always exact.
  #readIndex: number;
  #scratch: Uint8Array | undefined;

  constructor(buffer: SharedArrayBuffer) {
    super(buffer);
    this.#readIndex = Atomics.load(this.header, READ_INDEX) >>> 0;
  }

  hasData(): boolean {
    return (Atomics.load(this.header, WRITE_INDEX) >>> 0) !== this.#readIndex;
  }

  /**
   * Hands every message available now (at most `maxMessages`) to `onMessage`, in order, then
   * releases their space in one store and rings the space doorbell if the producer waits.
   * Returns the number of messages handed out. If `onMessage` throws, the messages before it
   * and the one it threw on count as consumed (a poison message is not handed out forever).
   * `beforeRelease` runs after the last message and before the space is released: views handed
   * out during this drain are still valid in it (the shard writes staged batches there).
   */
  drain(onMessage: (message: Uint8Array) => void, maxMessages: number = Infinity, beforeRelease?: () => void): number {
    // One load of writeIndex per drain: the acquire that makes every frame up to it readable.
    const writeIndex = Atomics.load(this.header, WRITE_INDEX) >>> 0;
    let readIndex = this.#readIndex;
    let count = 0;
    try {
      while (readIndex !== writeIndex && count < maxMessages) {
        const length = this.dataWords[(readIndex & this.mask) >>> 2]!;
        const message = this.#view((readIndex + RING_FRAME_HEADER_BYTES) >>> 0, length);
        readIndex = (readIndex + frameBytes(length)) >>> 0;
        count++;
        onMessage(message);
      }
    } finally {
      if (count > 0) {
        try {
          beforeRelease?.();
        } finally {
          this.#release(readIndex);
        }
      }
    }
    return count;
  }

  /** One message as a copy the caller owns, or null when the ring is empty. */
  read(): Uint8Array | null {
    let copy: Uint8Array | null = null;
    this.drain((message) => { copy = message.slice(); }, 1);
    return copy;
  }

  /**
   * Blocks until a message is available or `timeoutMs` passes; true if one is. For a shard
   * worker only: the main thread must use waitForDataAsync (DESIGN.md §1).
   */
  waitForData(timeoutMs: number): boolean {
    const deadline = performance.now() + timeoutMs;
    while (true) {
      if (this.#announceSleepingUnlessData()) return true;
      const left = deadline - performance.now();
      if (left <= 0) return this.#wakeUp();
      Atomics.wait(this.header, CONSUMER_SLEEPING, 1, left);
      if (this.#wakeUp()) return true;
      // Woken with nothing to read: a producer that saw our flag from an earlier sleep
      // notified late. Harmless; sleep again for the time left.
    }
  }

  /** Resolves true once a message is available, false after `timeoutMs`. Never blocks. */
  async waitForDataAsync(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (true) {
      if (this.#announceSleepingUnlessData()) return true;
      const left = deadline - performance.now();
      if (left <= 0) return this.#wakeUp();
      const result = Atomics.waitAsync(this.header, CONSUMER_SLEEPING, 1, left);
      if (result.async) await result.value;
      if (this.#wakeUp()) return true;
    }
  }

  /*
   * The data doorbell, consumer half: raise consumerSleeping, THEN look at writeIndex (see
   * RingProducer.#publish for the other half). If the producer's flip to 0 comes after our
   * look but before we are asleep, Atomics.wait(…, 1) finds 0 and returns at once: the flag is
   * also the value waited on, so there is no window in which a notify can be lost.
   */
  #announceSleepingUnlessData(): boolean {
    if (this.hasData()) return true;
    Atomics.store(this.header, CONSUMER_SLEEPING, 1);
    if (this.hasData()) {
      Atomics.store(this.header, CONSUMER_SLEEPING, 0);
      return true;
    }
    return false;
  }

  #wakeUp(): boolean {
    Atomics.store(this.header, CONSUMER_SLEEPING, 0);
    return this.hasData();
  }

  // A payload that wraps the end is copied into one scratch buffer. One drain covers at most the
  // ring's capacity, so it meets the end at most once: every view of a drain stays valid until
  // its beforeRelease has run.
  #view(index: number, length: number): Uint8Array {
    const at = index & this.mask;
    const untilEnd = this.capacity - at;
    if (length <= untilEnd) return this.data.subarray(at, at + length);
    if (this.#scratch === undefined || this.#scratch.byteLength < length) {
      this.#scratch = new Uint8Array(Math.max(length, Math.min(this.capacity, 2 * (this.#scratch?.byteLength ?? 0))));
    }
    this.#scratch.set(this.data.subarray(at), 0);
    this.#scratch.set(this.data.subarray(0, length - untilEnd), untilEnd);
    return this.#scratch.subarray(0, length);
  }

  // Space doorbell, consumer half: store readIndex, THEN look at producerWaiting (see
  // RingProducer.#announceWaitingUnlessRoom).
  #release(readIndex: number): void {
    this.#readIndex = readIndex;
    Atomics.store(this.header, READ_INDEX, readIndex | 0);
    if (Atomics.load(this.header, PRODUCER_WAITING) !== 0 && Atomics.exchange(this.header, PRODUCER_WAITING, 0) === 1) {
      Atomics.notify(this.header, PRODUCER_WAITING, 1);
    }
  }
}

export const DEFAULT_REQUEST_RING_BYTES = 8 * 1024 * 1024;
export const DEFAULT_COMPLETION_RING_BYTES = 1024 * 1024;

/** What the acceptor posts to a shard worker at start-up; both fields survive postMessage. */
export interface ShardRingBuffers {
  /** acceptor -> shard: produce work. */
  readonly requests: SharedArrayBuffer;
  /** shard -> acceptor: completions. */
  readonly completions: SharedArrayBuffer;
}

export interface AcceptorRings {
  readonly requests: RingProducer;
  readonly completions: RingConsumer;
}

export interface ShardRings {
  readonly requests: RingConsumer;
  readonly completions: RingProducer;
}

export function createShardRingBuffers(
  requestRingBytes: number = DEFAULT_REQUEST_RING_BYTES,
  completionRingBytes: number = DEFAULT_COMPLETION_RING_BYTES,
): ShardRingBuffers {
  return { requests: createRingBuffer(requestRingBytes), completions: createRingBuffer(completionRingBytes) };
}

/** The main thread's ends: it writes requests and reads completions. */
export function openAcceptorRings(buffers: ShardRingBuffers): AcceptorRings {
  return { requests: new RingProducer(buffers.requests), completions: new RingConsumer(buffers.completions) };
}

/** The shard worker's ends, rebuilt from the buffers it was posted. */
export function openShardRings(buffers: ShardRingBuffers): ShardRings {
  return { requests: new RingConsumer(buffers.requests), completions: new RingProducer(buffers.completions) };
}
