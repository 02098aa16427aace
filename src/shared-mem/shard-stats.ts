// Per-shard counters in shared memory: written only by the shard (Atomics.add / store), read by the
// main thread at scrape time. They survive a shard restart because the pool keeps the buffer.

/*
 * Layout, version 2 (words 6 and 7 were spare in version 1): one BigInt64Array of SHARD_STATS_SLOTS words (64 bytes), indexed by the
 * word constants below.
 *
 *   word  0            1           2                3              4                5                6-7
 *        ├────────────┼───────────┼────────────────┼──────────────┼────────────────┼────────────────┼───────┤
 *        │fdatasyncs  │groupSyncs │syncNanosTotal  │syncNanosMax  │appendedBatches │duplicateBatches│ cleaner words │
 *        └────────────┴───────────┴────────────────┴──────────────┴────────────────┴────────────────┴───────┘
 *
 *   fdatasyncs        files synced (a group commit syncing 8 partitions adds 8)
 *   groupSyncs        group commits or interval flushes that synced anything
 *   syncNanosTotal    wall time spent in those syncs, nanoseconds
 *   syncNanosMax      the longest one, nanoseconds
 *   appendedBatches   batches appended
 *   duplicateBatches  idempotent retries answered from producer state
 *   cleanerRuns       (word 6) log cleaner runs swapped in on this shard's partitions
 *   cleanerBytes      (word 7) bytes of segments those runs read (Kafka's bytes cleaned)
 *
 * Changing any of this bumps SHARD_STATS_LAYOUT_VERSION (STYLE.md rule 4).
 */
export const SHARD_STATS_LAYOUT_VERSION = 2;
export const SHARD_STATS_SLOTS = 8;
export const FDATASYNCS = 0;
export const GROUP_SYNCS = 1;
export const SYNC_NANOS_TOTAL = 2;
export const SYNC_NANOS_MAX = 3;
export const APPENDED_BATCHES = 4;
export const DUPLICATE_BATCHES = 5;
export const CLEANER_RUNS = 6;
export const CLEANER_BYTES = 7;

export class ShardStats {
  readonly buffer: SharedArrayBuffer;
  readonly #words: BigInt64Array;

  constructor(buffer: SharedArrayBuffer = new SharedArrayBuffer(SHARD_STATS_SLOTS * 8)) {
    this.buffer = buffer;
    this.#words = new BigInt64Array(buffer);
  }

  // Writers: the owning shard only (STYLE.md rule 1): only it performs these syncs and appends.
  recordSync(files: number, nanos: bigint): void {
    Atomics.add(this.#words, FDATASYNCS, BigInt(files));
    Atomics.add(this.#words, GROUP_SYNCS, 1n);
    Atomics.add(this.#words, SYNC_NANOS_TOTAL, nanos);
    if (nanos > Atomics.load(this.#words, SYNC_NANOS_MAX)) Atomics.store(this.#words, SYNC_NANOS_MAX, nanos);
  }

  add(word: number, n: number): void {
    Atomics.add(this.#words, word, BigInt(n));
  }

  read(word: number): bigint {
    return Atomics.load(this.#words, word);
  }
}
