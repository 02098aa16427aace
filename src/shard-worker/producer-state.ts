// Producer state of one partition, kept by its shard: per producer id the epoch and the sequence
// ranges of the last five batches, so a retried batch is answered with its original offsets instead
// of being appended twice, and the first offset of the producer's ongoing transaction, which bounds
// the last stable offset (Kafka's ProducerStateManager and ProducerAppendInfo). Rebuilt at open from
// a snapshot written at clean close plus the batches (control batches included) after it in the log.
import { readFileSync, writeFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ErrorCode } from '../protocol/errors.ts';
import type { ActiveProducer } from '../shared-mem/shard-messages.ts';

/** Kafka keeps the last five batches per producer: a client has at most five in flight. */
export const BATCHES_KEPT_PER_PRODUCER = 5;

export const NO_PRODUCER_ID = -1n;

/*
 * Snapshot file, `producer-state.json` in the partition directory, version 2:
 *   { "version": 2, "endOffset": "<log end offset it covers>",
 *     "producers": [ { "id": "<bigint>", "epoch": n, "lastTimestamp": "<ms>", "coordinatorEpoch": n,
 *                      "txnFirstOffset": "<first offset of the ongoing transaction>" | null,
 *                      "batches": [ { "firstSeq": n, "lastSeq": n, "baseOffset": "..", "lastOffset": ".." } ] } ],
 *     "txnIndexes": { "<segment base>": <bytes of its .txnindex> } }
 * Written atomically (temp file + rename) at clean close and deleted at open, so it is never
 * trusted for a log that grew after it, nor when a .txnindex it lists is missing or shorter (the
 * log is then replayed whole, which rebuilds every .txnindex). Version 1 (written before
 * transactions: no transaction fields, no .txnindex files) is read as having no ongoing
 * transaction, so an upgrade does not replay every log.
 */
export const PRODUCER_SNAPSHOT_VERSION = 2;
export const PRODUCER_SNAPSHOT_FILE = 'producer-state.json';

interface BatchMark {
  firstSeq: number;
  lastSeq: number;
  baseOffset: bigint;
  lastOffset: bigint;
}

interface ProducerEntry {
  epoch: number;
  lastTimestamp: bigint;
  batches: BatchMark[];
  /** True after a marker created or re-epoched the entry: the next batch must start at sequence 0. */
  markerOnly: boolean;
  /** The coordinator epoch of the last marker written for this producer (-1: none yet). */
  coordinatorEpoch: number;
  /** First offset of the producer's ongoing transaction in this partition, null when none. */
  txnFirstOffset: bigint | null;
}

export interface BatchIdentity {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  /** lastOffsetDelta: the batch covers sequences baseSequence .. baseSequence + count - 1. */
  lastOffsetDelta: number;
  /** Attribute bit 4: the batch belongs to a transaction. */
  transactional?: boolean;
}

/** A transaction a marker ended, as the .txnindex and the LSO need it. */
export interface CompletedTxn {
  producerId: bigint;
  firstOffset: bigint;
  /** The marker's offset. */
  lastOffset: bigint;
  aborted: boolean;
}

export type MarkerCheck = { ok: true } | { ok: false; errorCode: number; message: string };

export type SequenceCheck =
  | { kind: 'append' }
  | { kind: 'duplicate'; baseOffset: bigint; lastOffset: bigint }
  | { kind: 'error'; errorCode: number; message: string };

const INT32_MAX = 0x7fffffff;

/** Sequence numbers wrap from Int32.MAX to 0, as in Kafka. */
function nextSequence(seq: number, by = 1): number {
  return (seq + by) % (INT32_MAX + 1);
}

export class ProducerStateTable {
  readonly #producers = new Map<bigint, ProducerEntry>();
  /** Producers with an ongoing transaction, and its first offset: the LSO is the least of these. */
  readonly #ongoing = new Map<bigint, bigint>();

  get size(): number {
    return this.#producers.size;
  }

