// A shard worker thread: the only writer of its partitions' logs and watermark slots. It drains its
// request ring, validates and appends every batch waiting there, syncs once per drain when the
// policy asks (group commit), publishes the high watermarks, then completes all those requests.
import { workerData, parentPort } from 'node:worker_threads';
import pino from 'pino';
import type { WorkerInit } from './pool.ts';
import { openShardRings } from '../shared-mem/ring.ts';
import { WatermarkTable, PARTITION_STATE_ONLINE, PARTITION_STATE_RECOVERING, PARTITION_STATE_UNUSED } from '../shared-mem/layout.ts';
import {
  APPEND_FLAG_FORCE_SYNC, MESSAGE_APPEND, decodeRequest, encodeAppendCompletion, encodeControlCompletion,
  type AppendCompletion, type ControlRequest,
} from './messages.ts';
import { PartitionLog, syncAll, type AppendResult } from '../wal/partition-log.ts';
import { logConfigFromTopicConfigs } from './log-config.ts';
import { validateProduceRecords, readLastOffsetDelta, readRecordCount, readAttributes, readProducerId, readProducerEpoch, readBaseSequence, ATTRIBUTE_CONTROL } from '../protocol/record-batch.ts';
import { ProducerStateTable, type BatchIdentity } from './producer-state.ts';
import { ShardStats, APPENDED_BATCHES, DUPLICATE_BATCHES } from '../shared-mem/shard-stats.ts';
import { ErrorCode } from '../protocol/errors.ts';
import type { LogConfig } from '../segments/log-config.ts';

const init = workerData as WorkerInit;
const log = pino({ level: init.logLevel, base: { shard: init.shardId } });
const rings = openShardRings(init.rings);
const watermarks = new WatermarkTable(init.watermarks);
const stats = new ShardStats(init.stats);

/** Syncs the logs together (group commit) and counts it. */
async function timedSyncAll(logs: PartitionLog[]): Promise<void> {
  const began = process.hrtime.bigint();
  await syncAll(logs);
  stats.recordSync(logs.length, process.hrtime.bigint() - began);
}

interface OwnedPartition {
  slot: number;
  topic: string;
  partition: number;
  config: LogConfig;
  log: PartitionLog;
  producers: ProducerStateTable;
  /** The log's segmentsVersion last announced through the slot's segment epoch. */
  announcedSegments: number;
  /** This drain's successful appends still staged, by their place in `completions`. */
  stagedCompletions: { index: number; requestId: number }[];
}

const partitions = new Map<number, OwnedPartition>();
let stopping = false;
let lastIntervalSync = performance.now();
let lastRetentionCheck = performance.now();

/** Completions of the current drain: sent only after the commit that makes them true. */
const completions: Uint8Array[] = [];
/** Partitions appended to in the current drain, whose watermarks are published after the commit. */
const touched = new Set<OwnedPartition>();
/** Partitions with batches staged in the current drain, written by flushStaged before the ring space is released. */
const staging = new Set<OwnedPartition>();
let forceSync = false;

function completeAppend(c: AppendCompletion): void {
  completions.push(encodeAppendCompletion(c));
}

function failedAppend(requestId: number, errorCode: number, errorMessage: string): Uint8Array {
  return encodeAppendCompletion({ requestId, errorCode, baseOffset: -1n, logAppendTime: -1n, logStartOffset: -1n, recordCount: 0, bytes: 0, errorMessage });
}

function failAppend(requestId: number, errorCode: number, errorMessage: string): void {
  completions.push(failedAppend(requestId, errorCode, errorMessage));
}

const BATCH_ERROR_CODES = {
  CORRUPT_MESSAGE: ErrorCode.CORRUPT_MESSAGE,
  INVALID_RECORD: ErrorCode.INVALID_RECORD,
  // Kafka answers a pre-v2 batch in a v3+ produce with INVALID_RECORD.
  UNSUPPORTED_MAGIC: ErrorCode.INVALID_RECORD,
} as const;

function batchIdentity(buf: Buffer, at: number): BatchIdentity {
  return { producerId: readProducerId(buf, at), producerEpoch: readProducerEpoch(buf, at), baseSequence: readBaseSequence(buf, at), lastOffsetDelta: readLastOffsetDelta(buf, at) };
}

