// The main thread's long-poll waiter on the watermark table's wake words: one Atomics.waitAsync per
// slot, shared by every fetch waiting on that slot (used by WatermarkReader.waitForChange).
// Atomics.waitAsync is in es2024; the project tsconfig's lib stops at es2023.
/// <reference lib="es2024.sharedmemory" />
import { I32_PER_SLOT, WAKE_WORD_BYTE_OFFSET, type ChangeResult } from './watermark-layout.ts';

/*
 * A slot's Atomics.waitAsync is re-armed at most this often while nobody listens on it. It bounds
 * how long an abandoned waiter (its long poll already answered) lingers on a quiet partition;
 * a busy partition drops it at the next notify.
 */
const WAKE_WAITER_REARM_MS = 10_000;

interface ChangeListener {
  // Slot -> the wake word this listener last saw there.
  readonly seen: Map<number, number>;
  settle(result: ChangeResult): void;
}

interface SlotWatch {
  readonly listeners: Set<ChangeListener>;
  armed: boolean;
}

/*
 * Multiplexes long polls over one Atomics.waitAsync per slot. A waitAsync cannot be cancelled,
 * so one per slot per poll would pile up: a consumer polling 1,000 partitions that gets an answer
 * every few milliseconds would leave thousands of waiters behind per second. Here a slot has at
 * most one outstanding waiter, whoever asks and however often, and a slot nobody listens on any
 * more drops it at its next notify or after WAKE_WAITER_REARM_MS.
 */
export class WakeWordWatcher {
  readonly #words: Int32Array;
  readonly #slots = new Map<number, SlotWatch>();
  #pendingWaits = 0;
  #activeWaits = 0;

  constructor(words: Int32Array) {
    this.#words = words;
  }

  pendingWaitCount(): number {
    return this.#pendingWaits;
  }

  activeWaitCount(): number {
    return this.#activeWaits;
  }

  waitForChange(slots: readonly number[], seenWakeWords: ArrayLike<number>, timeoutMs: number): Promise<ChangeResult> {
    for (let i = 0; i < slots.length; i++) {
      if (this.#load(slots[i]!) !== (seenWakeWords[i]! | 0)) return Promise.resolve('changed');
    }
    if (!(timeoutMs > 0) || slots.length === 0) return Promise.resolve('timeout');

    return new Promise<ChangeResult>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const listener: ChangeListener = {
        seen: new Map(),
        settle: (result) => {
          if (timer === undefined) return;
          clearTimeout(timer);
          timer = undefined;
          this.#activeWaits--;
          for (const slot of listener.seen.keys()) this.#slots.get(slot)?.listeners.delete(listener);
          resolve(result);
        },
      };
      this.#activeWaits++;
      // The timer, not the waitAsync timeouts, answers a quiet poll: pending waitAsync calls
      // do not keep Node's event loop alive, a timer does.
      timer = setTimeout(() => listener.settle('timeout'), timeoutMs);
      for (let i = 0; i < slots.length; i++) listener.seen.set(slots[i]!, seenWakeWords[i]! | 0);
      for (const slot of listener.seen.keys()) {
        let watch = this.#slots.get(slot);
        if (watch === undefined) {
          watch = { listeners: new Set(), armed: false };
          this.#slots.set(slot, watch);
        }
        watch.listeners.add(listener);
        if (!watch.armed) this.#arm(slot, watch);
        if (timer === undefined) return; // arming found a change and answered already
      }
    });
  }

  /*
   * Waits for the slot's word to leave `value`, the same value every listener was just compared
   * with: if the word moved in between, waitAsync answers 'not-equal' at once instead of
   * sleeping, so no change can slip between the check and the wait.
   */
  #arm(slot: number, watch: SlotWatch): void {
    while (true) {
      const value = this.#load(slot);
      this.#answerListeners(slot, watch, value);
      if (watch.listeners.size === 0) {
        this.#slots.delete(slot);
        return;
      }
      const index = this.#wordIndex(slot);
      const result = Atomics.waitAsync(this.#words, index, value, WAKE_WAITER_REARM_MS);
      if (!result.async) continue;
      watch.armed = true;
      this.#pendingWaits++;
      void result.value.then(() => {
        this.#pendingWaits--;
        watch.armed = false;
        this.#arm(slot, watch);
      });
      return;
    }
  }

  #answerListeners(slot: number, watch: SlotWatch, value: number): void {
    for (const listener of watch.listeners) {
      if (listener.seen.get(slot) !== value) listener.settle('changed');
    }
  }

  #wordIndex(slot: number): number {
    return slot * I32_PER_SLOT + WAKE_WORD_BYTE_OFFSET / 4;
  }

  #load(slot: number): number {
    return Atomics.load(this.#words, this.#wordIndex(slot));
  }
}
