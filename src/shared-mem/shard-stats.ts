// Per-shard counters in shared memory: written only by the shard (Atomics.add / store), read by the
// main thread at scrape time. They survive a shard restart because the pool keeps the buffer.

/*
 * Layout, version 3: one BigInt64Array of SHARD_STATS_SLOTS words (160 bytes), indexed by the
 * word constants below. Words 6 and 7 (spare in version 1) count the log cleaner's work; words 8..
 * are the sync-duration histogram (issue 15): one cumulative count per bound in
 * SYNC_BUCKET_BOUNDS_SECONDS (syncs at most that long); the +Inf bucket is groupSyncs, the sum is
 * syncNanosTotal.
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
 *   word  8                9                  ...  8+B-1
 *        ├────────────────┼──────────────────┼─────┼──────────────────┤
 *        │syncs <= bound 0│syncs <= bound 1  │ ... │syncs <= bound B-1│   B = SYNC_BUCKET_BOUNDS_SECONDS.length
 *        └────────────────┴──────────────────┴─────┴──────────────────┘
 *
 * Changing any of this bumps SHARD_STATS_LAYOUT_VERSION (STYLE.md rule 4).
 */
export const SHARD_STATS_LAYOUT_VERSION = 3;
/** Upper bounds of the sync-duration histogram's buckets, seconds. */
export const SYNC_BUCKET_BOUNDS_SECONDS: readonly number[] = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5];
export const SYNC_BUCKETS = 8;
export const SHARD_STATS_SLOTS = SYNC_BUCKETS + SYNC_BUCKET_BOUNDS_SECONDS.length;
const SYNC_BUCKET_BOUNDS_NANOS = SYNC_BUCKET_BOUNDS_SECONDS.map((s) => BigInt(Math.round(s * 1e9)));
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
    // Cumulative buckets, as Prometheus wants them: every bound at or above this sync counts it.
    for (let b = SYNC_BUCKET_BOUNDS_NANOS.length - 1; b >= 0 && nanos <= SYNC_BUCKET_BOUNDS_NANOS[b]!; b--) Atomics.add(this.#words, SYNC_BUCKETS + b, 1n);
  }

  add(word: number, n: number): void {
    Atomics.add(this.#words, word, BigInt(n));
  }

  read(word: number): bigint {
    return Atomics.load(this.#words, word);
  }
}
