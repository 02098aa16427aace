// Per-shard counters in shared memory: written only by the shard (Atomics.add / store), read by the
// main thread at scrape time. They survive a shard restart because the pool keeps the buffer.
//
// Layout, version 1: one BigInt64Array of SHARD_STATS_SLOTS words.
//
//   word 0  fdatasyncs        files synced (a group commit syncing 8 partitions adds 8)
//   word 1  groupSyncs        group commits or interval flushes that synced anything
//   word 2  syncNanosTotal    wall time spent in those syncs, nanoseconds
//   word 3  syncNanosMax      the longest one, nanoseconds
//   word 4  appendedBatches   batches appended
//   word 5  duplicateBatches  idempotent retries answered from producer state
//   words 6-7 spare
export const SHARD_STATS_LAYOUT_VERSION = 1;
export const SHARD_STATS_SLOTS = 8;
export const FDATASYNCS = 0;
export const GROUP_SYNCS = 1;
export const SYNC_NANOS_TOTAL = 2;
export const SYNC_NANOS_MAX = 3;
export const APPENDED_BATCHES = 4;
export const DUPLICATE_BATCHES = 5;

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
