// The watermark table, split by who may do what: a WatermarkReader for every thread (loads, and the
// main thread's long-poll wait on wake words), and a WatermarkWriter that only src/shard-worker/
// constructs, so "only the owning shard stores into a slot" holds by construction.
// Atomics.waitAsync is in es2024; the project tsconfig's lib stops at es2023.
/// <reference lib="es2024.sharedmemory" />
import {
  DEFAULT_WATERMARK_CAPACITY, DIRTY_RATIO_PPM_BYTE_OFFSET, LAST_CLEAN_MS_BYTE_OFFSET, HIGH_WATERMARK_BYTE_OFFSET, LAST_STABLE_OFFSET_BYTE_OFFSET, LOG_END_BYTES_BYTE_OFFSET,
  LOG_START_OFFSET_BYTE_OFFSET, LOCAL_LOG_START_OFFSET_BYTE_OFFSET, PARTITION_STATE_OFFLINE, SEGMENT_EPOCH_BYTE_OFFSET, STATE_BYTE_OFFSET, WAKE_WORD_BYTE_OFFSET,
  WatermarkView, createWatermarkBuffer, type ChangeResult, type PartitionState, type TruncationReset,
} from './watermark-layout.ts';
import { WakeWordWatcher } from './wake-word-watcher.ts';

export * from './watermark-layout.ts';

/**
 * The read side. On the main thread use one instance for all long polls: waitForChange shares
 * one Atomics.waitAsync per slot among every poll made through the same instance.
 */
export class WatermarkReader extends WatermarkView {
  #watcher: WakeWordWatcher | undefined;

  static create(capacity: number = DEFAULT_WATERMARK_CAPACITY): WatermarkReader {
    return new WatermarkReader(createWatermarkBuffer(capacity));
  }

  /**
   * True when the owning shard took the partition's log offline after a failed write: appends
   * are refused until it is reopened, and what the slot says is all that was written.
   */
  isOffline(slot: number): boolean {
    return this.state(slot) === PARTITION_STATE_OFFLINE;
  }

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
    for (const slot of slots) this.checkSlot(slot);
    this.#watcher ??= new WakeWordWatcher(this.i32);
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
}

/**
 * The write side: only the shard that owns a slot's partition may hold one for it. Constructed
 * only in src/shard-worker/ (the main thread is handed a WatermarkReader), so no main-thread code
 * can store into a slot.
 */
export class WatermarkWriter extends WatermarkView {
  /**
   * Makes offsets below `highWatermark` visible. Refuses to move backwards: a lower HWM means
   * records a consumer may already have read are gone (bug class 4); only recovery can do
   * that, through resetForTruncation.
   */
  publishHighWatermark(slot: number, highWatermark: bigint): void {
    const index = this.i64Index(slot, HIGH_WATERMARK_BYTE_OFFSET);
    const current = Atomics.load(this.i64, index);
    if (highWatermark === current) return;
    if (highWatermark < current) {
      throw new RangeError(`high watermark of slot ${slot} would move backwards: ${current} -> ${highWatermark}`);
    }
    // Only the owning shard stores here (STYLE.md rule 1): it alone appends to this partition,
    // so it alone knows which offsets are written; a second writer could publish past a gap.
    Atomics.store(this.i64, index, highWatermark);
    this.#wake(slot);
  }

  /** Moves the log start forward (retention, DeleteRecords); never past the HWM. */
  publishLogStartOffset(slot: number, logStartOffset: bigint): void {
    const index = this.i64Index(slot, LOG_START_OFFSET_BYTE_OFFSET);
    const current = Atomics.load(this.i64, index);
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
    Atomics.store(this.i64, index, logStartOffset);
    this.#wake(slot);
  }

  /**
   * Tiered storage: moves the first offset served from local files forward (an uploaded segment
   * deleted locally, retention, DeleteRecords); never below the log start nor past the HWM.
   */
  publishLocalLogStartOffset(slot: number, localLogStartOffset: bigint): void {
    const index = this.i64Index(slot, LOCAL_LOG_START_OFFSET_BYTE_OFFSET);
    const current = Atomics.load(this.i64, index);
    if (localLogStartOffset === current) return;
    if (localLogStartOffset < current) {
      throw new RangeError(`local log start offset of slot ${slot} would move backwards: ${current} -> ${localLogStartOffset}`);
    }
    if (localLogStartOffset > this.highWatermark(slot)) {
      throw new RangeError(`local log start offset ${localLogStartOffset} of slot ${slot} would pass the high watermark`);
    }
    // Only the owning shard stores here (STYLE.md rule 1): it alone deletes this partition's local
    // segments, so the boundary between the tiers it publishes always matches the files that exist.
    // It is raised after the remote record that serves the offsets below it is durable and before
    // their local files are deleted, so a reader always finds the tier this number sends it to.
    Atomics.store(this.i64, index, localLogStartOffset);
    this.#wake(slot);
  }

