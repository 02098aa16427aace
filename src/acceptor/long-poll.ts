// The handlers' read side of the watermark slots, with the long-poll wait that a stopping broker
// cuts short. Reads go straight to the shared table; only the owning shards ever write it.
import type { PartitionOffsets } from '../shared-mem/watermarks.ts';
import type { PartitionWatermarks } from './registry.ts';

/** The read methods of the shared watermark table this needs (the main thread only ever reads). */
export interface WatermarkReads {
  readOffsets(slot: number): PartitionOffsets;
  highWatermark(slot: number): bigint;
  logStartOffset(slot: number): bigint;
  localLogStartOffset(slot: number): bigint;
  lastStableOffset(slot: number): bigint;
  logEndBytes(slot: number): bigint;
  segmentEpoch(slot: number): number;
  isOffline(slot: number): boolean;
  waitForChange(slots: readonly number[], seenWakeWords: ArrayLike<number>, timeoutMs: number): Promise<'changed' | 'timeout'>;
}

export class LongPollWatermarks implements PartitionWatermarks {
  readonly #table: WatermarkReads;
  /** Long polls waiting now; shutdown wakes them so they answer with what they have. */
  readonly #longPolls = new Set<() => void>();
  #stopping = false;

  constructor(table: WatermarkReads) {
    this.#table = table;
  }

  readOffsets(slot: number): PartitionOffsets {
    return this.#table.readOffsets(slot);
  }

  highWatermark(slot: number): bigint {
    return this.#table.highWatermark(slot);
  }

  logStartOffset(slot: number): bigint {
    return this.#table.logStartOffset(slot);
  }

  localLogStartOffset(slot: number): bigint {
    return this.#table.localLogStartOffset(slot);
  }

  lastStableOffset(slot: number): bigint {
    return this.#table.lastStableOffset(slot);
  }

  segmentEpoch(slot: number): number {
    return this.#table.segmentEpoch(slot);
  }

  isOffline(slot: number): boolean {
    return this.#table.isOffline(slot);
  }

  /**
   * Resolves after `timeoutMs`, when a watched slot changes, or when shutdown begins. A set of
   * wakers rather than one shared "shutting down" promise: racing against a promise that stays
   * pending would leave one reaction behind per long poll for the life of the broker.
   */
  async waitForPartitions(slots: readonly number[], seenWakeWords: ArrayLike<number>, timeoutMs: number): Promise<'changed' | 'timeout' | 'shutdown'> {
    if (this.#stopping) return 'shutdown';
    let wake!: () => void;
    const shutdown = new Promise<'shutdown'>((resolve) => { wake = () => resolve('shutdown'); });
    this.#longPolls.add(wake);
    try {
      return await Promise.race([this.#table.waitForChange(slots, seenWakeWords, timeoutMs), shutdown]);
    } finally {
      this.#longPolls.delete(wake);
    }
  }

  /** Answers every waiting long poll now, and every later one at once. */
  stopWaiting(): void {
    this.#stopping = true;
    for (const wake of this.#longPolls) wake();
  }
}
