// The watermark table: one 64-byte slot per partition in one SharedArrayBuffer, written only by the
// partition's owning shard and read by every thread; plus the main thread's wait on its wake words.
// Atomics.waitAsync is in es2024; the project tsconfig's lib stops at es2023.
/// <reference lib="es2024.sharedmemory" />

/*
 * Layout, version 1. The buffer is `capacity` slots, nothing else (65,536 slots = 4 MiB).
 * One slot per partition, one cache line per slot, so two shards publishing neighbouring
 * partitions never write the same line (no false sharing).
 *
 *   slot s starts at byte s * WATERMARK_SLOT_BYTES
 *
 *   byte  0        8        16       24       32   36   40   44                    64
 *        ├────────┼────────┼────────┼────────┼────┼────┼────┼─────────────────────┤
 *        │  HWM   │logStart│  LSO   │logEnd  │wake│seg │stat│  spare (20 bytes)   │
 *        │  i64   │  i64   │  i64   │Bytes i64│i32 │Epch│ i32│  zero, reserved     │
 *        └────────┴────────┴────────┴────────┴────┴────┴────┴─────────────────────┘
 *
 *   HWM        high watermark: first offset not yet visible to consumers (Kafka's high_watermark)
 *   logStart   log start offset: first offset still in the log (retention, DeleteRecords)
 *   LSO        last stable offset (read_committed visibility limit)
 *   logEnd     bytes of log on disk, for metrics only
 *   wake       incremented after every change a fetch may wait for, then Atomics.notify'd
 *   segEpoch   incremented when the segment set changes (roll, retention delete, truncation)
 *   state      PARTITION_STATE_*
 *
 * Changing any of this bumps WATERMARK_LAYOUT_VERSION (STYLE.md rule 4).
 */
export const WATERMARK_LAYOUT_VERSION = 1;
export const WATERMARK_SLOT_BYTES = 64;
export const DEFAULT_WATERMARK_CAPACITY = 65_536;

export const HIGH_WATERMARK_BYTE_OFFSET = 0;
export const LOG_START_OFFSET_BYTE_OFFSET = 8;
export const LAST_STABLE_OFFSET_BYTE_OFFSET = 16;
export const LOG_END_BYTES_BYTE_OFFSET = 24;
export const WAKE_WORD_BYTE_OFFSET = 32;
export const SEGMENT_EPOCH_BYTE_OFFSET = 36;
export const STATE_BYTE_OFFSET = 40;
export const SPARE_BYTE_OFFSET = 44;

export const PARTITION_STATE_UNUSED = 0;
export const PARTITION_STATE_RECOVERING = 1;
export const PARTITION_STATE_ONLINE = 2;
export const PARTITION_STATE_OFFLINE = 3;
export type PartitionState =
  | typeof PARTITION_STATE_UNUSED
  | typeof PARTITION_STATE_RECOVERING
  | typeof PARTITION_STATE_ONLINE
  | typeof PARTITION_STATE_OFFLINE;

const I64_PER_SLOT = WATERMARK_SLOT_BYTES / 8;
const I32_PER_SLOT = WATERMARK_SLOT_BYTES / 4;

/*
 * A slot's Atomics.waitAsync is re-armed at most this often while nobody listens on it. It bounds
 * how long an abandoned waiter (its long poll already answered) lingers on a quiet partition;
 * a busy partition drops it at the next notify.
 */
const WAKE_WAITER_REARM_MS = 10_000;

export interface PartitionOffsets {
  wakeWord: number;
  logStartOffset: bigint;
  lastStableOffset: bigint;
  highWatermark: bigint;
}

export interface TruncationReset {
  highWatermark: bigint;
  logStartOffset: bigint;
  lastStableOffset: bigint;
  logEndBytes: bigint;
}

export type ChangeResult = 'changed' | 'timeout';

