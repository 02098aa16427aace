// Idempotent-producer state of one partition, kept by its shard: per producer id the epoch and the
// sequence ranges of the last five batches, so a retried batch is answered with its original
// offsets instead of being appended twice (Kafka's ProducerStateManager, without transactions).
// Rebuilt at open from a snapshot written at clean close plus the batches after it in the log.
import { readFileSync, writeFileSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { ErrorCode } from '../protocol/errors.ts';
import type { ActiveProducer } from '../shared-mem/shard-messages.ts';

/** Kafka keeps the last five batches per producer: a client has at most five in flight. */
export const BATCHES_KEPT_PER_PRODUCER = 5;

export const NO_PRODUCER_ID = -1n;

/*
 * Snapshot file, `producer-state.json` in the partition directory, version 1:
 *   { "version": 1, "endOffset": "<log end offset it covers>",
 *     "producers": [ { "id": "<bigint>", "epoch": n, "lastTimestamp": "<ms>",
 *                      "batches": [ { "firstSeq": n, "lastSeq": n, "baseOffset": "..", "lastOffset": ".." } ] } ] }
 * Written atomically (temp file + rename) at clean close and deleted at open, so it is never
 * trusted for a log that grew after it.
 */
export const PRODUCER_SNAPSHOT_VERSION = 1;
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
}

export interface BatchIdentity {
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  /** lastOffsetDelta: the batch covers sequences baseSequence .. baseSequence + count - 1. */
  lastOffsetDelta: number;
}

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
      return { kind: 'append' };
    }
    if (batch.producerEpoch < entry.epoch) {
      return { kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH, message: `producer ${batch.producerId} epoch ${batch.producerEpoch} is older than ${entry.epoch}` };
    }
    if (batch.producerEpoch > entry.epoch) {
      if (firstSeq !== 0) {
        return { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `new epoch ${batch.producerEpoch} of producer ${batch.producerId} must start at sequence 0, not ${firstSeq}` };
      }
      return { kind: 'append' };
    }
    for (const b of entry.batches) {
      if (b.firstSeq === firstSeq && b.lastSeq === lastSeq) return { kind: 'duplicate', baseOffset: b.baseOffset, lastOffset: b.lastOffset };
    }
    const last = entry.batches.at(-1);
    if (last && firstSeq !== nextSequence(last.lastSeq)) {
      return { kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, message: `producer ${batch.producerId} sent sequence ${firstSeq}, expected ${nextSequence(last.lastSeq)}` };
    }
    return { kind: 'append' };
  }

  /** The active producers, for DescribeProducers: id, epoch, last sequence and last append time. */
  describe(): ActiveProducer[] {
    return [...this.#producers].map(([producerId, e]) => ({
      producerId, producerEpoch: e.epoch, lastSequence: e.batches.at(-1)?.lastSeq ?? -1, lastTimestamp: e.lastTimestamp,
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

  /** Records an appended batch (live, or replayed from the log). */
  record(batch: BatchIdentity, baseOffset: bigint, lastOffset: bigint, timestamp: bigint): void {
    if (batch.producerId === NO_PRODUCER_ID) return;
    let entry = this.#producers.get(batch.producerId);
    if (!entry || batch.producerEpoch > entry.epoch) {
      entry = { epoch: batch.producerEpoch, lastTimestamp: timestamp, batches: [] };
      this.#producers.set(batch.producerId, entry);
    }
    entry.lastTimestamp = timestamp;
    entry.batches.push({ firstSeq: batch.baseSequence, lastSeq: nextSequence(batch.baseSequence, batch.lastOffsetDelta), baseOffset, lastOffset });
    if (entry.batches.length > BATCHES_KEPT_PER_PRODUCER) entry.batches.shift();
  }

  /** Forgets producers idle longer than Kafka's producer.id.expiration.ms (default one day). */
  expire(nowMs: bigint, expirationMs: bigint): void {
    for (const [id, entry] of this.#producers) if (nowMs - entry.lastTimestamp > expirationMs) this.#producers.delete(id);
  }

  /** Writes the snapshot for a log that ends at `endOffset`. */
  writeSnapshot(partitionDir: string, endOffset: bigint): void {
    const body = {
      version: PRODUCER_SNAPSHOT_VERSION,
      endOffset: String(endOffset),
      producers: [...this.#producers].map(([id, e]) => ({
        id: String(id), epoch: e.epoch, lastTimestamp: String(e.lastTimestamp),
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
  static loadSnapshot(partitionDir: string, logStartOffset: bigint, logEndOffset: bigint): { table: ProducerStateTable; replayFrom: bigint } {
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
      const body = JSON.parse(raw) as { version: number; endOffset: string; producers: { id: string; epoch: number; lastTimestamp: string; batches: { firstSeq: number; lastSeq: number; baseOffset: string; lastOffset: string }[] }[] };
      const endOffset = BigInt(body.endOffset);
      if (body.version !== PRODUCER_SNAPSHOT_VERSION || endOffset > logEndOffset || endOffset < logStartOffset) return { table, replayFrom: logStartOffset };
      for (const p of body.producers) {
        table.#producers.set(BigInt(p.id), {
          epoch: p.epoch, lastTimestamp: BigInt(p.lastTimestamp),
          batches: p.batches.map((b) => ({ firstSeq: b.firstSeq, lastSeq: b.lastSeq, baseOffset: BigInt(b.baseOffset), lastOffset: BigInt(b.lastOffset) })),
        });
      }
      return { table, replayFrom: endOffset };
    } catch {
      return { table: new ProducerStateTable(), replayFrom: logStartOffset };
    }
  }
}
