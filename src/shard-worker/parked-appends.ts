// Appends that wait for their compressed batches to be validated, or their batches to be
// recompressed to the topic's compression.type, off the shard's thread, kept per partition in
// arrival order. The inflating and deflating run on libuv's thread pool (validateCompressedBatch,
// recompressBatchAsync); meanwhile every later append to the same partition parks behind it,
// so no batch is overtaken, and the duplicate and sequence checks run in arrival order when the
// queue is applied. Only the shard applies results, between drains: the shard stays the only
// writer (DESIGN.md §1).
import type { CompressionCodec } from '../protocol/compression.ts';
import type { Recompressed } from '../protocol/recompress.ts';
import type { BatchSpan } from '../protocol/record-batch.ts';
import type { RecordsValidation } from '../protocol/record-validation.ts';

/** One append that arrived while its partition had a compressed batch in the pool. */
export interface ParkedAppend {
  requestId: number;
  flags: number;
  /** A copy (the ring space the request came in is released at the end of its drain), or the rebuilt batches. */
  records: Buffer;
  /** What this entry counts against MAX_PARKED_BYTES. */
  parkedBytes: number;
  batches: BatchSpan[];
  /** Null until every compressed batch of the request is checked; then the first failure, or ok. */
  verdict: RecordsValidation | null;
}

/** Checks one compressed batch (at offset 0 of its buffer) off the calling thread. */
export type CompressedValidator = (batch: Buffer) => Promise<RecordsValidation>;

/** The codec a topic's compression.type asks stored batches to have; null for `producer`. */
export interface CompressionTarget {
  codec: CompressionCodec;
  /** The codec's id in a batch's attributes, compared with each produced batch's. */
  id: number;
  /** compression.gzip.level or compression.zstd.level, for those codecs. */
  level: number | undefined;
  /** The topic is compacted: the rebuild refuses records without a key. */
  keyRequired?: boolean;
}

/** Rebuilds one batch (at offset 0 of its buffer) with the target codec, off the calling thread. */
export type Recompressor = (batch: Buffer, target: CompressionTarget) => Promise<Recompressed>;

/** The work a parked append waits for: which of its batches are only checked, which rebuilt. */
export interface PoolWork {
  check: number[];
  rebuild: number[];
  target: CompressionTarget | null;
}

const NO_WORK: PoolWork = { check: [], rebuild: [], target: null };

/**
 * Past this many bytes parked on one shard, the worker stops draining its ring until results come
 * back: producers then wait on the ring's space, and memory stays bounded.
 */
export const MAX_PARKED_BYTES = 32 * 1024 * 1024;

const OK: RecordsValidation = { ok: true };

/** The parked appends of one shard, by partition, and which partitions have a result to apply. */
export class ParkedAppends<P extends { parked: ParkedAppend[] }> {
  readonly #validate: CompressedValidator;
  readonly #recompress: Recompressor;
  readonly #onResult: () => void;
  /** Partitions whose first parked append has its verdict. */
  readonly #ready = new Set<P>();
  #bytes = 0;
  #inPool = 0;
  #waiter: (() => void) | undefined;

  constructor(validate: CompressedValidator, recompress: Recompressor, onResult: () => void) {
    this.#validate = validate;
    this.#recompress = recompress;
    this.#onResult = onResult;
  }

  /** Bytes held by parked appends. */
  get bytes(): number {
    return this.#bytes;
  }

  /** Appends parked and not yet applied. */
  get count(): number {
    return this.#inPool;
  }

  get hasReady(): boolean {
    return this.#ready.size > 0;
  }

  /**
   * Parks an append behind the partition's earlier ones. `work` lists its batches that need the
   * pool; with none, it only waits for its turn.
   */
  park(owned: P, requestId: number, flags: number, records: Buffer, batches: BatchSpan[], work: PoolWork = NO_WORK): void {
    const copy = Buffer.from(records);
    const idle = work.check.length === 0 && work.rebuild.length === 0;
    const entry: ParkedAppend = { requestId, flags, records: copy, parkedBytes: copy.length, batches, verdict: idle ? OK : null };
    owned.parked.push(entry);
    this.#bytes += entry.parkedBytes;
    this.#inPool++;
    if (idle) return;
    const slice = (i: number): Buffer => copy.subarray(batches[i]!.offset, batches[i]!.offset + batches[i]!.size);
    const checks = work.check.map((i) => this.#validate(slice(i)));
    const rebuilds = work.rebuild.map((i) => this.#recompress(slice(i), work.target!));
    void Promise.all([Promise.all(checks), Promise.all(rebuilds)]).then(
      ([verdicts, rebuilt]) => {
        const failed = verdicts.find((v) => !v.ok) ?? rebuilt.find((r) => !r.ok);
        if (failed && !failed.ok) return this.#settle(owned, entry, failed);
        if (rebuilt.length > 0) swapIn(entry, work.rebuild, rebuilt.map((r) => (r as { batch: Buffer }).batch));
        this.#settle(owned, entry, OK);
      },
      (err: unknown) => this.#settle(owned, entry, { ok: false, error: 'UNKNOWN_SERVER_ERROR', reason: String(err) }),
    );
  }

  /**
   * Takes, in arrival order, the parked appends whose turn has come (every earlier one is taken
   * and its own verdict is in), and hands each to `apply`.
   */
  applyReady(apply: (owned: P, entry: ParkedAppend) => void): void {
    if (this.#ready.size === 0) return;
    const ready = [...this.#ready];
    this.#ready.clear();
    for (const owned of ready) {
      while (owned.parked.length > 0 && owned.parked[0]!.verdict !== null) {
        const entry = owned.parked.shift()!;
        this.#bytes -= entry.parkedBytes;
        this.#inPool--;
        apply(owned, entry);
      }
    }
  }

  /** Resolves once a result is ready to apply (at once if one is). */
  nextResult(): Promise<void> {
    if (this.#ready.size > 0) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiter = resolve;
    });
  }

  #settle(owned: P, entry: ParkedAppend, verdict: RecordsValidation): void {
    entry.verdict = verdict;
    if (owned.parked[0] !== entry) return; // its turn comes when the ones before it are applied
    this.#ready.add(owned);
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
    this.#onResult();
  }
}

/** Replaces the entry's batches at `indexes` with their rebuilt versions, keeping batch order. */
function swapIn(entry: ParkedAppend, indexes: number[], rebuilt: Buffer[]): void {
  const parts = entry.batches.map((span) => entry.records.subarray(span.offset, span.offset + span.size));
  indexes.forEach((batchIndex, i) => { parts[batchIndex] = rebuilt[i]!; });
  let offset = 0;
  entry.batches = parts.map((part) => {
    const span = { offset, size: part.length };
    offset += part.length;
    return span;
  });
  entry.records = parts.length === 1 ? parts[0]! : Buffer.concat(parts);
}
