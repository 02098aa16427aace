// ShardCore: what a shard does with the requests its ring brings, without the ring or the thread:
// validate -> dedupe -> stage each append, write what a drain staged, fsync per policy (group
// commit), publish the watermarks, then complete; plus control requests and housekeeping timers.
import type { Logger } from 'pino';
import { ErrorCode, errorCodeFor, errorMessageFor } from '../protocol/errors.ts';
import {
  ATTRIBUTE_COMPRESSION_MASK, ATTRIBUTE_CONTROL, readAttributes, readProducerEpoch, readProducerId, readRecordCount, setPartitionLeaderEpoch, validateProduceRecords, type BatchSpan,
} from '../protocol/record-batch.ts';
import { buildEndTxnMarkerBatch, readEndTxnMarker } from '../protocol/control-records.ts';
import { keylessRecordMessage, recordErrorsSummary, validateBatchRecords, validateCompressedBatch, type RecordsError } from '../protocol/record-validation.ts';
import { APPEND_FLAG_FORCE_SYNC, NO_OFFSET, encodeAppendCompletion, encodeControlCompletion, type ControlRequest, type OpenPartitionRequest } from '../shared-mem/shard-messages.ts';
import type { TxnMarker } from '../shared-mem/txn-marker.ts';
import { cleanSegments, type CleanJob } from '../segments/cleaner.ts';
import { APPENDED_BATCHES, CLEANER_BYTES, CLEANER_RUNS, DUPLICATE_BATCHES } from '../shared-mem/shard-stats.ts';
import { PARTITION_STATE_OFFLINE, PARTITION_STATE_ONLINE, PARTITION_STATE_RECOVERING, PARTITION_STATE_UNUSED } from '../shared-mem/watermarks.ts';
import type { AppendResult, PartitionLog } from '../wal/partition-log.ts';
import type { CleanerRun } from './cleaner-pool.ts';
import { CLEANER_RETRY_BACKOFF_MS, planClean, saveCleanerState } from './compaction.ts';
import { compressionTargetOf, logConfigFromTopicConfigs } from './log-config.ts';
import { batchIdentity, closeOwned, ownPartition, type OwnedPartition } from './owned-partition.ts';
import { applyTierAction, applyTieredRetention, deleteRecordsTiered, globalLogStartOffset, loadRemoteRecord, tierStatus } from './tiering.ts';
import { MAX_PARKED_BYTES, ParkedAppends, type ParkedAppend, type PoolWork } from './parked-appends.ts';
import {
  BATCH_ERROR_CODES, DONE, OPEN_BUDGET_MS, PARTITION_LEADER_EPOCH, failedAppend, recompressToTarget, refused, type ControlOutcome, type ShardCoreOptions,
} from './shard-options.ts';

export { PARTITION_LEADER_EPOCH, systemClock, type ShardClock, type ShardCoreOptions } from './shard-options.ts';

/** A parked entry that is a transaction marker (its records: the control batch), not a produce. Never on the wire. */
const PARKED_MARKER_FLAG = 0x80;

/** Control requests that open, close, reopen or delete files: they run only with every commit finished (ShardCore.control). */
const WAIT_FOR_SYNCS: ReadonlySet<ControlRequest['op']> = new Set(['open', 'close', 'update-config', 'delete-records', 'tier']);

/** What a commit publishes for one partition: its end when the commit was sealed. */
interface CommittedEnd {
  log: PartitionLog;
  highWatermark: bigint;
  lastStableOffset: bigint;
}

/** A successful answer about a partition, by its place in its window's completions: failed instead if that partition's sync fails. */
interface Answer {
  owned: OwnedPartition;
  log: PartitionLog;
  index: number;
  requestId: number;
  marker: boolean;
}

/**
 * One group commit: the answers of every drain since the previous commit was sealed, the ends it
 * publishes, and its sync (settled once every log's fdatasync has finished, well or not).
 *
 *   drains:   N ──write──┐ N+1 ──write── N+2 ──write──┐
 *   syncs:               └─ sync(N) ──────────────────┴─ sync(N+1, N+2) ──...
 *   commits:                          publish+answer N    publish+answer N+1, N+2
 *
 * Windows are sealed, and finished (published, then answered), strictly in order.
 */
interface CommitWindow {
  seq: number;
  completions: Uint8Array[];
  ends: Map<OwnedPartition, CommittedEnd>;
  answers: Answer[];
  /** Indexes of completions already turned into failures (a failed write) before the window was sealed. */
  alreadyFailed: Set<number>;
  /** Logs of this window whose sync failed, or that were offline when it was sealed. */
  failed: Map<PartitionLog, Error>;
  settled: boolean;
  done: Promise<void>;
}

/**
 * One shard's partitions and the work on them. A drain runs: append/control for each request in
 * the ring, writeStaged() before the ring space is released (the staged batches are views into
 * it), then after the release flush() (the group commit's fsync, when the policy asks) and
 * commit() (publish, then complete). Nothing is published or completed before the bytes it
 * describes are written, and under fsync=always before they are synced.
 */
export class ShardCore {
  readonly #o: ShardCoreOptions;
  readonly #log: Logger;
  readonly #partitions = new Map<number, OwnedPartition>();
  /** Completions of the current drain: sent only after the commit that makes them true. */
  readonly #completions: Uint8Array[] = [];
  /** Partitions appended to in the current drain, whose watermarks are published after the commit. */
  readonly #touched = new Set<OwnedPartition>();
  /** Partitions with batches staged in the current drain, written by writeStaged before the ring space is released. */
  readonly #staging = new Set<OwnedPartition>();
  readonly #parked: ParkedAppends<OwnedPartition>;
  /** The open window's successful answers per partition, and the indexes a failed write already answered. */
  #answers: Answer[] = [];
  #alreadyFailed = new Set<number>();
  /** Sealed windows not yet finished, oldest first (at most the commit depth of them syncing). */
  readonly #windows: CommitWindow[] = [];
  #windowSeq = 0;
  /** The window in which each failed log's sync failed: every later window's answers about it fail too. */
  readonly #syncFailedAt = new WeakMap<PartitionLog, number>();
  /** A control request waits in the ring for the syncs in flight (WAIT_FOR_SYNCS). */
  #controlWaiting = false;
  #forceSync = false;
  #stopping = false;
  #lastIntervalSync: number;
  #lastRetentionCheck: number;
  #lastCleanerCheck: number;
  /**
   * Opens waiting for their turn, by slot in arrival order (issue 18 goal 3): once a loop turn has
   * spent openBudgetMs opening partitions, further opens queue here and housekeeping() runs a
   * slice of them per turn, so a 1,000-partition CreateTopics does not hold the shard's other
   * partitions for seconds. Opens are independent of each other; anything else addressed to a
   * queued slot (an append, a control request) first runs that slot's open, out of turn.
   */
  readonly #queuedOpens = new Map<number, { requestId: number; request: Extract<ControlRequest, { op: 'open' }> }>();
  /** Milliseconds spent opening partitions since the last housekeeping() began. */
  #openSpentMs = 0;
  /** Cleaner runs that finished, waiting for applyCleaned() between drains. */
  readonly #cleaned: { owned: OwnedPartition; log: PartitionLog; run: CleanerRun | null; sizes: Map<bigint, number>; error?: unknown }[] = [];