export function watermarkTableBytes(capacity: number = DEFAULT_WATERMARK_CAPACITY): number {
  if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`watermark capacity must be a positive integer, got ${capacity}`);
  return capacity * WATERMARK_SLOT_BYTES;
}

export function createWatermarkBuffer(capacity: number = DEFAULT_WATERMARK_CAPACITY): SharedArrayBuffer {
  return new SharedArrayBuffer(watermarkTableBytes(capacity));
}

/**
 * A view over the watermark SharedArrayBuffer. Build one per thread from the same buffer
 * (`new WatermarkTable(buffer)` after postMessage). Readers may be anyone; the publish, bump,
 * set and reset methods may be called only by the shard that owns the slot's partition.
 *
 * On the main thread use one instance for all long polls: waitForChange shares one
 * Atomics.waitAsync per slot among every poll made through the same instance.
 */
export class WatermarkTable {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  readonly #i64: BigInt64Array;
  readonly #i32: Int32Array;
  #watcher: WakeWordWatcher | undefined;

  constructor(buffer: SharedArrayBuffer) {
    if (buffer.byteLength === 0 || buffer.byteLength % WATERMARK_SLOT_BYTES !== 0) {
      throw new RangeError(`watermark buffer must be a whole number of ${WATERMARK_SLOT_BYTES}-byte slots, got ${buffer.byteLength} bytes`);
    }
    this.buffer = buffer;
    this.capacity = buffer.byteLength / WATERMARK_SLOT_BYTES;
    this.#i64 = new BigInt64Array(buffer);
    this.#i32 = new Int32Array(buffer);
  }

  static create(capacity: number = DEFAULT_WATERMARK_CAPACITY): WatermarkTable {
    return new WatermarkTable(createWatermarkBuffer(capacity));
  }

  // ── readers: any thread ────────────────────────────────────────────────────────────────