/** Producer state from the snapshot a clean close left, plus every batch after it in the log. */
function recoverProducerState(partitionLog: PartitionLog): ProducerStateTable {
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

/** Closes a log cleanly, leaving the producer-state snapshot beside it. */
function closeOwned(owned: OwnedPartition): void {
  owned.log.close();
  // After a failed write the table may list batches that never reached the log; without a
  // snapshot the next open rebuilds it from the log itself.
  if (owned.log.offline) return;
  try {
    owned.producers.writeSnapshot(owned.log.partitionDir, owned.log.logEndOffset);
  } catch (err) {
    log.warn({ err, topic: owned.topic, partition: owned.partition }, 'could not write the producer-state snapshot; it will be rebuilt from the log');
  }
}

function handleAppend(requestId: number, slot: number, flags: number, records: Buffer): void {
  const owned = partitions.get(slot);
  if (!owned) {
    failAppend(requestId, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'partition is not open on this shard');
    return;
  }
  // Before the duplicate check: producer state may list batches whose write failed, and a retry
  // of one must not be answered as already written.
  if (owned.log.offline) {
    failAppend(requestId, ErrorCode.KAFKA_STORAGE_ERROR, `partition log ${owned.topic}-${owned.partition} is offline after a failed write`);
    return;
  }
  // Validation happens here, on the shard, so the main thread does no per-batch work. Offsets are
  // assigned only after the whole request validated (DESIGN.md §7 item 7).
  const checked = validateProduceRecords(records);
  if (!checked.ok) {
    log.debug({ topic: owned.topic, partition: owned.partition, reason: checked.reason }, 'rejected produce records');
    failAppend(requestId, BATCH_ERROR_CODES[checked.error], checked.reason);
    return;
  }
  for (const span of checked.batches) {
    if (readAttributes(records, span.offset) & ATTRIBUTE_CONTROL) {
      failAppend(requestId, ErrorCode.INVALID_RECORD, 'Appending control batches from clients is not allowed');
      return;
    }
    if (span.size > owned.config.maxMessageBytes) {
      failAppend(requestId, ErrorCode.MESSAGE_TOO_LARGE, `batch of ${span.size} bytes is larger than max.message.bytes ${owned.config.maxMessageBytes}`);
      return;
    }
  }
  // Idempotent producers: each batch's sequence is checked before anything is appended. A retried
  // batch among the producer's last five is answered with its original offsets and not written.
  const identities = checked.batches.map((span) => batchIdentity(records, span.offset));
  const fresh: number[] = [];
  let firstDuplicate: { baseOffset: bigint } | undefined;
  for (let i = 0; i < identities.length; i++) {
    const verdict = owned.producers.check(identities[i]!);
    if (verdict.kind === 'error') {
      failAppend(requestId, verdict.errorCode, verdict.message);
      return;
    }
    if (verdict.kind === 'duplicate') {
      if (i === 0) firstDuplicate = verdict;
      log.debug({ topic: owned.topic, partition: owned.partition, producerId: String(identities[i]!.producerId), baseOffset: String(verdict.baseOffset) }, 'duplicate batch answered with its original offsets');
    } else {
      fresh.push(i);
    }
  }
  const now = BigInt(Date.now());
  let results: AppendResult[] = [];
  if (fresh.length > 0) {
    try {
      // The ring's bytes are these batches' only copy until the write: staged as views, and
      // written by flushStaged before this drain releases the ring space (one writev per
      // partition per drain). The log assigns offsets and stamps LogAppendTime now.
      results = owned.log.stage(fresh.map((i) => records.subarray(checked.batches[i]!.offset, checked.batches[i]!.offset + checked.batches[i]!.size)), now);
    } catch (err) {
      log.error({ err, topic: owned.topic, partition: owned.partition }, 'append failed');
      failAppend(requestId, ErrorCode.KAFKA_STORAGE_ERROR, (err as Error).message);
      return;
    }
    // stage() leaves at least this request's last batch staged (a roll writes only the ones before).
    staging.add(owned);
    owned.stagedCompletions.push({ index: completions.length, requestId });
    fresh.forEach((batchIndex, i) => owned.producers.record(identities[batchIndex]!, results[i]!.baseOffset, results[i]!.lastOffset, now));
    stats.add(APPENDED_BATCHES, fresh.length);
    touched.add(owned);
  }
  if (fresh.length < identities.length) stats.add(DUPLICATE_BATCHES, identities.length - fresh.length);
  let recordCount = 0;
  for (const i of fresh) recordCount += Math.max(readRecordCount(records, checked.batches[i]!.offset), identities[i]!.lastOffsetDelta + 1);
  const baseOffset = firstDuplicate?.baseOffset ?? results[0]!.baseOffset;
  const logAppendTime = results[0]?.logAppendTime ?? -1n;
  if (flags & APPEND_FLAG_FORCE_SYNC) forceSync = true;
  completeAppend({
    requestId, errorCode: ErrorCode.NONE, baseOffset, logAppendTime, logStartOffset: owned.log.logStartOffset,
    recordCount, bytes: records.length, errorMessage: '',
  });
}

/**
 * Writes every partition's staged batches. Runs before the drain releases the ring space those
 * batches live in. A partition whose write fails goes offline (the log refuses further appends),
 * and the appends it had staged are answered KAFKA_STORAGE_ERROR instead of success; what was
 * written before stays published.
 */
function flushStaged(): void {
  for (const owned of staging) {
    try {
      owned.log.flushStaged();
    } catch (err) {
      log.error({ err, topic: owned.topic, partition: owned.partition }, 'append failed');
      for (const { index, requestId } of owned.stagedCompletions) completions[index] = failedAppend(requestId, ErrorCode.KAFKA_STORAGE_ERROR, (err as Error).message);
    }
    owned.stagedCompletions.length = 0;
  }
  staging.clear();
}

/** Publishes what readers may see of a partition. Only this shard owns the slot, so only it stores here. */
function publish(owned: OwnedPartition): void {
  if (owned.announcedSegments !== owned.log.segmentsVersion) {
    owned.announcedSegments = owned.log.segmentsVersion;
    watermarks.bumpSegmentEpoch(owned.slot);
  }
  watermarks.publishLogEndBytes(owned.slot, BigInt(owned.log.logEndBytes));
  watermarks.publishHighWatermark(owned.slot, owned.log.logEndOffset);
  // No transactions yet: everything below the HWM is stable.
  watermarks.publishLastStableOffset(owned.slot, owned.log.logEndOffset);
  watermarks.publishLogStartOffset(owned.slot, owned.log.logStartOffset);
}

function handleControl(requestId: number, request: ControlRequest): void {
  // Control requests see (and may close or reopen) logs: nothing may be left staged under them.
  flushStaged();
  let errorCode: number = ErrorCode.NONE;
  let body: unknown = null;
  try {
    body = runControl(request);
  } catch (err) {
    log.error({ err, op: request.op }, 'control request failed');
    errorCode = ErrorCode.UNKNOWN_SERVER_ERROR;
    body = { error: (err as Error).message };
  }
  if (typeof body === 'object' && body !== null && 'errorCode' in body) errorCode = (body as { errorCode: number }).errorCode;
  completions.push(encodeControlCompletion({ requestId, errorCode, body }));
}

function runControl(request: ControlRequest): unknown {
  switch (request.op) {
    case 'open': {
      const existing = partitions.get(request.slot);
      if (existing) closeOwned(existing);
      watermarks.setState(request.slot, PARTITION_STATE_RECOVERING);
      const config = logConfigFromTopicConfigs(request.config);
      const began = performance.now();
      const partitionLog = PartitionLog.open({
        dir: init.dataDir, topic: request.topic, partition: request.partition, config,
        logger: log.child({ topic: request.topic, partition: request.partition }),
      });
      const owned: OwnedPartition = {
        slot: request.slot, topic: request.topic, partition: request.partition, config, log: partitionLog,
        producers: recoverProducerState(partitionLog),
        announcedSegments: partitionLog.segmentsVersion,
        stagedCompletions: [],
      };
      partitions.set(request.slot, owned);
      // Recovery decided where the log ends; the slot may hold a previous owner's numbers, so it
      // is reset rather than advanced. This is the one place a watermark may move backwards.
      watermarks.resetForTruncation(request.slot, {
        highWatermark: partitionLog.logEndOffset,
        logStartOffset: partitionLog.logStartOffset,
        lastStableOffset: partitionLog.logEndOffset,
        logEndBytes: BigInt(partitionLog.logEndBytes),
      });
      watermarks.setState(request.slot, PARTITION_STATE_ONLINE);
      return { logEndOffset: String(partitionLog.logEndOffset), recoveryMs: Math.round(performance.now() - began) };
    }
    case 'close': {
      const owned = partitions.get(request.slot);
      partitions.delete(request.slot);
      touched.delete(owned!);
      if (owned) {
        if (request.deleteFiles) owned.log.deleteAll();
        else closeOwned(owned);
      } else if (request.deleteFiles) {
        return null;
      }
      watermarks.setState(request.slot, PARTITION_STATE_UNUSED);
      return null;
    }
    case 'update-config': {
      const owned = partitions.get(request.slot);
      if (!owned) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
      // A clean close and reopen: the clean-shutdown marker makes the reopen skip the tail scan.
      owned.config = logConfigFromTopicConfigs(request.config);
      owned.log.close();
      owned.log = PartitionLog.open({
        dir: init.dataDir, topic: owned.topic, partition: owned.partition, config: owned.config,
        logger: log.child({ topic: owned.topic, partition: owned.partition }),
      });
      return null;
    }
    case 'delete-records': {
      const owned = partitions.get(request.slot);
      if (!owned) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
      let offset = BigInt(request.offset);
      // Bounded by what consumers can see, not by what is written but not yet committed.
      const end = watermarks.highWatermark(owned.slot);
      // -1 means "up to the high watermark", as in Kafka's DeleteRecords.
      if (offset === -1n) offset = end;
      if (offset < 0n || offset > end) return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE };
      owned.log.deleteRecordsBefore(offset);
      publish(owned);
      return { lowWatermark: String(owned.log.logStartOffset) };
    }
    case 'shutdown':
      stopping = true;
      return null;
  }
}

