// What a ShardCore is given and the small pieces of its answers: the clock, the options, control
// outcomes, Kafka's codes for refused batches, and the leader epoch stamped into stored batches.
import type { Logger } from 'pino';
import type { FsyncPolicy } from '../config.ts';
import { ErrorCode } from '../protocol/errors.ts';
import type { LogConfig } from '../segments/log-config.ts';
import { NO_OFFSET, encodeAppendCompletion, type ControlResultBody, type OpenPartitionRequest } from '../shared-mem/shard-messages.ts';
import type { ShardStats } from '../shared-mem/shard-stats.ts';
import type { WatermarkWriter } from '../shared-mem/watermarks.ts';
import type { PartitionLog } from '../wal/partition-log.ts';
import { recompressBatchAsync } from '../protocol/recompress.ts';
import type { CleanJob } from '../segments/cleaner.ts';
import type { CleanerRun } from './cleaner-pool.ts';
import type { CompressedValidator, Recompressor } from './parked-appends.ts';

export interface ShardClock {
  /** Wall-clock milliseconds since the epoch: LogAppendTime, retention by time. */
  wallMs(): bigint;
  /** Monotonic milliseconds: when the interval fsync and the retention check are due. */
  monotonicMs(): number;
}

export const systemClock: ShardClock = {
  wallMs: () => BigInt(Date.now()),
  monotonicMs: () => performance.now(),
};

export interface ShardCoreOptions {
  /** This shard's side of the watermark table; it stores only into the slots of partitions it opened. */
  watermarks: WatermarkWriter;
  /** Opens (creating or recovering) the log of a partition this shard is told to own. */
  openLog: (request: OpenPartitionRequest, config: LogConfig) => PartitionLog;
  clock: ShardClock;
  logger: Logger;
  fsync: FsyncPolicy;
  retentionCheckMs: number;
  stats: ShardStats;
  /** Takes each completion, in request order, once the commit that makes it true is done. */
  sendCompletion: (completion: Uint8Array) => void;
  /** Checks a compressed batch's records off the shard's thread; validateCompressedBatch unless a test says otherwise. */
  validateCompressed?: CompressedValidator;
  /** Rebuilds a batch with the topic's compression.type off the shard's thread; recompressBatchAsync unless a test says otherwise. */
  recompress?: Recompressor;
  /** Called when a result of validateCompressed or recompress is ready to apply: the worker wakes its loop. */
  onPoolResult?: () => void;
  /** Called when a group commit's sync settles, so commit() can finish it: the worker wakes its loop. */
  onCommitSettled?: () => void;
  /**
   * The log cleaner (cleanup.policy=compact): how often partitions are checked (log.cleaner.backoff.ms),
   * whether it runs at all (log.cleaner.enable), and where cleaned files are built (the cleaner
   * thread; cleanSegments on this thread when a test gives none).
   */
  cleaner?: { enabled: boolean; backoffMs: number; run?: (job: Omit<CleanJob, 'throttle'>) => Promise<CleanerRun> };
  /**
   * Milliseconds of partition opens per loop turn (OPEN_BUDGET_MS unless a test says otherwise):
   * past it, opens wait in a queue and run a slice per turn, between drains (shard.ts).
   */
  openBudgetMs?: number;
}

/**
 * Opening a new partition costs ~2-3 ms of synchronous file creation on this class of machine
 * (mkdir and four creates, ~0.5-0.8 ms each; docs/notes/produce-path.md): a 1,000-partition
 * CreateTopics would hold the shard for seconds. Opens beyond this much per loop turn wait.
 */
export const OPEN_BUDGET_MS = 8;

export interface ControlOutcome {
  errorCode: number;
  offset: bigint;
  body: ControlResultBody | null;
}

export const DONE: ControlOutcome = { errorCode: ErrorCode.NONE, offset: NO_OFFSET, body: null };

export function refused(errorCode: number): ControlOutcome {
  return { errorCode, offset: NO_OFFSET, body: null };
}

export const BATCH_ERROR_CODES = {
  CORRUPT_MESSAGE: ErrorCode.CORRUPT_MESSAGE,
  INVALID_RECORD: ErrorCode.INVALID_RECORD,
  // Kafka answers a pre-v2 batch in a v3+ produce with INVALID_RECORD.
  UNSUPPORTED_MAGIC: ErrorCode.INVALID_RECORD,
} as const;

/**
 * The leader epoch stamped into every stored batch. One node is the leader of every partition from
 * its creation and never loses it, so the epoch is 0, as Kafka stamps on a single node (the
 * differential suite compares the stored batches).
 */
export const PARTITION_LEADER_EPOCH = 0;

export function failedAppend(requestId: number, errorCode: number, errorMessage: string, logStartOffset = -1n): Uint8Array {
  return encodeAppendCompletion({ requestId, errorCode, baseOffset: -1n, logAppendTime: -1n, logStartOffset, recordCount: 0, bytes: 0, errorMessage });
}


/** The pool's rebuild of a batch for a topic's compression.type, stamped with this node's epoch. */
export const recompressToTarget: Recompressor = (batch, target) =>
  recompressBatchAsync(batch, { codec: target.codec, level: target.level, partitionLeaderEpoch: PARTITION_LEADER_EPOCH, keyRequired: target.keyRequired === true });