  /**
   * Decides what to do with one batch, before it is appended. Mirrors Kafka's checks for
   * idempotent producers: an older epoch is fenced, a new epoch starts at sequence 0, a batch
   * seen among the last five is a duplicate, anything else must follow the last sequence.
   */
  check(batch: BatchIdentity): SequenceCheck {
    if (batch.producerId === NO_PRODUCER_ID) return { kind: 'append' };
    const firstSeq = batch.baseSequence;
    const lastSeq = nextSequence(firstSeq, batch.lastOffsetDelta);
    const entry = this.#producers.get(batch.producerId);
    if (!entry) {
      if (firstSeq !== 0) {
        return { kind: 'error', errorCode: ErrorCode.UNKNOWN_PRODUCER_ID, message: `unknown producer ${batch.producerId} sent sequence ${firstSeq}` };
      }
      return this.#checkTxnState(batch, entry);
    }
    if (batch.producerEpoch < entry.epoch) {
      return { kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, message: `producer ${batch.producerId} epoch ${batch.producerEpoch} is older than ${entry.epoch}` };
    }
    if (batch.producerEpoch > entry.epoch) {
      if (firstSeq !== 0) {
        return { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `new epoch ${batch.producerEpoch} of producer ${batch.producerId} must start at sequence 0, not ${firstSeq}` };
      }
      return this.#checkTxnState(batch, entry);
    }
    for (const b of entry.batches) {
      if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) return { kind: 'duplicate', baseOffset: b.baseOffset, lastOffset: b.lastOffset };
    }
    const last = entry.batches.at(-1);
    // A marker that bumped the epoch left no batches: the new epoch starts at sequence 0
    // (ProducerAppendInfo.checkSequence: the last sequence is then -1).
    const expected = last ? nextSequence(last.lastSeq) : entry.markerOnly ? 0 : firstSeq;
    if (firstSeq !== expected) {
      return { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `producer ${batch.producerId} sent sequence ${firstSeq}, expected ${expected}` };
    }
    return this.#checkTxnState(batch, entry);
  }

  /** Kafka refuses a non-transactional batch from a producer whose transaction is ongoing (ProducerAppendInfo.appendDataBatch). */
  #checkTxnState(batch: BatchIdentity, entry: ProducerEntry | undefined): SequenceCheck {
    if (entry?.txnFirstOffset != null && batch.transactional !== true) {
      return { kind: 'error', errorCode: ErrorCode.INVALID_TXN_STATE, message: `Expected transactional write from producer ${batch.producerId}` };
    }
    return { kind: 'append' };
  }

  /**
   * Whether a marker may be written for a producer: an older producer epoch is
   * INVALID_PRODUCER_EPOCH, an older coordinator epoch TRANSACTION_COORDINATOR_FENCED
   * (ProducerAppendInfo.appendEndTxnMarker, origin COORDINATOR).
   */
  checkMarker(producerId: bigint, producerEpoch: number, coordinatorEpoch: number): MarkerCheck {
    const entry = this.#producers.get(producerId);
    if (!entry) return { ok: true };
    if (producerEpoch < entry.epoch) {
      return { ok: false, errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, message: `marker for producer ${producerId} at epoch ${producerEpoch}, which is smaller than the last seen epoch ${entry.epoch}` };
    }
    if (coordinatorEpoch < entry.coordinatorEpoch) {
      return { ok: false, errorCode: ErrorCode.TRANSACTION_COORDINATOR_FENCED, message: `marker for producer ${producerId} from coordinator epoch ${coordinatorEpoch}, older than ${entry.coordinatorEpoch}` };
    }
    return { ok: true };
  }

  /**
   * Records a marker written (live, or replayed) at `offset`: the producer's ongoing transaction
   * ends, its epoch becomes the marker's. Returns the transaction it ended, null when the producer
   * had none here (an empty transaction leaves no .txnindex entry and does not move the LSO).
   */
  recordMarker(producerId: bigint, producerEpoch: number, coordinatorEpoch: number, commit: boolean, offset: bigint, timestamp: bigint): CompletedTxn | null {
    let entry = this.#producers.get(producerId);
    if (!entry) {
      entry = { epoch: producerEpoch, lastTimestamp: timestamp, batches: [], coordinatorEpoch, txnFirstOffset: null, markerOnly: true };
      this.#producers.set(producerId, entry);
    }
    const completed = entry.txnFirstOffset === null ? null : { producerId, firstOffset: entry.txnFirstOffset, lastOffset: offset, aborted: !commit };
    if (producerEpoch !== entry.epoch) {
      entry.epoch = producerEpoch;
      entry.batches = [];
      entry.markerOnly = true;
    }
    entry.coordinatorEpoch = coordinatorEpoch;
    entry.txnFirstOffset = null;
    entry.lastTimestamp = timestamp;
    this.#ongoing.delete(producerId);
    return completed;
  }

  /** The first offset of the oldest ongoing transaction, or null when none is open. */
  firstUnstableOffset(): bigint | null {
    let least: bigint | null = null;
    for (const first of this.#ongoing.values()) if (least === null || first < least) least = first;
    return least;
  }

  /** The LSO for a log whose published end is `highWatermark`: the oldest ongoing transaction's start, else the HWM. */
  lastStableOffset(highWatermark: bigint, logStartOffset: bigint): bigint {
    const first = this.firstUnstableOffset();
    if (first === null || first >= highWatermark) return highWatermark;
    return first < logStartOffset ? logStartOffset : first;
  }

  /** The ongoing transactions: producer id -> first offset. */
  ongoingTransactions(): ReadonlyMap<bigint, bigint> {
    return this.#ongoing;
  }

  /** The active producers, for DescribeProducers: id, epoch, last sequence and last append time. */
  describe(): ActiveProducer[] {
    return [...this.#producers].map(([producerId, e]) => ({
      producerId, producerEpoch: e.epoch, lastSequence: e.batches.at(-1)?.lastSeq ?? -1, lastTimestamp: e.lastTimestamp,
      coordinatorEpoch: e.coordinatorEpoch, currentTxnStartOffset: e.txnFirstOffset ?? -1n,
    }));
  }

  /** The last batch (its last offset) of each producer: the cleaner keeps these batches, even emptied. */
  lastBatchOffsets(): Map<bigint, bigint> {
    const out = new Map<bigint, bigint>();
    for (const [id, e] of this.#producers) {
      const last = e.batches.at(-1);
      if (last) out.set(id, last.lastOffset);
    }
    return out;
  }

  /**
   * Producers whose entry holds no data batch since a marker set its epoch, with that epoch: the
   * cleaner keeps their markers of that epoch (emptied at most), as Kafka's isBatchLastRecordOfProducer.
   */
  markerOnlyEpochs(): Map<bigint, number> {
    const out = new Map<bigint, number>();
    for (const [id, e] of this.#producers) if (e.batches.length === 0) out.set(id, e.epoch);
    return out;
  }

  /** Records an appended batch (live, or replayed from the log). */
  record(batch: BatchIdentity, baseOffset: bigint, lastOffset: bigint, timestamp: bigint): void {
    if (batch.producerId === NO_PRODUCER_ID) return;
    let entry = this.#producers.get(batch.producerId);
    if (!entry || batch.producerEpoch > entry.epoch) {
      entry = { epoch: batch.producerEpoch, lastTimestamp: timestamp, batches: [], markerOnly: false, coordinatorEpoch: entry?.coordinatorEpoch ?? -1, txnFirstOffset: entry?.txnFirstOffset ?? null };
      this.#producers.set(batch.producerId, entry);
    }
    entry.markerOnly = false;
    entry.lastTimestamp = timestamp;
    if (batch.transactional === true && entry.txnFirstOffset === null) {
      // Began a transaction: the LSO stays at its first offset until a marker ends it.
      entry.txnFirstOffset = baseOffset;
      this.#ongoing.set(batch.producerId, baseOffset);
    }
    entry.batches.push({ firstSeq: batch.baseSequence, lastSeq: nextSequence(batch.baseSequence, batch.lastOffsetDelta), baseOffset, lastOffset });
    if (entry.batches.length > BATCHES_KEPT_PER_PRODUCER) entry.batches.shift();
  }

  /** Forgets producers idle longer than Kafka's producer.id.expiration.ms (default one day). */
  expire(nowMs: bigint, expirationMs: bigint): void {
    // A producer with an ongoing transaction is kept, as Kafka keeps it (removeExpiredProducers).
    for (const [id, entry] of this.#producers) if (entry.txnFirstOffset === null && nowMs - entry.lastTimestamp > expirationMs) this.#producers.delete(id);
  }

  /** Writes the snapshot for a log that ends at `endOffset`. */
  writeSnapshot(partitionDir: string, endOffset: bigint, txnIndexes: Record<string, number> = {}): void {
    const body = {
      version: PRODUCER_SNAPSHOT_VERSION,
      endOffset: String(endOffset),
      txnIndexes,
      producers: [...this.#producers].map(([id, e]) => ({
        id: String(id), epoch: e.epoch, lastTimestamp: String(e.lastTimestamp), coordinatorEpoch: e.coordinatorEpoch, markerOnly: e.markerOnly,
        txnFirstOffset: e.txnFirstOffset === null ? null : String(e.txnFirstOffset),
        batches: e.batches.map((b) => ({ firstSeq: b.firstSeq, lastSeq: b.lastSeq, baseOffset: String(b.baseOffset), lastOffset: String(b.lastOffset) })),
      })),
    };
    const file = path.join(partitionDir, PRODUCER_SNAPSHOT_FILE);
    writeFileSync(`${file}.tmp`, JSON.stringify(body));
    renameSync(`${file}.tmp`, file);
  }

  /**
   * Loads and removes the snapshot. Returns the offset from which the log must still be replayed:
   * the snapshot's end, or 0 when there is none or it does not fit the log (then state is rebuilt
   * from every batch).
   */
  static loadSnapshot(
    partitionDir: string, logStartOffset: bigint, logEndOffset: bigint, txnIndexesMatch: (sizes: Record<string, number>) => boolean = () => true,
  ): { table: ProducerStateTable; replayFrom: bigint } {
    const table = new ProducerStateTable();
    const file = path.join(partitionDir, PRODUCER_SNAPSHOT_FILE);
    let raw: string;
    try {
      raw = readFileSync(file, 'utf8');
    } catch {
      return { table, replayFrom: logStartOffset };
    }
    rmSync(file, { force: true });
    try {
      const body = JSON.parse(raw) as {
        version: number; endOffset: string; txnIndexes?: Record<string, number>;
        producers: {
          id: string; epoch: number; lastTimestamp: string; coordinatorEpoch?: number; markerOnly?: boolean; txnFirstOffset?: string | null;
          batches: { firstSeq: number; lastSeq: number; baseOffset: string; lastOffset: string }[];
        }[];
      };
      const endOffset = BigInt(body.endOffset);
      if ((body.version !== PRODUCER_SNAPSHOT_VERSION && body.version !== 1) || endOffset > logEndOffset || endOffset < logStartOffset) return { table, replayFrom: logStartOffset };
      if (!txnIndexesMatch(body.txnIndexes ?? {})) return { table, replayFrom: logStartOffset };
      for (const p of body.producers) {
        const id = BigInt(p.id);
        const txnFirstOffset = p.txnFirstOffset == null ? null : BigInt(p.txnFirstOffset);
        table.#producers.set(id, {
          epoch: p.epoch, lastTimestamp: BigInt(p.lastTimestamp), coordinatorEpoch: p.coordinatorEpoch ?? -1, markerOnly: p.markerOnly ?? false, txnFirstOffset,
          batches: p.batches.map((b) => ({ firstSeq: b.firstSeq, lastSeq: b.lastSeq, baseOffset: BigInt(b.baseOffset), lastOffset: BigInt(b.lastOffset) })),
        });
        if (txnFirstOffset !== null) table.#ongoing.set(id, txnFirstOffset);
      }
      return { table, replayFrom: endOffset };
    } catch {
      return { table: new ProducerStateTable(), replayFrom: logStartOffset };
    }
  }
}