async function commit(): Promise<void> {
  const policy = init.fsync;
  if (touched.size > 0 && (policy.kind === 'always' || forceSync)) {
    await timedSyncAll([...touched].map((p) => p.log));
  }
  for (const owned of touched) publish(owned);
  touched.clear();
  forceSync = false;
  for (const c of completions) {
    // The acceptor drains completions continuously; a full completion ring only waits for that.
    while (!rings.completions.tryWrite(c)) rings.completions.waitForSpace(c.byteLength, 100);
  }
  completions.length = 0;
}

async function housekeeping(): Promise<void> {
  const now = performance.now();
  if (init.fsync.kind === 'interval' && now - lastIntervalSync >= init.fsync.intervalMs) {
    lastIntervalSync = now;
    const dirty = [...partitions.values()].map((p) => p.log).filter((l) => l.dirty);
    if (dirty.length > 0) await timedSyncAll(dirty);
  }
  if (now - lastRetentionCheck >= init.retentionCheckMs) {
    lastRetentionCheck = now;
    const wallNow = BigInt(Date.now());
    for (const owned of partitions.values()) {
      const result = owned.log.applyRetention(wallNow);
      if (result.deletedSegments > 0) {
        log.info({ topic: owned.topic, partition: owned.partition, ...result, logStartOffset: String(owned.log.logStartOffset) }, 'retention deleted segments');
        publish(owned);
      }
    }
  }
}