  /** Moves the read_committed limit forward; never past the HWM. */
  publishLastStableOffset(slot: number, lastStableOffset: bigint): void {
    const index = this.i64Index(slot, LAST_STABLE_OFFSET_BYTE_OFFSET);
    const current = Atomics.load(this.i64, index);
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
    Atomics.store(this.i64, index, lastStableOffset);
    this.#wake(slot);
  }

  /** Metrics only: no one waits on it, so no wake-up. */
  publishLogEndBytes(slot: number, logEndBytes: bigint): void {
    // Only the owning shard stores here (STYLE.md rule 1): it alone writes this partition's files.
    Atomics.store(this.i64, this.i64Index(slot, LOG_END_BYTES_BYTE_OFFSET), logEndBytes);
  }

  /** Metrics only: the cleaner's dirty ratio (-1: not compacted) and the time of its last swap. */
  publishCleaner(slot: number, dirtyRatio: number, lastCleanMs: number): void {
    // Only the owning shard stores here (STYLE.md rule 1): it alone runs this partition's cleaner.
    Atomics.store(this.i32, this.i32Index(slot, DIRTY_RATIO_PPM_BYTE_OFFSET), dirtyRatio < 0 ? -1 : Math.round(dirtyRatio * 1e6));
    Atomics.store(this.i64, this.i64Index(slot, LAST_CLEAN_MS_BYTE_OFFSET), BigInt(Math.round(lastCleanMs)));
  }

  /** Tells readers holding a segment list for this partition to list the segments again. */
  bumpSegmentEpoch(slot: number): number {
    // Only the owning shard stores here (STYLE.md rule 1): it alone rolls, deletes and truncates
    // this partition's segments, so it alone knows when the set changed.
    return Atomics.add(this.i32, this.i32Index(slot, SEGMENT_EPOCH_BYTE_OFFSET), 1) + 1;
  }

  /** Wakes waiters too, so a long poll on a partition going offline answers at once. */
  setState(slot: number, state: PartitionState): void {
    // Only the owning shard stores here (STYLE.md rule 1): it alone runs this partition's
    // recovery and writes, so it alone knows whether its log can be served.
    Atomics.store(this.i32, this.i32Index(slot, STATE_BYTE_OFFSET), state);
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
    Atomics.store(this.i64, this.i64Index(slot, HIGH_WATERMARK_BYTE_OFFSET), reset.highWatermark);
    Atomics.store(this.i64, this.i64Index(slot, LAST_STABLE_OFFSET_BYTE_OFFSET), reset.lastStableOffset);
    Atomics.store(this.i64, this.i64Index(slot, LOG_START_OFFSET_BYTE_OFFSET), reset.logStartOffset);
    Atomics.store(this.i64, this.i64Index(slot, LOCAL_LOG_START_OFFSET_BYTE_OFFSET), reset.localLogStartOffset ?? reset.logStartOffset);
    Atomics.store(this.i64, this.i64Index(slot, LOG_END_BYTES_BYTE_OFFSET), reset.logEndBytes);
    Atomics.add(this.i32, this.i32Index(slot, SEGMENT_EPOCH_BYTE_OFFSET), 1);
    this.#wake(slot);
  }

  #wake(slot: number): void {
    const index = this.i32Index(slot, WAKE_WORD_BYTE_OFFSET);
    // Only the owning shard stores here (STYLE.md rule 1): the wake word follows the fields
    // above, which only it stores. Increment after the field stores and before notify: a reader
    // that saw the old word is then woken (or its waitAsync sees 'not-equal'), and a reader that
    // sees the new word also sees the new fields, because all of these are sequentially
    // consistent atomics.
    Atomics.add(this.i32, index, 1);
    Atomics.notify(this.i32, index);
  }
}
