// The reading end of a byte ring (layout in ring-layout.ts): hands out messages in place, releases
// their space once per drain, and sleeps on the data doorbell.
// Atomics.waitAsync is in es2024; the project tsconfig's lib stops at es2023.
/// <reference lib="es2024.sharedmemory" />
import {
  CONSUMER_SLEEPING, PRODUCER_WAITING, READ_INDEX, RING_FRAME_HEADER_BYTES, RingView, WRITE_INDEX, frameBytes,
} from './ring-layout.ts';

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
  /** Set by interruptWait: the pending or next waitForDataAsync returns at once. */
  #interrupted = false;
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
   * An `onMessage` that returns `false` (exactly) leaves that message in the ring and ends the
   * drain: it is handed out first by the next drain (the shard defers a control request that must
   * not run while a group commit's sync is in flight).
   */
  drain(onMessage: (message: Uint8Array) => unknown, maxMessages: number = Infinity, beforeRelease?: () => void): number {
    // One load of writeIndex per drain: the acquire that makes every frame up to it readable.
    const writeIndex = Atomics.load(this.header, WRITE_INDEX) >>> 0;
    // THEN the capacity word: frames written after a grow are read with the grown mask (ring-layout.ts).
    this.refreshCapacity();
    let readIndex = this.#readIndex;
    let count = 0;
    try {
      while (readIndex !== writeIndex && count < maxMessages) {
        const length = this.dataWords[(readIndex & this.mask) >>> 2]!;
        const message = this.#view((readIndex + RING_FRAME_HEADER_BYTES) >>> 0, length);
        const at = readIndex;
        readIndex = (readIndex + frameBytes(length)) >>> 0;
        count++;
        if (onMessage(message) === false) {
          readIndex = at;
          count--;
          break;
        }
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

  /**
   * Resolves true once a message is available, false after `timeoutMs` or an interruptWait().
   * Never blocks.
   */
  async waitForDataAsync(timeoutMs: number): Promise<boolean> {
    const deadline = performance.now() + timeoutMs;
    while (true) {
      if (this.#announceSleepingUnlessData()) return true;
      const left = deadline - performance.now();
      if (left <= 0 || this.#interrupted) break;
      const result = Atomics.waitAsync(this.header, CONSUMER_SLEEPING, 1, left);
      if (result.async) await result.value;
      if (this.#wakeUp()) return true;
      if (this.#interrupted) break;
    }
    this.#interrupted = false;
    return this.#wakeUp();
  }

  /**
   * Ends the consumer's own pending (or next) waitForDataAsync early, from its own thread: a shard
   * whose compressed-batch check came back must turn its loop without a message in the ring.
   */
  interruptWait(): void {
    this.#interrupted = true;
    Atomics.notify(this.header, CONSUMER_SLEEPING);
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