  constructor(options: ShardCoreOptions) {
    this.#o = options;
    this.#log = options.logger;
    this.#parked = new ParkedAppends(options.validateCompressed ?? validateCompressedBatch, options.recompress ?? recompressToTarget, options.onPoolResult ?? (() => undefined));
    this.#lastIntervalSync = options.clock.monotonicMs();
    this.#lastRetentionCheck = this.#lastIntervalSync;
    this.#lastCleanerCheck = this.#lastIntervalSync;
  }

  /** True once a shutdown request was served. */
  get stopping(): boolean { return this.#stopping; }

  /** Completions waiting for the next commit (sealed or not). */
  get pendingCompletions(): number {
    let n = this.#completions.length;
    for (const w of this.#windows) n += w.completions.length;
    return n;
  }

  append(requestId: number, slot: number, flags: number, records: Buffer): void {
    if (this.#queuedOpens.has(slot)) this.#runQueuedOpen(slot);
    const owned = this.#partitions.get(slot);
    if (!owned) {
      this.#fail(requestId, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'partition is not open on this shard');
      return;
    }
    // Before the duplicate check: producer state may list batches whose write failed, and a retry
    // of one must not be answered as already written.
    if (owned.log.offline) {
      this.#failOffline(owned, requestId);
      return;
    }
    // Validation happens here, on the shard, so the main thread does no per-batch work. Offsets are
    // assigned only after the whole request validated (DESIGN.md §7 item 7).
    const checked = validateProduceRecords(records);
    if (!checked.ok) {
      this.#log.debug({ topic: owned.topic, partition: owned.partition, reason: checked.reason }, 'rejected produce records');
      // Kafka answers a corrupt batch (CorruptRecordException) with log start offset -1, and an
      // invalid one with the partition's (ReplicaManager.appendToLocalLog).
      const errorCode = BATCH_ERROR_CODES[checked.error];
      this.#fail(requestId, errorCode, checked.reason, errorCode === ErrorCode.CORRUPT_MESSAGE ? -1n : globalLogStartOffset(owned.log, owned.remote));
      return;
    }
    // Batches of another codec than the topic's are rebuilt off this thread (parked-appends.ts);
    // the work list is allocated only when there is some. A compressed batch stored as sent is
    // inflated and walked here, in place: on this class of machine (2 cores shared with the
    // clients) the pool hop cost compressed produce 15-25% end to end against checking on the
    // shard (docs/notes/validation.md), so only recompression, which must rebuild the batch
    // anyway, goes to the pool.
    let work: PoolWork | undefined;
    for (let i = 0; i < checked.batches.length; i++) {
      const span = checked.batches[i]!;
      if (span.size > owned.config.maxMessageBytes) {
        this.#fail(requestId, ErrorCode.MESSAGE_TOO_LARGE, `batch of ${span.size} bytes is larger than max.message.bytes ${owned.config.maxMessageBytes}`);
        return;
      }
      const attributes = readAttributes(records, span.offset);
      if (attributes & ATTRIBUTE_CONTROL) {
        this.#fail(requestId, ErrorCode.INVALID_RECORD, 'Appending control batches from clients is not allowed', globalLogStartOffset(owned.log, owned.remote));
        return;
      }
      const codecId = attributes & ATTRIBUTE_COMPRESSION_MASK;
      // compression.type: a batch of another codec is rebuilt with the topic's (checked on the way).
      if (owned.compression !== null && codecId !== owned.compression.id) {
        work ??= { check: [], rebuild: [], target: owned.compression };
        work.rebuild.push(i);
        continue;
      }
      // The records inside, as Kafka's LogValidator reads them: a batch whose CRC is right but whose
      // records do not parse would otherwise make the partition unreadable at its offset.
      const inside = validateBatchRecords(records, span.offset, owned.config.compact);
      if (!inside.ok) {
        this.#refuseRecords(owned, requestId, span.offset, inside);
        return;
      }
    }
    // Behind a batch still in the pool, an append waits its turn: no batch of a partition overtakes
    // an earlier one, and the duplicate and sequence checks below run in arrival order.
    if (work !== undefined || owned.parked.length > 0) {
      this.#parked.park(owned, requestId, flags, records, checked.batches, work);
      return;
    }
    this.#stageAppend(owned, requestId, flags, records, checked.batches);
  }

  /** Past MAX_PARKED_BYTES parked, the worker stops draining its ring until results come back. */
  get backlogged(): boolean { return this.#parked.bytes > MAX_PARKED_BYTES; }

  /** Appends waiting for the pool. */
  get parkedAppends(): number { return this.#parked.count; }

  /** Resolves once a pool result is ready for applyParked(). */
  nextPoolResult(): Promise<void> { return this.#parked.nextResult(); }

  /**
   * Stages, in arrival order, every parked append whose turn has come. Runs between drains, like
   * a drain's appends: writeStaged, flush and commit follow.
   */
  applyParked(): void {
    this.#parked.applyReady((owned, entry) => this.#applyParkedOne(owned, entry));
  }

  #applyParkedOne(owned: OwnedPartition, entry: ParkedAppend): void {
    const { requestId, flags, records, batches, verdict } = entry;
    if (flags & PARKED_MARKER_FLAG) {
      // A marker's own answer is a control completion, whatever happens to it.
      if (this.#partitions.get(owned.slot) !== owned) this.#failControl(requestId, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'partition was closed on this shard');
      else if (owned.log.offline) this.#failControl(requestId, ErrorCode.KAFKA_STORAGE_ERROR, `partition log ${owned.topic}-${owned.partition} is offline after a failed write`);
      else this.#stageMarker(owned, requestId, records);
      return;
    }
    if (this.#partitions.get(owned.slot) !== owned) {
      this.#fail(requestId, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'partition was closed on this shard');
    } else if (verdict && !verdict.ok) {
      this.#refuseRecords(owned, requestId, -1, verdict);
    } else if (owned.log.offline) {
      this.#failOffline(owned, requestId);
    } else {
      this.#stageAppend(owned, requestId, flags, records, batches);
    }
  }

  /**
   * A transaction marker (issue 13): Kafka's control batch for the producer, staged through the
   * same log path as appends, so it is ordered with this drain's appends (and behind any parked
   * ones) and written by the same writev; the drain's fsync is forced for it, and it completes
   * only after the commit published the HWM and the LSO it moved.
   */
  #writeMarker(requestId: number, slot: number, marker: TxnMarker): void {
    const owned = this.#partitions.get(slot);
    if (!owned) {
      this.#failControl(requestId, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'partition is not open on this shard');
      return;
    }
    if (owned.log.offline) {
      this.#failControl(requestId, ErrorCode.KAFKA_STORAGE_ERROR, `partition log ${owned.topic}-${owned.partition} is offline after a failed write`);
      return;
    }
    const batch = buildEndTxnMarkerBatch({ ...marker, timestamp: this.#o.clock.wallMs(), partitionLeaderEpoch: PARTITION_LEADER_EPOCH });
    if (owned.parked.length > 0) {
      // Behind a produce still in the pool: the marker must not overtake the transaction's data.
      this.#parked.park(owned, requestId, PARKED_MARKER_FLAG, batch, [{ offset: 0, size: batch.length }]);
      return;
    }
    this.#stageMarker(owned, requestId, batch);
  }

  #stageMarker(owned: OwnedPartition, requestId: number, batch: Buffer): void {
    const producerId = readProducerId(batch, 0);
    const producerEpoch = readProducerEpoch(batch, 0);
    const marker = readEndTxnMarker(batch, 0)!;
    const verdict = owned.producers.checkMarker(producerId, producerEpoch, marker.coordinatorEpoch);
    if (!verdict.ok) {
      this.#failControl(requestId, verdict.errorCode, verdict.message);
      return;
    }
    const now = this.#o.clock.wallMs();
    let markerOffset: bigint;
    try {
      markerOffset = owned.log.stage([batch], now)[0]!.baseOffset;
      const completed = owned.producers.recordMarker(producerId, producerEpoch, marker.coordinatorEpoch, marker.commit, markerOffset, now);
      if (completed?.aborted) {
        // Kafka's AbortedTxn.lastStableOffset: where the LSO stands once this transaction ended.
        const lastStableOffset = owned.producers.firstUnstableOffset() ?? markerOffset + 1n;
        owned.log.appendAbortedTxn({ producerId, firstOffset: completed.firstOffset, lastOffset: markerOffset, lastStableOffset });
      }
    } catch (err) {
      this.#wentOffline(owned, err);
      this.#failControl(requestId, errorCodeFor(err, ErrorCode.KAFKA_STORAGE_ERROR), errorMessageFor(err));
      return;
    }
    this.#staging.add(owned);
    owned.stagedCompletions.push({ index: this.#completions.length, requestId, marker: true });
    this.#touched.add(owned);
    this.#forceSync = true;
    this.#answers.push({ owned, log: owned.log, index: this.#completions.length, requestId, marker: true });
    this.#completions.push(encodeControlCompletion({ requestId, errorCode: ErrorCode.NONE, offset: markerOffset, body: null }));
  }

  #failControl(requestId: number, errorCode: number, error: string): void {
    this.#completions.push(encodeControlCompletion({ requestId, errorCode, offset: NO_OFFSET, body: { error } }));
  }

  #refuseRecords(owned: OwnedPartition, requestId: number, at: number, inside: { error: RecordsError; reason: string; keylessRecords?: number[] }): void {
    this.#log.debug({ topic: owned.topic, partition: owned.partition, reason: inside.reason }, 'rejected produce records');
    if (inside.keylessRecords !== undefined) {
      // Kafka's RecordValidationException: INVALID_RECORD with the records listed one by one.
      const recordErrorMessage = keylessRecordMessage(owned.topic, owned.partition);
      this.#completions.push(encodeAppendCompletion({
        requestId, errorCode: ErrorCode.INVALID_RECORD, baseOffset: -1n, logAppendTime: -1n, logStartOffset: globalLogStartOffset(owned.log, owned.remote), recordCount: 0, bytes: 0,
        errorMessage: recordErrorsSummary(inside.keylessRecords, recordErrorMessage), recordErrors: inside.keylessRecords, recordErrorMessage,
      }));
      return;
    }
    this.#fail(requestId, ErrorCode[inside.error], at >= 0 ? `batch at byte ${at}: ${inside.reason}` : inside.reason, globalLogStartOffset(owned.log, owned.remote));
  }

  /** The duplicate check, offsets and staging of an append whose batches all validated. */
  #stageAppend(owned: OwnedPartition, requestId: number, flags: number, records: Buffer, spans: BatchSpan[]): void {
    // Idempotent producers: each batch's sequence is checked before anything is appended. A retried
    // batch among the producer's last five is answered with its original offsets and not written.
    const identities = spans.map((span) => batchIdentity(records, span.offset));
    const fresh: number[] = [];
    let firstDuplicate: { baseOffset: bigint } | undefined;
    for (let i = 0; i < identities.length; i++) {
      const verdict = owned.producers.check(identities[i]!);
      if (verdict.kind === 'error') {
        this.#fail(requestId, verdict.errorCode, verdict.message);
        return;
      }
      if (verdict.kind === 'duplicate') {
        if (i === 0) firstDuplicate = verdict;
        this.#log.debug({ topic: owned.topic, partition: owned.partition, producerId: String(identities[i]!.producerId), baseOffset: String(verdict.baseOffset) }, 'duplicate batch answered with its original offsets');
      } else {
        fresh.push(i);
      }
    }
    const now = this.#o.clock.wallMs();
    let results: AppendResult[] = [];
    if (fresh.length > 0) {
      try {
        // The ring's bytes (or a parked append's copy) are these batches' only copy until the
        // write: staged as views, and written by writeStaged before this drain releases the ring
        // space (one writev per partition per drain). The log assigns offsets and stamps
        // LogAppendTime now.
        const batches = fresh.map((i) => records.subarray(spans[i]!.offset, spans[i]!.offset + spans[i]!.size));
        // Outside the CRC, like the base offset the log writes next: Kafka stamps it on append.
        for (const batch of batches) setPartitionLeaderEpoch(batch, 0, PARTITION_LEADER_EPOCH);
        results = owned.log.stage(batches, now);
      } catch (err) {
        this.#wentOffline(owned, err);
        this.#fail(requestId, errorCodeFor(err, ErrorCode.KAFKA_STORAGE_ERROR), errorMessageFor(err));
        return;
      }
      // stage() leaves at least this request's last batch staged (a roll writes only the ones before).
      this.#staging.add(owned);
      owned.stagedCompletions.push({ index: this.#completions.length, requestId });
      fresh.forEach((batchIndex, i) => owned.producers.record(identities[batchIndex]!, results[i]!.baseOffset, results[i]!.lastOffset, now));
      this.#o.stats.add(APPENDED_BATCHES, fresh.length);
      this.#touched.add(owned);
    }
    if (fresh.length < identities.length) this.#o.stats.add(DUPLICATE_BATCHES, identities.length - fresh.length);
    let recordCount = 0;
    for (const i of fresh) recordCount += Math.max(readRecordCount(records, spans[i]!.offset), identities[i]!.lastOffsetDelta + 1);
    const baseOffset = firstDuplicate?.baseOffset ?? results[0]!.baseOffset;
    const logAppendTime = results[0]?.logAppendTime ?? -1n;
    if (flags & APPEND_FLAG_FORCE_SYNC) this.#forceSync = true;
    // Duplicates too: their original may be in a window whose sync is still to fail.
    this.#answers.push({ owned, log: owned.log, index: this.#completions.length, requestId, marker: false });
    this.#completions.push(encodeAppendCompletion({
      requestId, errorCode: ErrorCode.NONE, baseOffset, logAppendTime, logStartOffset: globalLogStartOffset(owned.log, owned.remote),
      recordCount, bytes: records.length, errorMessage: '',
    }));
  }

  /**
   * Writes every partition's staged batches. Runs before the drain releases the ring space those
   * batches live in. A partition whose write fails goes offline (the log refuses further appends),
   * and the appends it had staged are answered KAFKA_STORAGE_ERROR instead of success; what was
   * written before stays published.
   */
  writeStaged(): void {
    for (const owned of this.#staging) {
      try {
        owned.log.flushStaged();
      } catch (err) {
        this.#wentOffline(owned, err);
        const errorCode = errorCodeFor(err, ErrorCode.KAFKA_STORAGE_ERROR);
        for (const { index, requestId, marker } of owned.stagedCompletions) {
          this.#alreadyFailed.add(index);
          this.#completions[index] = marker
            ? encodeControlCompletion({ requestId, errorCode, offset: NO_OFFSET, body: { error: errorMessageFor(err) } })
            : failedAppend(requestId, errorCode, errorMessageFor(err));
        }
      }
      owned.stagedCompletions.length = 0;
    }
    this.#staging.clear();
  }

  /**
   * Seals the drains since the last commit into a commit window and starts its sync (when the policy,
   * or a forced append, asks), unless `depth` windows are syncing already: then the drains go on
   * accumulating and a later call seals them. A window with nothing to sync finishes at once when
   * it is first in line. Writes of the next drains overlap the sync in flight, and its answers go
   * out only when it settles (commit()).
   */
  startCommit(depth = 1): void {
    if (!this.#openWindowEmpty && !(this.#openWindowNeedsSync && this.syncsInFlight >= depth)) this.#seal();
    this.commit();
  }

  /** Test and shutdown helper: seals what is open (whatever the depth) and waits until every window's sync has settled; commit() then finishes them. */
  async flush(): Promise<void> {
    if (!this.#openWindowEmpty) this.#seal();
    await Promise.all(this.#windows.map((w) => w.done));
  }

  /**
   * Finishes, in order, every window at the head of the line whose sync has settled: publishes
   * the ends it sealed (only of logs whose sync succeeded), then sends its completions, with every
   * answer about a log whose sync failed turned into KAFKA_STORAGE_ERROR. With nothing in flight,
   * an open window that needs no sync is finished too.
   */
  commit(): void {
    while (this.#windows.length > 0 && this.#windows[0]!.settled) this.#finish(this.#windows.shift()!);
    if (this.#windows.length === 0 && !this.#openWindowEmpty && !this.#openWindowNeedsSync) {
      this.#seal();
      this.#finish(this.#windows.shift()!);
    }
  }

  /** Windows sealed whose syncs have not settled. */
  get syncsInFlight(): number {
    let n = 0;
    for (const w of this.#windows) if (!w.settled) n++;
    return n;
  }

  /**
   * Sealed windows not finished yet, or an open one: something written or answered is not yet
   * published or sent. The shard may not stop before they are; what replaces or deletes files
   * waits until none is (see wantsIdle).
   */
  get commitsPending(): boolean {
    return this.#windows.length > 0 || !this.#openWindowEmpty;
  }

  /** True while a sealed window waits (its sync in flight, or one ahead of it). */
  get commitsInFlight(): boolean {
    return this.#windows.length > 0;
  }

  /** A window at the head of the line has settled: commit() has something to finish. */
  get commitReady(): boolean {
    return this.#windows.length > 0 && this.#windows[0]!.settled;
  }

  /** A control request was left in the ring until every commit is finished. */
  get controlWaiting(): boolean {
    return this.#controlWaiting;
  }

  /**
   * True when work waits that must run with nothing written unpublished and no sync in flight (a
   * control request left in the ring, a finished clean to swap in, due housekeeping): the worker
   * stops draining the ring until commitsPending is false, then runs it. As in the sequential
   * loop before the pipeline, such work never sees a written end ahead of the published one, nor
   * a recovery point that a background roll sync moved past the published end.
   */
  get wantsIdle(): boolean {
    return this.#controlWaiting || this.#cleaned.length > 0 || this.housekeepingDue;
  }

  /** Resolves when the oldest sync in flight settles (at once when none is). */
  nextCommitSettled(): Promise<void> {
    const w = this.#windows.find((x) => !x.settled);
    return w === undefined ? Promise.resolve() : w.done;
  }

  get #openWindowEmpty(): boolean {
    return this.#completions.length === 0 && this.#touched.size === 0;
  }

  get #openWindowNeedsSync(): boolean {
    if (this.#o.fsync.kind !== 'always' && !this.#forceSync) return false;
    for (const owned of this.#touched) if (owned.log.dirty || owned.log.offline) return true;
    return false;
  }

  /** Moves the open window (everything answered since the last seal) into the line, and starts its sync. */
  #seal(): void {
    const syncing = this.#o.fsync.kind === 'always' || this.#forceSync;
    const ends = new Map<OwnedPartition, CommittedEnd>();
    const failed = new Map<PartitionLog, Error>();
    const toSync: PartitionLog[] = [];
    for (const owned of this.#touched) {
      const log = owned.log;
      if (log.offline) {
        // A write failed in this window: nothing of it is published, and nothing about it succeeds.
        failed.set(log, log.offlineReason!);
        continue;
      }
      // The end as the window's drains left it, and the LSO by the producer state of that moment:
      // later drains (a marker, a new transaction) must not change what this commit publishes.
      ends.set(owned, { log, highWatermark: log.logEndOffset, lastStableOffset: owned.producers.lastStableOffset(log.logEndOffset, log.logStartOffset) });
      if (syncing && log.dirty) toSync.push(log);
    }
    const w: CommitWindow = {
      seq: ++this.#windowSeq, completions: this.#completions.splice(0), ends, answers: this.#answers, alreadyFailed: this.#alreadyFailed,
      failed, settled: toSync.length === 0, done: Promise.resolve(),
    };
    this.#answers = [];
    this.#alreadyFailed = new Set();
    this.#touched.clear();
    this.#forceSync = false;
    if (toSync.length > 0) {
      const began = process.hrtime.bigint();
      w.done = Promise.allSettled(toSync.map((log) => log.syncAsync())).then((results) => {
        results.forEach((r, i) => {
          if (r.status === 'rejected') w.failed.set(toSync[i]!, r.reason instanceof Error ? r.reason : new Error(String(r.reason)));
        });
        this.#o.stats.recordSync(toSync.length, process.hrtime.bigint() - began);
        w.settled = true;
        this.#o.onCommitSettled?.();
      });
    }
    this.#windows.push(w);
  }

  #finish(w: CommitWindow): void {
    for (const log of w.failed.keys()) if (!this.#syncFailedAt.has(log)) this.#syncFailedAt.set(log, w.seq);
    // Failed here, or in an earlier window (after a failed fdatasync a later one may succeed
    // without the earlier bytes on disk: nothing written behind a failure is acknowledged).
    const failedHere = (log: PartitionLog): boolean => w.failed.has(log) || (this.#syncFailedAt.get(log) ?? Infinity) < w.seq;
    for (const [owned, end] of w.ends) {
      if (failedHere(end.log)) {
        this.#syncWentOffline(owned, end.log);
        continue;
      }
      // Closed or reopened meanwhile: the slot is no longer this log's.
      if (this.#partitions.get(owned.slot) !== owned || owned.log !== end.log) continue;
      this.#publish(owned, end);
    }
    for (const a of w.answers) {
      if (w.alreadyFailed.has(a.index) || !failedHere(a.log)) continue;
      const err = w.failed.get(a.log) ?? a.log.offlineReason;
      const errorMessage = `partition log ${a.owned.topic}-${a.owned.partition} is offline after a failed sync${err ? `: ${errorMessageFor(err)}` : ''}`;
      const errorCode = ErrorCode.KAFKA_STORAGE_ERROR;
      w.completions[a.index] = a.marker
        ? encodeControlCompletion({ requestId: a.requestId, errorCode, offset: NO_OFFSET, body: { error: errorMessage } })
        : failedAppend(a.requestId, errorCode, errorMessage);
    }
    for (const c of w.completions) this.#o.sendCompletion(c);
  }

  /** A sync failed: readers of the slot are told (its state word), if the log is still the slot's. */
  #syncWentOffline(owned: OwnedPartition, log: PartitionLog): void {
    if (this.#partitions.get(owned.slot) !== owned || owned.log !== log) return;
    if (this.#o.watermarks.state(owned.slot) !== PARTITION_STATE_OFFLINE) this.#o.watermarks.setState(owned.slot, PARTITION_STATE_OFFLINE);
  }

  /**
   * Runs a control request, or returns false, leaving it for later (the worker leaves it in the
   * ring), when it opens, closes, reopens or deletes files while a commit is pending: a sync in
   * flight holds the active segment and moves the recovery point when it settles, and these
   * requests read the published end (DeleteRecords' bound, tiering's stable prefix).
   */
  control(requestId: number, request: ControlRequest): boolean {
    // A request for a slot whose open is queued sees that partition opened, as it would have (a
    // new log: no sync of it is in flight).
    if ('slot' in request && this.#queuedOpens.has(request.slot)) this.#runQueuedOpen(request.slot);
    if (request.op === 'open' && (this.#queuedOpens.size > 0 || this.#openSpentMs >= (this.#o.openBudgetMs ?? OPEN_BUDGET_MS))) {
      this.#queuedOpens.set(request.slot, { requestId, request });
      return true;
    }
    if (WAIT_FOR_SYNCS.has(request.op) && this.commitsPending) {
      this.#controlWaiting = true;
      return false;
    }
    this.#controlWaiting = false;
    if (request.op === 'shutdown') this.#failQueuedOpens();
    if (request.op === 'write-marker') {
      try {
        this.#writeMarker(requestId, request.slot, request);
      } catch (err) {
        // A marker that cannot even be built (an epoch out of int16 range): refused, never a crash.
        this.#log.error({ err, slot: request.slot }, 'write-marker refused');
        this.#failControl(requestId, errorCodeFor(err), errorMessageFor(err));
      }
      return true;
    }
    this.#runControlNow(requestId, request);
    return true;
  }

  #runControlNow(requestId: number, request: ControlRequest): void {
    // Control requests see (and may close or reopen) logs: nothing may be left staged under them.
    this.writeStaged();
    const began = request.op === 'open' ? performance.now() : 0;
    let outcome: ControlOutcome;
    try {
      outcome = this.#runControl(request);
    } catch (err) {
      this.#log.error({ err, op: request.op }, 'control request failed');
      outcome = { errorCode: errorCodeFor(err), offset: NO_OFFSET, body: { error: errorMessageFor(err) } };
    }
    if (request.op === 'open') this.#openSpentMs += performance.now() - began;
    this.#completions.push(encodeControlCompletion({ requestId, ...outcome }));
  }

  #runQueuedOpen(slot: number): void {
    const queued = this.#queuedOpens.get(slot)!;
    this.#queuedOpens.delete(slot);
    this.#runControlNow(queued.requestId, queued.request);
  }

  /** Opens waiting for their turn (the next commit sends what they complete). */
  get queuedOpens(): number { return this.#queuedOpens.size; }

  /** One slice of the queued opens: at least one, then more while the turn's budget lasts. */
  #runOpenSlice(): void {
    const budget = this.#o.openBudgetMs ?? OPEN_BUDGET_MS;
    const began = performance.now();
    for (const slot of this.#queuedOpens.keys()) {
      this.#runQueuedOpen(slot);
      if (performance.now() - began >= budget) break;
    }
  }

  /** A stopping shard opens nothing more: the opens still queued are answered as not served here. */
  #failQueuedOpens(): void {
    for (const { requestId } of this.#queuedOpens.values()) this.#failControl(requestId, ErrorCode.NOT_LEADER_OR_FOLLOWER, 'shard is stopping');
    this.#queuedOpens.clear();
  }

  /** True when queued opens wait, or the interval fsync, the retention check or the cleaner check is due (housekeeping() has work). */
  get housekeepingDue(): boolean {
    if (this.#queuedOpens.size > 0) return true;
    const now = this.#o.clock.monotonicMs();
    const fsync = this.#o.fsync;
    return (fsync.kind === 'interval' && now - this.#lastIntervalSync >= fsync.intervalMs)
      || now - this.#lastRetentionCheck >= this.#o.retentionCheckMs
      || (this.#o.cleaner?.enabled === true && now - this.#lastCleanerCheck >= this.#o.cleaner.backoffMs);
  }

  /**
   * Runs the interval fsync and the retention check when they are due. The worker runs it only
   * with no commit pending (retention deletes files; see wantsIdle).
   */
  async housekeeping(): Promise<void> {
    // A new turn's budget for opens; a slice of the queued ones runs now (their completions go
    // with the next commit, which the worker runs on its next turn: nextWaitMs is 1 meanwhile).
    this.#openSpentMs = 0;
    if (this.#queuedOpens.size > 0) this.#runOpenSlice();
    const now = this.#o.clock.monotonicMs();
    const fsync = this.#o.fsync;
    if (fsync.kind === 'interval' && now - this.#lastIntervalSync >= fsync.intervalMs) {
      this.#lastIntervalSync = now;
      const dirty = [...this.#partitions.values()].filter((p) => p.log.dirty && !p.log.offline);
      if (dirty.length > 0) {
        const began = process.hrtime.bigint();
        const results = await Promise.allSettled(dirty.map((p) => p.log.syncAsync()));
        this.#o.stats.recordSync(dirty.length, process.hrtime.bigint() - began);
        // What it covered was answered already (the interval policy's promise): a failure can only take the log offline.
        results.forEach((r, i) => { if (r.status === 'rejected') this.#syncWentOffline(dirty[i]!, dirty[i]!.log); });
      }
    }
    if (now - this.#lastRetentionCheck >= this.#o.retentionCheckMs) {
      this.#lastRetentionCheck = now;
      const wallNow = this.#o.clock.wallMs();
      for (const owned of this.#partitions.values()) {
        if (owned.remote !== null) {
          // Tiered: retention over both tiers, local copies only once uploaded (tiering.ts).
          try {
            if (!owned.log.offline && applyTieredRetention(owned, wallNow, this.#log)) this.#publish(owned);
          } catch (err) {
            this.#log.error({ err, topic: owned.topic, partition: owned.partition }, 'tiered retention failed');
          }
          continue;
        }
        if (owned.log.offline) continue;
        const result = owned.log.applyRetention(wallNow);
        if (result.deletedSegments > 0) {
          this.#log.info({ topic: owned.topic, partition: owned.partition, ...result, logStartOffset: String(owned.log.logStartOffset) }, 'retention deleted segments');
          this.#publish(owned);
        }
      }
    }
    if (this.#o.cleaner?.enabled && now - this.#lastCleanerCheck >= this.#o.cleaner.backoffMs) {
      this.#lastCleanerCheck = now;
      this.#startCleaning();
    }
  }

  /**
   * Starts a clean of every compacted partition that is due (compaction.ts planClean) and not
   * already being cleaned. The cleaner builds files only; applyCleaned() swaps them in.
   */
  #startCleaning(): void {
    const cleaner = this.#o.cleaner;
    if (cleaner === undefined || !cleaner.enabled) return;
    const nowMs = Number(this.#o.clock.wallMs());
    for (const owned of this.#partitions.values()) {
      if (!owned.config.compact || owned.cleaner.running || owned.log.offline || nowMs < owned.cleaner.retryAfterMs) continue;
      const log = owned.log;
      const segments = log.cleanableSegments();
      const lastStableOffset = owned.producers.lastStableOffset(log.logEndOffset, log.logStartOffset);
      const plan = planClean(segments, log.logStartOffset, owned.cleaner, owned.config, nowMs, lastStableOffset);
      owned.cleaner.dirtyRatio = plan.dirtyRatio;
      this.#publishCleaner(owned);
      if (!('job' in plan)) continue;
      const job = { ...plan.job, partitionDir: log.partitionDir, nowMs, producerLastOffsets: owned.producers.lastBatchOffsets(),
        abortedTxns: log.abortedTxns(), producerMarkerOnlyEpochs: owned.producers.markerOnlyEpochs() };
      const sizes = new Map(plan.job.segments.map((s) => [s.baseOffset, s.size]));
      owned.cleaner.running = true;
      this.#log.debug({ topic: owned.topic, partition: owned.partition, reason: plan.reason, dirtyRatio: plan.dirtyRatio, segments: job.segments.length }, 'cleaning');
      const run = cleaner.run ?? ((j: Omit<CleanJob, 'throttle'>) => Promise.resolve({ result: cleanSegments(j), elapsedMs: 0 }));
      run(job).then(
        (result) => this.#cleaned.push({ owned, log, run: result, sizes }),
        (error: unknown) => this.#cleaned.push({ owned, log, run: null, sizes, error }),
      ).finally(() => this.#o.onPoolResult?.());
    }
  }

  /** Cleaner runs waiting to be swapped in. */
  get cleanedWaiting(): number { return this.#cleaned.length; }

  /**
   * Swaps finished cleans in. Runs between drains, when nothing is staged and everything written
   * is published, so publishing here moves only the segment epoch and the log start offset.
   */
  applyCleaned(): void {
    while (this.#cleaned.length > 0) {
      const { owned, log, run, sizes, error } = this.#cleaned.shift()!;
      owned.cleaner.running = false;
      const current = this.#partitions.get(owned.slot) === owned && owned.log === log && !log.offline;
      if (run === null) {
        owned.cleaner.retryAfterMs = Number(this.#o.clock.wallMs()) + CLEANER_RETRY_BACKOFF_MS;
        this.#log.warn({ err: error, topic: owned.topic, partition: owned.partition, retryInMs: CLEANER_RETRY_BACKOFF_MS }, 'log cleaner failed; it will retry');
        continue;
      }
      if (!current) {
        // The log was reopened or closed meanwhile: its files may have moved on.
        try { log.discardCleaned(run.result.groups); } catch { /* the directory may be gone */ }
        continue;
      }
      try {
        const swapped = log.swapCleaned(run.result.groups, sizes);
        const state = owned.cleaner;
        if (swapped === run.result.groups.length) {
          state.firstDirtyOffset = run.result.cleanedUpTo;
          state.nextDeleteHorizonMs = run.result.nextDeleteHorizonMs;
          state.dirtyRatio = 0;
        }
        state.runs++;
        state.lastCleanMs = Number(this.#o.clock.wallMs());
        saveCleanerState(log.partitionDir, state);
        this.#o.stats.add(CLEANER_RUNS, 1);
        this.#o.stats.add(CLEANER_BYTES, run.result.bytesCleaned);
        this.#log.info({
          topic: owned.topic, partition: owned.partition, groups: swapped, bytesRead: run.result.bytesRead, bytesWritten: run.result.bytesWritten,
          recordsRead: run.result.recordsRead, recordsKept: run.result.recordsKept, elapsedMs: Math.round(run.elapsedMs), cleanedUpTo: String(run.result.cleanedUpTo),
        }, 'log cleaner swapped cleaned segments in');
        this.#publish(owned);
      } catch (err) {
        owned.cleaner.retryAfterMs = Number(this.#o.clock.wallMs()) + CLEANER_RETRY_BACKOFF_MS;
        this.#log.error({ err, topic: owned.topic, partition: owned.partition }, 'swapping cleaned segments in failed');
      }
    }
  }

  /** How long the shard may sleep on an empty ring before housekeeping is due. */
  nextWaitMs(): number {
    if (this.#queuedOpens.size > 0 || this.#completions.length > 0) return 1;
    const now = this.#o.clock.monotonicMs();
    const waits = [this.#o.retentionCheckMs - (now - this.#lastRetentionCheck)];
    if (this.#o.cleaner?.enabled) waits.push(this.#o.cleaner.backoffMs - (now - this.#lastCleanerCheck));
    const fsync = this.#o.fsync;
    if (fsync.kind === 'interval') waits.push(fsync.intervalMs - (now - this.#lastIntervalSync));
    return Math.max(1, Math.min(...waits));
  }

  /** Shutdown: closes every log cleanly. */
  closeAll(): void {
    for (const owned of this.#partitions.values()) closeOwned(owned, this.#log);
  }

  #fail(requestId: number, errorCode: number, errorMessage: string, logStartOffset = -1n): void {
    this.#completions.push(failedAppend(requestId, errorCode, errorMessage, logStartOffset));
  }

  #failOffline(owned: OwnedPartition, requestId: number): void {
    this.#fail(requestId, ErrorCode.KAFKA_STORAGE_ERROR, `partition log ${owned.topic}-${owned.partition} is offline after a failed write`);
  }

  /** The log refused a write and went offline: readers of the slot are told (its state word). */
  #wentOffline(owned: OwnedPartition, err: unknown): void {
    this.#log.error({ err, topic: owned.topic, partition: owned.partition }, 'append failed');
    if (owned.log.offline && this.#o.watermarks.state(owned.slot) !== PARTITION_STATE_OFFLINE) {
      this.#o.watermarks.setState(owned.slot, PARTITION_STATE_OFFLINE);
    }
  }

  /**
   * Publishes what readers may see of a partition: this shard owns the slot (STYLE.md rule 1). The
   * end (HWM, LSO) moves only with `end`, a commit's: written bytes may be ahead of it, their sync
   * still in flight. Without one (retention, DeleteRecords, a clean swapped in) only the log start
   * can raise the LSO.
   */
  #publish(owned: OwnedPartition, end?: CommittedEnd): void {
    const watermarks = this.#o.watermarks;
    this.#publishSegments(owned);
    const logStartOffset = owned.log.logStartOffset;
    if (end !== undefined) {
      watermarks.publishHighWatermark(owned.slot, end.highWatermark);
      // The LSO of the commit's moment: the first offset of the oldest transaction then ongoing, else its HWM.
      watermarks.publishLastStableOffset(owned.slot, end.lastStableOffset > logStartOffset ? end.lastStableOffset : logStartOffset);
    } else if (watermarks.lastStableOffset(owned.slot) < logStartOffset) {
      watermarks.publishLastStableOffset(owned.slot, logStartOffset);
    }
    this.#publishStarts(owned);
    this.#publishCleaner(owned);
  }

  /**
   * Tiered storage moved the log starts (a local delete after an upload): only those, and the
   * segment epoch, are published. A control request runs inside a drain whose appends may not be
   * synced yet, so the high watermark waits for that drain's commit.
   */
  #publishLogStarts(owned: OwnedPartition): void {
    // Only the owning shard stores into this slot (STYLE.md rule 1): it alone deleted the files.
    this.#publishSegments(owned);
    this.#publishStarts(owned);
  }

  /** The segment epoch (when the segment list changed) and the log's end in bytes. */
  #publishSegments(owned: OwnedPartition): void {
    if (owned.announcedSegments !== owned.log.segmentsVersion) {
      owned.announcedSegments = owned.log.segmentsVersion;
      this.#o.watermarks.bumpSegmentEpoch(owned.slot);
    }
    this.#o.watermarks.publishLogEndBytes(owned.slot, BigInt(owned.log.logEndBytes));
  }

  /**
   * The boundary between the tiers first, then the log start: logStart <= localLogStart holds for
   * readers at every moment (both only rise).
   */
  #publishStarts(owned: OwnedPartition): void {
    this.#o.watermarks.publishLocalLogStartOffset(owned.slot, owned.log.logStartOffset);
    this.#o.watermarks.publishLogStartOffset(owned.slot, globalLogStartOffset(owned.log, owned.remote));
  }

  /** The cleaner's figures for the metrics (this shard owns the slot, STYLE.md rule 1). */
  #publishCleaner(owned: OwnedPartition): void {
    this.#o.watermarks.publishCleaner(owned.slot, owned.config.compact ? owned.cleaner.dirtyRatio : -1, owned.cleaner.lastCleanMs);
  }

  #runControl(request: ControlRequest): ControlOutcome {
    const watermarks = this.#o.watermarks;
    switch (request.op) {
      case 'open': {
        const existing = this.#partitions.get(request.slot);
        if (existing) closeOwned(existing, this.#log);
        const openRequest: OpenPartitionRequest = { slot: request.slot, topic: request.topic, partition: request.partition, dir: request.dir, config: request.config };
        // Only the owning shard stores into this slot (STYLE.md rule 1): the pool routed the open here.
        watermarks.setState(request.slot, PARTITION_STATE_RECOVERING);
        const config = logConfigFromTopicConfigs(request.config);
        const began = performance.now();
        const owned = ownPartition(openRequest, config, this.#o.openLog(openRequest, config), this.#log);
        this.#partitions.set(request.slot, owned);
        const log = owned.log;
        // Recovery decided where the log ends; the slot may hold a previous owner's numbers, so it
        // is reset rather than advanced. This is the one place a watermark may move backwards.
        watermarks.resetForTruncation(request.slot, {
          highWatermark: log.logEndOffset,
          logStartOffset: globalLogStartOffset(log, owned.remote),
          localLogStartOffset: log.logStartOffset,
          lastStableOffset: owned.producers.lastStableOffset(log.logEndOffset, log.logStartOffset),
          logEndBytes: BigInt(log.logEndBytes),
        });
        this.#publishCleaner(owned);
        watermarks.setState(request.slot, PARTITION_STATE_ONLINE);
        return { errorCode: ErrorCode.NONE, offset: log.logEndOffset, body: { recoveryMs: Math.round(performance.now() - began) } };
      }
      case 'close': {
        const owned = this.#partitions.get(request.slot);
        this.#partitions.delete(request.slot);
        if (owned) {
          this.#touched.delete(owned);
          if (request.deleteFiles) owned.log.deleteAll();
          else closeOwned(owned, this.#log);
        } else if (request.deleteFiles) {
          return DONE;
        }
        // Only the owning shard stores into this slot (STYLE.md rule 1): it owned the partition until now.
        watermarks.setState(request.slot, PARTITION_STATE_UNUSED);
        return DONE;
      }
      case 'update-config': {
        const owned = this.#partitions.get(request.slot);
        if (!owned) return refused(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        // A clean close and reopen: the clean-shutdown marker makes the reopen skip the tail scan.
        owned.request = { ...owned.request, config: request.config };
        owned.config = logConfigFromTopicConfigs(request.config);
        owned.compression = compressionTargetOf(request.config);
        owned.log.close();
        owned.log = this.#o.openLog(owned.request, owned.config);
        // remote.storage.enable may have been turned on (never off: LogConfig refuses that).
        owned.remote ??= loadRemoteRecord(owned.log, owned.config);
        this.#publishCleaner(owned);
        // A reopened log takes appends again, even one that had gone offline: say so to readers.
        // Only the owning shard stores into this slot (STYLE.md rule 1).
        if (watermarks.state(owned.slot) !== PARTITION_STATE_ONLINE) watermarks.setState(owned.slot, PARTITION_STATE_ONLINE);
        return DONE;
      }
      case 'delete-records': {
        const owned = this.#partitions.get(request.slot);
        if (!owned) return refused(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        // Bounded by what consumers can see, not by what is written but not yet committed.
        const end = watermarks.highWatermark(owned.slot);
        // -1 means "up to the high watermark", as in Kafka's DeleteRecords.
        const offset = request.offset === -1n ? end : request.offset;
        if (offset < 0n || offset > end) return refused(ErrorCode.OFFSET_OUT_OF_RANGE);
        if (owned.remote !== null) deleteRecordsTiered(owned, offset);
        else owned.log.deleteRecordsBefore(offset);
        this.#publish(owned);
        return { errorCode: ErrorCode.NONE, offset: globalLogStartOffset(owned.log, owned.remote), body: null };
      }
      case 'tier': {
        const owned = this.#partitions.get(request.slot);
        if (!owned) return refused(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
        if (owned.remote === null) return refused(ErrorCode.INVALID_REQUEST);
        if (owned.log.offline) return refused(ErrorCode.KAFKA_STORAGE_ERROR);
        const moved = applyTierAction(owned, request.action, this.#o.clock.wallMs(), this.#log);
        if (moved === 'log-start-lowered') {
          // A record rebuilt from the manifests extends the log below its published start: the
          // one move backwards of a log start, done like recovery's reset (state recovering first).
          // Only the owning shard stores into this slot (STYLE.md rule 1).
          watermarks.setState(owned.slot, PARTITION_STATE_RECOVERING);
          watermarks.resetForTruncation(owned.slot, {
            highWatermark: watermarks.highWatermark(owned.slot),
            logStartOffset: globalLogStartOffset(owned.log, owned.remote),
            localLogStartOffset: owned.log.logStartOffset,
            lastStableOffset: watermarks.lastStableOffset(owned.slot),
            logEndBytes: BigInt(owned.log.logEndBytes),
          });
          watermarks.setState(owned.slot, PARTITION_STATE_ONLINE);
        } else if (moved) {
          this.#publishLogStarts(owned);
        }
        const lastStableOffset = owned.producers.lastStableOffset(owned.log.logEndOffset, owned.log.logStartOffset);
        return { errorCode: ErrorCode.NONE, offset: NO_OFFSET, body: { tier: tierStatus(owned, lastStableOffset) } };
      }
      case 'shutdown':
        this.#stopping = true;
        return DONE;
      case 'describe-producers':
        return this.#describeProducers(request.slot);
      case 'write-marker':
        // Served by #writeMarker (control() routes it there before anything else).
        return refused(ErrorCode.UNKNOWN_SERVER_ERROR);
    }
  }

  /** DescribeProducers: the producer state only this shard keeps, read between drains. */
  #describeProducers(slot: number): ControlOutcome {
    const owned = this.#partitions.get(slot);
    if (!owned) return { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, offset: NO_OFFSET, body: null };
    const producers = owned.producers.describe().map((p) => ({
      producerId: String(p.producerId), producerEpoch: p.producerEpoch, lastSequence: p.lastSequence, lastTimestamp: String(p.lastTimestamp),
      coordinatorEpoch: p.coordinatorEpoch ?? -1, currentTxnStartOffset: String(p.currentTxnStartOffset ?? -1n),
    }));
    return { errorCode: ErrorCode.NONE, offset: NO_OFFSET, body: { producers } };
  }
}