  highWatermark(slot: number): bigint {
    return Atomics.load(this.#i64, this.#i64Index(slot, HIGH_WATERMARK_BYTE_OFFSET));
  }

  logStartOffset(slot: number): bigint {
    return Atomics.load(this.#i64, this.#i64Index(slot, LOG_START_OFFSET_BYTE_OFFSET));
  }

  lastStableOffset(slot: number): bigint {
    return Atomics.load(this.#i64, this.#i64Index(slot, LAST_STABLE_OFFSET_BYTE_OFFSET));
  }

  logEndBytes(slot: number): bigint {
    return Atomics.load(this.#i64, this.#i64Index(slot, LOG_END_BYTES_BYTE_OFFSET));
  }

  wakeWord(slot: number): number {
    return Atomics.load(this.#i32, this.#i32Index(slot, WAKE_WORD_BYTE_OFFSET));
  }

  segmentEpoch(slot: number): number {
    return Atomics.load(this.#i32, this.#i32Index(slot, SEGMENT_EPOCH_BYTE_OFFSET));
  }

  state(slot: number): PartitionState {
    return Atomics.load(this.#i32, this.#i32Index(slot, STATE_BYTE_OFFSET)) as PartitionState;
  }

  /**
   * The fields a fetch needs, read in an order that keeps them consistent without a lock:
   * the wake word first, so waiting with it can never miss a change to what follows; then
   * logStart before LSO before HWM: each only grows and logStart <= LSO <= HWM always holds
   * at the writer, so values read later are at least as new and the order survives the reads.
   */
  readOffsets(slot: number): PartitionOffsets {
    const wakeWord = this.wakeWord(slot);
    const logStartOffset = this.logStartOffset(slot);
    const lastStableOffset = this.lastStableOffset(slot);
    const highWatermark = this.highWatermark(slot);
    return { wakeWord, logStartOffset, lastStableOffset, highWatermark };
  }

  // ── writers: the owning shard only ─────────────────────────────────────────────────────

  /**
   * Makes offsets below `highWatermark` visible. Refuses to move backwards: a lower HWM means
   * records a consumer may already have read are gone (bug class 4); only recovery can do
   * that, through resetForTruncation.
   */
  publishHighWatermark(slot: number, highWatermark: bigint): void {
    const index = this.#i64Index(slot, HIGH_WATERMARK_BYTE_OFFSET);
    const current = Atomics.load(this.#i64, index);
    if (highWatermark === current) return;
    if (highWatermark < current) {
      throw new RangeError(`high watermark of slot ${slot} would move backwards: ${current} -> ${highWatermark}`);
    }
    // Only the owning shard stores here (STYLE.md rule 1): it alone appends to this partition,
    // so it alone knows which offsets are written; a second writer could publish past a gap.
    Atomics.store(this.#i64, index, highWatermark);
    this.#wake(slot);
  }

  /** Moves the log start forward (retention, DeleteRecords); never past the HWM. */
  publishLogStartOffset(slot: number, logStartOffset: bigint): void {
    const index = this.#i64Index(slot, LOG_START_OFFSET_BYTE_OFFSET);
    const current = Atomics.load(this.#i64, index);
    if (logStartOffset === current) return;
    if (logStartOffset < current) {
      throw new RangeError(`log start offset of slot ${slot} would move backwards: ${current} -> ${logStartOffset}`);
    }
    const highWatermark = this.highWatermark(slot);
    if (logStartOffset > highWatermark) {
      throw new RangeError(`log start offset ${logStartOffset} of slot ${slot} would pass the high watermark ${highWatermark}`);
    }
    // Only the owning shard stores here (STYLE.md rule 1): it alone deletes this partition's
    // segments, so the log start it publishes always matches the files that still exist.
    Atomics.store(this.#i64, index, logStartOffset);
    this.#wake(slot);
  }

  /** Moves the read_committed limit forward; never past the HWM. */
  publishLastStableOffset(slot: number, lastStableOffset: bigint): void {
    const index = this.#i64Index(slot, LAST_STABLE_OFFSET_BYTE_OFFSET);
    const current = Atomics.load(this.#i64, index);
    if (lastStableOffset === current) return;
    if (lastStableOffset < current) {
      throw new RangeError(`last stable offset of slot ${slot} would move backwards: ${current} -> ${lastStableOffset}`);
    }
    const highWatermark = this.highWatermark(slot);
    if (lastStableOffset > highWatermark) {
      throw new RangeError(`last stable offset ${lastStableOffset} of slot ${slot} would pass the high watermark ${highWatermark}`);
    }
    // Only the owning shard stores here (STYLE.md rule 1): it alone appends the transaction
    // markers that decide where the stable prefix of this partition ends.
    Atomics.store(this.#i64, index, lastStableOffset);
    this.#wake(slot);
  }

  /** Metrics only: no one waits on it, so no wake-up. */
  publishLogEndBytes(slot: number, logEndBytes: bigint): void {
    // Only the owning shard stores here (STYLE.md rule 1): it alone writes this partition's files.
    Atomics.store(this.#i64, this.#i64Index(slot, LOG_END_BYTES_BYTE_OFFSET), logEndBytes);
  }

  /** Tells readers holding a segment list for this partition to list the segments again. */
  bumpSegmentEpoch(slot: number): number {
    // Only the owning shard stores here (STYLE.md rule 1): it alone rolls, deletes and truncates
    // this partition's segments, so it alone knows when the set changed.
    return Atomics.add(this.#i32, this.#i32Index(slot, SEGMENT_EPOCH_BYTE_OFFSET), 1) + 1;
  }

  /** Wakes waiters too, so a long poll on a partition going offline answers at once. */
  setState(slot: number, state: PartitionState): void {
    // Only the owning shard stores here (STYLE.md rule 1): it alone runs this partition's
    // recovery and knows whether its log can be served.
    Atomics.store(this.#i32, this.#i32Index(slot, STATE_BYTE_OFFSET), state);
    this.#wake(slot);
  }

  /**
   * Recovery (or a truncation) sets every offset at once, backwards if it must, and bumps the
   * segment epoch because the segment set changed. The caller sets the state to recovering
   * first, so readers do not serve the partition while the fields are being rewritten.
   */
  resetForTruncation(slot: number, reset: TruncationReset): void {
    if (!(reset.logStartOffset <= reset.lastStableOffset && reset.lastStableOffset <= reset.highWatermark)) {
      throw new RangeError(`slot ${slot}: need logStart <= LSO <= HWM, got ${reset.logStartOffset}, ${reset.lastStableOffset}, ${reset.highWatermark}`);
    }
    // Only the owning shard stores here (STYLE.md rule 1): it alone ran the recovery that found
    // where this partition's valid log ends; no other code may move the HWM backwards.
    // HWM first when it drops, log start first when it rises, so readOffsets' order
    // (logStart, LSO, HWM) keeps seeing logStart <= HWM during the reset.
    Atomics.store(this.#i64, this.#i64Index(slot, HIGH_WATERMARK_BYTE_OFFSET), reset.highWatermark);
    Atomics.store(this.#i64, this.#i64Index(slot, LAST_STABLE_OFFSET_BYTE_OFFSET), reset.lastStableOffset);
    Atomics.store(this.#i64, this.#i64Index(slot, LOG_START_OFFSET_BYTE_OFFSET), reset.logStartOffset);
    Atomics.store(this.#i64, this.#i64Index(slot, LOG_END_BYTES_BYTE_OFFSET), reset.logEndBytes);
    Atomics.add(this.#i32, this.#i32Index(slot, SEGMENT_EPOCH_BYTE_OFFSET), 1);
    this.#wake(slot);
  }

  // ── waiting: the main thread ───────────────────────────────────────────────────────────

  /**
   * Resolves 'changed' as soon as the wake word of any of `slots` differs from the value in
   * `seenWakeWords` (same order), or 'timeout' after `timeoutMs`. Never blocks the thread.
   * Read each wake word (wakeWord or readOffsets) BEFORE reading the offsets it guards: then
   * a change made after those reads always makes the word differ, even one that lands
   * before this call starts waiting.
   */
  waitForChange(slots: readonly number[], seenWakeWords: ArrayLike<number>, timeoutMs: number): Promise<ChangeResult> {
    if (seenWakeWords.length !== slots.length) {
      throw new RangeError(`waitForChange: ${slots.length} slots but ${seenWakeWords.length} wake words`);
    }
    for (const slot of slots) this.#checkSlot(slot);
    this.#watcher ??= new WakeWordWatcher(this.#i32);
    return this.#watcher.waitForChange(slots, seenWakeWords, timeoutMs);
  }

  /** Outstanding Atomics.waitAsync calls made by waitForChange: at most one per slot. */
  pendingWaitCount(): number {
    return this.#watcher?.pendingWaitCount() ?? 0;
  }

  /** waitForChange calls not yet answered. */
  activeWaitCount(): number {
    return this.#watcher?.activeWaitCount() ?? 0;
  }

  #wake(slot: number): void {
    const index = this.#i32Index(slot, WAKE_WORD_BYTE_OFFSET);
    // Increment after the field stores and before notify: a reader that saw the old word is
    // then woken (or its waitAsync sees 'not-equal'), and a reader that sees the new word
    // also sees the new fields, because all of these are sequentially consistent atomics.
    Atomics.add(this.#i32, index, 1);
    Atomics.notify(this.#i32, index);
  }

  #checkSlot(slot: number): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.capacity) {
      throw new RangeError(`watermark slot ${slot} out of range 0..${this.capacity - 1}`);
    }
  }

  #i64Index(slot: number, byteOffset: number): number {
    this.#checkSlot(slot);
    return slot * I64_PER_SLOT + byteOffset / 8;
  }

  #i32Index(slot: number, byteOffset: number): number {
    this.#checkSlot(slot);
    return slot * I32_PER_SLOT + byteOffset / 4;
  }
}

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
class WakeWordWatcher {
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
