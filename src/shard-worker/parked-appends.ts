// Appends that wait for their compressed batches to be validated off the shard's thread, kept per
// partition in arrival order. A compressed batch's records are inflated on libuv's thread pool
// (validateCompressedBatch); meanwhile every later append to the same partition parks behind it,
// so no batch is overtaken, and the duplicate and sequence checks run in arrival order when the
// queue is applied. Only the shard applies results, between drains: the shard stays the only
// writer (DESIGN.md §1).
import type { RecordsValidation } from '../protocol/record-validation.ts';
import type { BatchSpan } from '../protocol/record-batch.ts';

/** One append that arrived while its partition had a compressed batch in the pool. */
export interface ParkedAppend {
  requestId: number;
  flags: number;
  /** A copy: the ring space the request came in is released at the end of its drain. */
  records: Buffer;
  batches: BatchSpan[];
  /** Null until every compressed batch of the request is checked; then the first failure, or ok. */
  verdict: RecordsValidation | null;
}

/** Checks one compressed batch (at offset 0 of its buffer) off the calling thread. */
export type CompressedValidator = (batch: Buffer) => Promise<RecordsValidation>;

/**
 * Past this many bytes parked on one shard, the worker stops draining its ring until results come
 * back: producers then wait on the ring's space, and memory stays bounded.
 */
export const MAX_PARKED_BYTES = 32 * 1024 * 1024;

const OK: RecordsValidation = { ok: true };

/** The parked appends of one shard, by partition, and which partitions have a result to apply. */
export class ParkedAppends<P extends { parked: ParkedAppend[] }> {
  readonly #validate: CompressedValidator;
  readonly #onResult: () => void;
  /** Partitions whose first parked append has its verdict. */
  readonly #ready = new Set<P>();
  #bytes = 0;
  #inPool = 0;
  #waiter: (() => void) | undefined;

  constructor(validate: CompressedValidator, onResult: () => void) {
    this.#validate = validate;
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
   * Parks an append behind the partition's earlier ones. `compressed` lists the indexes of its
   * batches that need the pool; with none, it only waits for its turn.
   */
  park(owned: P, requestId: number, flags: number, records: Buffer, batches: BatchSpan[], compressed: number[]): void {
    const entry: ParkedAppend = { requestId, flags, records: Buffer.from(records), batches, verdict: compressed.length === 0 ? OK : null };
    owned.parked.push(entry);
    this.#bytes += entry.records.length;
    this.#inPool++;
    if (entry.verdict !== null) return;
    const checks = compressed.map((i) => this.#validate(entry.records.subarray(batches[i]!.offset, batches[i]!.offset + batches[i]!.size)));
    void Promise.all(checks).then(
      (verdicts) => this.#settle(owned, entry, verdicts.find((v) => !v.ok) ?? OK),
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
        this.#bytes -= entry.records.length;
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