function nextWaitMs(): number {
  const waits = [init.retentionCheckMs - (performance.now() - lastRetentionCheck)];
  if (init.fsync.kind === 'interval') waits.push(init.fsync.intervalMs - (performance.now() - lastIntervalSync));
  return Math.max(1, Math.min(...waits));
}

async function run(): Promise<void> {
  // A pending Atomics.waitAsync does not keep a thread alive; this timer does, until shutdown.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  parentPort!.postMessage('ready');
  while (!stopping) {
    const drained = rings.requests.drain((message) => {
      const request = decodeRequest(message);
      if (request.type === MESSAGE_APPEND) handleAppend(request.requestId, request.slot, request.flags, request.records);
      else handleControl(request.requestId, request.request);
    }, Infinity, flushStaged);
    if (drained > 0 || completions.length > 0) await commit();
    await housekeeping();
    // Waiting asynchronously keeps this thread's event loop turning, which the concurrent
    // fdatasyncs of syncAll (libuv thread pool) need.
    if (!stopping && !rings.requests.hasData()) await rings.requests.waitForDataAsync(nextWaitMs());
  }
  clearInterval(keepAlive);
  for (const owned of partitions.values()) closeOwned(owned);
  log.debug('shard stopped');
  process.exit(0);
}

run().catch((err) => {
  log.fatal({ err }, 'shard loop failed');
  process.exit(1);
});

