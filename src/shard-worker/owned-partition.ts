// One partition as its owning shard holds it: the open log, its settings, its producer state
// (idempotence and ongoing transactions), and what this drain staged for it; opened with producer
// state (and the .txnindex files) recovered from the log, closed cleanly.
import type { Logger } from 'pino';
import { readEndTxnMarker } from '../protocol/control-records.ts';
import { ATTRIBUTE_CONTROL, ATTRIBUTE_TRANSACTIONAL, readAttributes, readBaseSequence, readLastOffsetDelta, readProducerEpoch, readProducerId } from '../protocol/record-batch.ts';
import type { AbortedTxn } from '../segments/txn-index.ts';
import type { LogConfig } from '../segments/log-config.ts';
import type { OpenPartitionRequest } from '../shared-mem/shard-messages.ts';
import type { PartitionLog } from '../wal/partition-log.ts';
import { loadCleanerState, type CleanerState } from './compaction.ts';
import { compressionTargetOf } from './log-config.ts';
import type { CompressionTarget, ParkedAppend } from './parked-appends.ts';
import { ProducerStateTable, type BatchIdentity } from './producer-state.ts';
import type { RemoteRecord } from '../segments/remote-record.ts';
import { loadRemoteRecord } from './tiering.ts';

export interface OwnedPartition {
  slot: number;
  topic: string;
  partition: number;
  /** The request that opened it, kept to reopen the log with new settings. */
  request: OpenPartitionRequest;
  config: LogConfig;
  /** The topic's compression.type; null (producer) stores batches as they came. */
  compression: CompressionTarget | null;
  log: PartitionLog;
  producers: ProducerStateTable;
  /** The log's segmentsVersion last announced through the slot's segment epoch. */
  announcedSegments: number;
  /** This drain's successful appends still staged, by their place in the drain's completions. */
  stagedCompletions: { index: number; requestId: number; marker?: boolean }[];
  /** Appends waiting, in arrival order, behind a compressed batch being checked off the thread. */
  parked: ParkedAppend[];
  /** The log cleaner's progress on this partition (compacted topics). */
  cleaner: CleanerState;
  /** Tiered storage: the remote record (tiering.ts); null when the topic is not remote-enabled. */
  remote: RemoteRecord | null;
}

export function batchIdentity(buf: Buffer, at: number): BatchIdentity {
  return {
    producerId: readProducerId(buf, at), producerEpoch: readProducerEpoch(buf, at), baseSequence: readBaseSequence(buf, at), lastOffsetDelta: readLastOffsetDelta(buf, at),
    transactional: (readAttributes(buf, at) & ATTRIBUTE_TRANSACTIONAL) !== 0,
  };
}

/**
 * Producer state from the snapshot a clean close left, plus every batch after it in the log,
 * markers included (they end transactions and may bump epochs). Without a trusted snapshot the
 * whole log is replayed, and the .txnindex files are rewritten from what the replay found: after
 * any unclean stop they say exactly what the log says, whatever was or was not written of them.
 */
export function recoverProducerState(partitionLog: PartitionLog, logger?: Logger): ProducerStateTable {
  const sizesMatch = (sizes: Record<string, number>): boolean => {
    const now = partitionLog.txnIndexSizes();
    return Object.keys(sizes).length === Object.keys(now).length && Object.entries(sizes).every(([base, bytes]) => now[base] === bytes);
  };
  const { table, replayFrom } = ProducerStateTable.loadSnapshot(partitionLog.partitionDir, partitionLog.logStartOffset, partitionLog.logEndOffset, sizesMatch);
  if (replayFrom < partitionLog.logEndOffset) {
    const aborted: AbortedTxn[] = [];
    partitionLog.forEachBatchSync(replayFrom, (frame, info) => {
      if (info.baseOffset < replayFrom) return;
      const identity = batchIdentity(frame, 0);
      if (identity.producerId < 0n) return;
      if ((readAttributes(frame, 0) & ATTRIBUTE_CONTROL) !== 0) {
        const marker = readEndTxnMarker(frame, 0);
        if (marker === null) return;
        const completed = table.recordMarker(identity.producerId, identity.producerEpoch, marker.coordinatorEpoch, marker.commit, info.baseOffset, info.maxTimestamp);
        if (completed?.aborted) {
          const lso = table.firstUnstableOffset() ?? completed.lastOffset + 1n;
          aborted.push({ producerId: completed.producerId, firstOffset: completed.firstOffset, lastOffset: completed.lastOffset, lastStableOffset: lso });
        }
        return;
      }
      table.record(identity, info.baseOffset, info.lastOffset, info.maxTimestamp);
    });
    const rewritten = partitionLog.rebuildTxnIndexes(replayFrom, aborted);
    if (rewritten > 0) logger?.warn({ topic: partitionLog.topic, partition: partitionLog.partition, segments: rewritten }, 'recovery rebuilt .txnindex files from the log');
  }
  return table;
}

export function ownPartition(request: OpenPartitionRequest, config: LogConfig, log: PartitionLog, logger?: Logger): OwnedPartition {
  return {
    slot: request.slot, topic: request.topic, partition: request.partition, request, config, log,
    compression: compressionTargetOf(request.config),
    producers: recoverProducerState(log, logger),
    announcedSegments: log.segmentsVersion,
    stagedCompletions: [],
    parked: [],
    cleaner: loadCleanerState(log.partitionDir),
    remote: loadRemoteRecord(log, config),
  };
}

/** Closes a log cleanly, leaving the producer-state snapshot beside it. */
export function closeOwned(owned: OwnedPartition, logger: Logger): void {
  owned.log.close();
  // After a failed write the table may list batches that never reached the log; without a
  // snapshot the next open rebuilds it from the log itself.
  if (owned.log.offline) return;
  try {
    owned.producers.writeSnapshot(owned.log.partitionDir, owned.log.logEndOffset, owned.log.txnIndexSizes());
  } catch (err) {
    logger.warn({ err, topic: owned.topic, partition: owned.partition }, 'could not write the producer-state snapshot; it will be rebuilt from the log');
  }
}
