// The durable log of the transaction coordinator's state: an internal, compacted partition owned by
// one shard, written through the same append, fsync and recovery code as every topic's log (like
// the committed-offsets log), fsynced before a state transition is acknowledged, and replayed at
// start-up. Each record is the whole state of one transactional id after a transition, as Kafka's
// __transaction_state keeps it, so the last record per id is all replay needs.
//
// Record layout (format version TXN_LOG_FORMAT; a change bumps it):
//
//   key   = JSON [TXN_LOG_FORMAT, "txn", transactionalId]
//   value = JSON { producerId: "<bigint>", previousProducerId: "<bigint>", producerEpoch: int,
//                  lastProducerEpoch: int, timeoutMs: int, state: TxnStateName,
//                  partitions: [[topic, partition], ...], groups: [groupId, ...],
//                  pendingOffsets: [[group, topic, partition, "<offset>", leaderEpoch, metadata], ...],
//                  startTimestamp: "<ms>", updateTimestamp: "<ms>" }
//         | null                     tombstone: the transactional id expired
import type { Logger } from 'pino';
import { buildRecordBatch } from '../protocol/records.ts';
import { compactedInternalLogConfig, replayKnown, type InternalLog } from '../metadata/internal-log.ts';
import { RESERVED_TOPIC_PREFIX } from '../metadata/cluster-metadata.ts';

export const TRANSACTION_TOPIC = `${RESERVED_TOPIC_PREFIX}_transaction_state`;
export const TXN_LOG_FORMAT = 1;

/** Kafka's TransactionState names, as DescribeTransactions and ListTransactions show them. */
export type TxnStateName = 'Empty' | 'Ongoing' | 'PrepareCommit' | 'PrepareAbort' | 'CompleteCommit' | 'CompleteAbort' | 'PrepareEpochFence' | 'Dead';
export const TXN_STATE_NAMES: readonly TxnStateName[] = ['Empty', 'Ongoing', 'PrepareCommit', 'PrepareAbort', 'CompleteCommit', 'CompleteAbort', 'PrepareEpochFence', 'Dead'];

export interface PendingTxnOffset {
  group: string;
  topic: string;
  partition: number;
  offset: bigint;
  leaderEpoch: number;
  metadata: string | null;
}

/** The durable part of one transactional id's state. */
export interface TxnRecord {
  transactionalId: string;
  producerId: bigint;
  previousProducerId: bigint;
  producerEpoch: number;
  lastProducerEpoch: number;
  timeoutMs: number;
  state: TxnStateName;
  partitions: [string, number][];
  groups: string[];
  pendingOffsets: PendingTxnOffset[];
  startTimestamp: bigint;
  updateTimestamp: bigint;
}

/** One change: the new state of an id, or its removal (`record: null`). */
export interface TxnLogEntry {
  transactionalId: string;
  record: TxnRecord | null;
}

/** Where the coordinator writes its transitions; the broker gives it a TransactionLog, unit tests a fake. */
export interface TxnStore {
  /** Resolves once the entries are durable (fsynced); rejects when they could not be written. */
  append(entries: readonly TxnLogEntry[]): Promise<void>;
}

export function encodeTxnEntry(entry: TxnLogEntry): { key: Buffer; value: Buffer | null } {
  const key = Buffer.from(JSON.stringify([TXN_LOG_FORMAT, 'txn', entry.transactionalId]));
  const r = entry.record;
  if (r === null) return { key, value: null };
  return {
    key,
    value: Buffer.from(JSON.stringify({
      producerId: String(r.producerId), previousProducerId: String(r.previousProducerId), producerEpoch: r.producerEpoch,
      lastProducerEpoch: r.lastProducerEpoch, timeoutMs: r.timeoutMs, state: r.state, partitions: r.partitions, groups: r.groups,
      pendingOffsets: r.pendingOffsets.map((o) => [o.group, o.topic, o.partition, String(o.offset), o.leaderEpoch, o.metadata]),
      startTimestamp: String(r.startTimestamp), updateTimestamp: String(r.updateTimestamp),
    })),
  };
}

interface EncodedValue {
  producerId: string; previousProducerId: string; producerEpoch: number; lastProducerEpoch: number; timeoutMs: number;
  state: TxnStateName; partitions: [string, number][]; groups: string[];
  pendingOffsets: [string, string, number, string, number, string | null][]; startTimestamp: string; updateTimestamp: string;
}

/** Returns undefined for a record this version does not know (skipped, with a warning by the caller). */
export function decodeTxnEntry(key: Buffer | null, value: Buffer | null): TxnLogEntry | undefined {
  if (key === null) return undefined;
  const k = JSON.parse(key.toString('utf8')) as unknown[];
  if (!Array.isArray(k) || k[0] !== TXN_LOG_FORMAT || k[1] !== 'txn' || typeof k[2] !== 'string') return undefined;
  const transactionalId = k[2];
  if (value === null) return { transactionalId, record: null };
  const v = JSON.parse(value.toString('utf8')) as EncodedValue;
  if (!TXN_STATE_NAMES.includes(v.state)) return undefined;
  return {
    transactionalId,
    record: {
      transactionalId, producerId: BigInt(v.producerId), previousProducerId: BigInt(v.previousProducerId), producerEpoch: v.producerEpoch,
      lastProducerEpoch: v.lastProducerEpoch, timeoutMs: v.timeoutMs, state: v.state, partitions: v.partitions, groups: v.groups,
      pendingOffsets: v.pendingOffsets.map(([group, topic, partition, offset, leaderEpoch, metadata]) =>
        ({ group, topic, partition, offset: BigInt(offset), leaderEpoch, metadata })),
      startTimestamp: BigInt(v.startTimestamp), updateTimestamp: BigInt(v.updateTimestamp),
    },
  };
}

export class TransactionLog implements TxnStore {
  readonly #log: InternalLog;
  readonly #logger: Logger;

  constructor(log: InternalLog, logger: Logger) {
    this.#log = log;
    this.#logger = logger;
  }

  /** Compacted like Kafka's __transaction_state; time and size retention off (they would forget live ids). */
  static readonly LOG_CONFIG = compactedInternalLogConfig(8 * 1024 * 1024);


  async open(): Promise<void> {
    await this.#log.open();
  }

  async replay(apply: (entry: TxnLogEntry) => void): Promise<number> {
    return replayKnown(this.#log, decodeTxnEntry, apply, this.#logger, 'transaction log');
  }

  async append(entries: readonly TxnLogEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const records = entries.map((e) => ({ ...encodeTxnEntry(e), headers: [] }));
    await this.#log.append([buildRecordBatch({ baseTimestamp: BigInt(Date.now()), records })]);
  }

  async close(): Promise<void> {
    await this.#log.close();
  }
}
