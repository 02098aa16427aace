// One partition as its owning shard holds it: the open log, its settings, its idempotent-producer
// state, and what this drain staged for it; opened with producer state recovered, closed cleanly.
import type { Logger } from 'pino';
import { readBaseSequence, readLastOffsetDelta, readProducerEpoch, readProducerId } from '../protocol/record-batch.ts';
import type { LogConfig } from '../segments/log-config.ts';
import type { OpenPartitionRequest } from '../shared-mem/shard-messages.ts';
import type { PartitionLog } from '../wal/partition-log.ts';
import { loadCleanerState, type CleanerState } from './compaction.ts';
import { compressionTargetOf } from './log-config.ts';
import type { CompressionTarget, ParkedAppend } from './parked-appends.ts';
import { ProducerStateTable, type BatchIdentity } from './producer-state.ts';

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
  stagedCompletions: { index: number; requestId: number }[];
  /** Appends waiting, in arrival order, behind a compressed batch being checked off the thread. */
  parked: ParkedAppend[];
  /** The log cleaner's progress on this partition (compacted topics). */
  cleaner: CleanerState;
}

export function batchIdentity(buf: Buffer, at: number): BatchIdentity {
  return { producerId: readProducerId(buf, at), producerEpoch: readProducerEpoch(buf, at), baseSequence: readBaseSequence(buf, at), lastOffsetDelta: readLastOffsetDelta(buf, at) };
}

/** Producer state from the snapshot a clean close left, plus every batch after it in the log. */
export function recoverProducerState(partitionLog: PartitionLog): ProducerStateTable {
  const { table, replayFrom } = ProducerStateTable.loadSnapshot(partitionLog.partitionDir, partitionLog.logStartOffset, partitionLog.logEndOffset);
  if (replayFrom < partitionLog.logEndOffset) {
    partitionLog.forEachBatchSync(replayFrom, (frame, info) => {
      if (info.baseOffset < replayFrom) return;
      const identity = batchIdentity(frame, 0);
      if (identity.producerId >= 0n) table.record(identity, info.baseOffset, info.lastOffset, info.maxTimestamp);
    });
  }
  return table;
}

export function ownPartition(request: OpenPartitionRequest, config: LogConfig, log: PartitionLog): OwnedPartition {
  return {
    slot: request.slot, topic: request.topic, partition: request.partition, request, config, log,
    compression: compressionTargetOf(request.config),
    producers: recoverProducerState(log),
    announcedSegments: log.segmentsVersion,
    stagedCompletions: [],
    parked: [],
    cleaner: loadCleanerState(log.partitionDir),
  };
}

/** Closes a log cleanly, leaving the producer-state snapshot beside it. */
export function closeOwned(owned: OwnedPartition, logger: Logger): void {
  owned.log.close();
  // After a failed write the table may list batches that never reached the log; without a
  // snapshot the next open rebuilds it from the log itself.
  if (owned.log.offline) return;
  try {
    owned.producers.writeSnapshot(owned.log.partitionDir, owned.log.logEndOffset);
  } catch (err) {
    logger.warn({ err, topic: owned.topic, partition: owned.partition }, 'could not write the producer-state snapshot; it will be rebuilt from the log');
  }
}
