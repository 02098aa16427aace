// The transaction coordinator (issue 13), on the main thread beside the group coordinator. It keeps
// Kafka's TransactionMetadata state machine per transactional id (Empty, Ongoing, PrepareCommit,
// PrepareAbort, CompleteCommit, CompleteAbort, PrepareEpochFence, Dead) with the error codes of
// Kafka's TransactionCoordinator (read from its source), runs the TV1 protocol (EndTxn does not bump
// the epoch), and writes every transition durably (TxnStore, fsynced) before acknowledging it.
//
// Ending a transaction: Prepare* is written, the client is answered, then markers go to every
// partition through their owning shards (retried on retriable errors), pending TxnOffsetCommit
// offsets are materialized on commit, and Complete* is written. Recovery resends the markers of a
// Prepare* state and restarts the timeout clock of an Ongoing one (from its start timestamp).
// Timeouts: one timer per Ongoing transaction (no scan); it fences (epoch bump) and aborts.
import type { Logger } from 'pino';
import { ErrorCode } from '../protocol/errors.ts';
import type { TxnMarkerWriter } from '../shared-mem/txn-marker.ts';
import type { PendingTxnOffset, TxnLogEntry, TxnRecord, TxnStateName, TxnStore } from './transaction-log.ts';

/** RecordBatch.NO_PRODUCER_ID / NO_PRODUCER_EPOCH. */
const NO_PRODUCER_ID = -1n;
const NO_PRODUCER_EPOCH = -1;
/** Kafka's TransactionMetadata.isEpochExhausted: an epoch of Short.MAX_VALUE - 1 cannot be bumped again. */
const isEpochExhausted = (epoch: number) => epoch >= 32_767 - 1;
/** With one broker the coordinator's epoch never changes. */
const COORDINATOR_EPOCH = 0;
const MARKER_RETRY_MS = 200;

export interface TransactionCoordinatorSettings {
  /** transaction.max.timeout.ms (Kafka's default 900000). */
  transactionMaxTimeoutMs: number;
  /** transactional.id.expiration.ms (Kafka's default 604800000). */
  transactionalIdExpirationMs: number;
}

export const DEFAULT_TRANSACTION_COORDINATOR_SETTINGS: TransactionCoordinatorSettings = Object.freeze({
  transactionMaxTimeoutMs: 900_000,
  transactionalIdExpirationMs: 604_800_000,
});

export interface TransactionCoordinatorOptions {
  store: TxnStore;
  markers: TxnMarkerWriter;
  /** The owning shard and slot of a partition; undefined when it does not exist (any more). */
  partition(topic: string, partition: number): { shard: number; slot: number } | undefined;
  allocateProducerId(): Promise<bigint>;
  /** Makes a committed transaction's offsets the group's committed offsets, durably. */
  commitOffsets(group: string, offsets: readonly PendingTxnOffset[]): Promise<void>;
  settings?: Partial<TransactionCoordinatorSettings>;
  log: Logger;
  now?: () => number;
}

interface TxnMetadata extends TxnRecord {
  /** A transition is being written (Kafka's pendingState): other requests get CONCURRENT_TRANSACTIONS. */
  pending: boolean;
  timer?: ReturnType<typeof setTimeout>;
}

export interface InitProducerIdResult { errorCode: number; producerId: bigint; producerEpoch: number }
export interface EndTxnResult { errorCode: number; producerId: bigint; producerEpoch: number }

export interface TransactionDescription {
  errorCode: number;
  transactionalId: string;
  transactionState: string;
  transactionTimeoutMs: number;
  transactionStartTimeMs: bigint;
  producerId: bigint;
  producerEpoch: number;
  topics: { topic: string; partitions: number[] }[];
}

const key = (topic: string, partition: number) => `${topic}\0${partition}`;

export class TransactionCoordinator {
  readonly #o: TransactionCoordinatorOptions;
  readonly #settings: TransactionCoordinatorSettings;
  readonly #txns = new Map<string, TxnMetadata>();
  readonly #now: () => number;
  readonly #log: Logger;
  #loading = true;
  #closed = false;
  #expiryTimer: ReturnType<typeof setInterval> | undefined;
  /** Completions in flight (markers, then Complete*), awaited by close() and by tests. */
  readonly #completions = new Set<Promise<void>>();

  constructor(options: TransactionCoordinatorOptions) {
    this.#o = options;
    this.#settings = { ...DEFAULT_TRANSACTION_COORDINATOR_SETTINGS, ...options.settings };
    this.#now = options.now ?? Date.now;
    this.#log = options.log;
  }

  get loading(): boolean {
    return this.#loading;
  }

  get settings(): Readonly<TransactionCoordinatorSettings> {
    return this.#settings;
  }

  /** Replays the log, then resends the markers of Prepare* states and rearms Ongoing timeouts. */
  async load(replay: (apply: (entry: TxnLogEntry) => void) => Promise<unknown>): Promise<void> {
    await replay((entry) => {
      if (entry.record === null) this.#txns.delete(entry.transactionalId);
      else this.#txns.set(entry.transactionalId, { ...entry.record, pending: false });
    });
    this.#loading = false;
    for (const meta of this.#txns.values()) {
      if (meta.state === 'Ongoing') this.#armTimeout(meta);
      else if (meta.state === 'PrepareCommit' || meta.state === 'PrepareAbort') {
        this.#log.info({ transactionalId: meta.transactionalId, state: meta.state }, 'resending transaction markers after restart');
        this.#complete(meta);
      }
    }
    // transactional.id.expiration.ms: Kafka checks every transactional.id.expiration.check.interval.ms (1 h by default).
    this.#expiryTimer = setInterval(() => void this.#expireIds(), Math.min(3_600_000, this.#settings.transactionalIdExpirationMs));
    this.#expiryTimer.unref();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#expiryTimer);
    for (const meta of this.#txns.values()) clearTimeout(meta.timer);
    await Promise.allSettled([...this.#completions]);
  }

  /** Resolves when every transaction being completed right now is complete (tests). */
  async settled(): Promise<void> {
    while (this.#completions.size > 0) await Promise.allSettled([...this.#completions]);
  }

  // ---- InitProducerId ----

  async initProducerId(transactionalId: string, timeoutMs: number, expected: { producerId: bigint; producerEpoch: number } | null): Promise<InitProducerIdResult> {
    const fail = (errorCode: number): InitProducerIdResult => ({ errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH });
    if (this.#loading) return fail(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    if (transactionalId === '') return fail(ErrorCode.INVALID_REQUEST);
    if (timeoutMs <= 0 || timeoutMs > this.#settings.transactionMaxTimeoutMs) return fail(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
    let meta = this.#txns.get(transactionalId);
    if (!meta) {
      const producerId = await this.#o.allocateProducerId();
      meta = this.#txns.get(transactionalId); // another request may have created it meanwhile
      if (!meta) {
        const now = BigInt(this.#now());
        meta = {
          transactionalId, producerId, previousProducerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH, lastProducerEpoch: NO_PRODUCER_EPOCH,
          timeoutMs, state: 'Empty', partitions: [], groups: [], pendingOffsets: [], startTimestamp: -1n, updateTimestamp: now, pending: false,
        };
        this.#txns.set(transactionalId, meta);
      }
    }
    if (meta.pending) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    // Kafka's isValidProducerId: a just-created id, the current id, or a retry after a rotation.
    if (expected && !(meta.producerEpoch === NO_PRODUCER_EPOCH || expected.producerId === meta.producerId
      || (expected.producerId === meta.previousProducerId && isEpochExhausted(expected.producerEpoch)))) {
      return fail(ErrorCode.PRODUCER_FENCED);
    }
    switch (meta.state) {
      case 'PrepareCommit':
      case 'PrepareAbort':
        return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
      case 'Ongoing': {
        // Fence the producer of the open transaction: abort it at a bumped epoch and let the
        // client retry (which bumps once more), as Kafka's prepareFenceProducerEpoch.
        const errorCode = await this.#fenceAndAbort(meta);
        return fail(errorCode === ErrorCode.NONE ? ErrorCode.CONCURRENT_TRANSACTIONS : errorCode);
      }
      case 'Empty':
      case 'CompleteCommit':
      case 'CompleteAbort':
        break;
      default:
        return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    }
    let next: TxnRecord;
    const now = BigInt(this.#now());
    const base = { ...this.#record(meta), timeoutMs, state: 'Empty' as const, partitions: [], groups: [], pendingOffsets: [], startTimestamp: -1n, updateTimestamp: now };
    if (isEpochExhausted(meta.producerEpoch) && (!expected || expected.producerEpoch === meta.producerEpoch)) {
      // prepareProducerIdRotation
      const producerId = await this.#o.allocateProducerId();
      if (meta.pending) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
      next = { ...base, previousProducerId: meta.producerId, producerId, producerEpoch: 0, lastProducerEpoch: expected ? meta.producerEpoch : NO_PRODUCER_EPOCH };
    } else if (!expected || meta.producerEpoch === NO_PRODUCER_EPOCH || expected.producerEpoch === meta.producerEpoch) {
      // prepareIncrementProducerEpoch
      next = { ...base, producerEpoch: meta.producerEpoch + 1, lastProducerEpoch: meta.producerEpoch };
    } else if (expected.producerEpoch === meta.lastProducerEpoch) {
      // A retry whose response was lost: the bump already happened.
      return { errorCode: ErrorCode.NONE, producerId: meta.producerId, producerEpoch: meta.producerEpoch };
    } else return fail(ErrorCode.PRODUCER_FENCED);
    const written = await this.#write(meta, next);
    if (written !== ErrorCode.NONE) return fail(written);
    this.#log.info({ transactionalId, producerId: String(meta.producerId), producerEpoch: meta.producerEpoch }, 'transactional id initialized');
    return { errorCode: ErrorCode.NONE, producerId: meta.producerId, producerEpoch: meta.producerEpoch };
  }

  // ---- AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit ----

  /** Checks common to the calls of an ongoing producer (Kafka's order); NONE to go on. */
  #check(meta: TxnMetadata | undefined, producerId: bigint, producerEpoch: number): number {
    if (this.#loading) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    if (!meta) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (meta.producerId !== producerId) return ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    if (meta.producerEpoch !== producerEpoch) return ErrorCode.PRODUCER_FENCED;
    if (meta.pending || meta.state === 'PrepareCommit' || meta.state === 'PrepareAbort') return ErrorCode.CONCURRENT_TRANSACTIONS;
    return ErrorCode.NONE;
  }

  async addPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: readonly [string, number][]): Promise<number> {
    if (transactionalId === '') return ErrorCode.INVALID_REQUEST;
    const meta = this.#txns.get(transactionalId);
    const check = this.#check(meta, producerId, producerEpoch);
    if (check !== ErrorCode.NONE || !meta) return check;
    const have = new Set(meta.partitions.map(([t, p]) => key(t, p)));
    const added = partitions.filter(([t, p]) => !have.has(key(t, p)));
    if (meta.state === 'Ongoing' && added.length === 0) return ErrorCode.NONE;
    return this.#becomeOngoing(meta, { partitions: [...meta.partitions, ...dedupe(added)] });
  }

  /** Verify-only AddPartitionsToTxn (KIP-890 part 1), and the Produce path's check: per partition. */
  verifyPartitions(transactionalId: string, producerId: bigint, producerEpoch: number, partitions: readonly [string, number][]): number[] {
    if (transactionalId === '') return partitions.map(() => ErrorCode.INVALID_REQUEST);
    const meta = this.#txns.get(transactionalId);
    let errorCode: number = ErrorCode.NONE;
    if (this.#loading) errorCode = ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    else if (!meta || meta.producerId !== producerId) errorCode = ErrorCode.INVALID_PRODUCER_ID_MAPPING;
    else if (meta.producerEpoch !== producerEpoch) errorCode = ErrorCode.PRODUCER_FENCED;
    else if (meta.state === 'PrepareCommit' || meta.state === 'PrepareAbort') errorCode = ErrorCode.CONCURRENT_TRANSACTIONS;
    if (errorCode !== ErrorCode.NONE || !meta) return partitions.map(() => errorCode);
    // Partitions join the metadata once their AddPartitions state is durable, leave it at Complete*.
    const have = new Set(meta.partitions.map(([t, p]) => key(t, p)));
    return partitions.map(([t, p]) => have.has(key(t, p)) ? ErrorCode.NONE : ErrorCode.TRANSACTION_ABORTABLE);
  }

  /** Produce's KIP-890 check for one partition's transactional batch, mapped as Kafka maps it for Produce v11 and older. */
  verifyProduce(transactionalId: string, producerId: bigint, producerEpoch: number, topic: string, partition: number): number {
    const [code] = this.verifyPartitions(transactionalId, producerId, producerEpoch, [[topic, partition]]);
    // AddPartitionsToTxnManager: producers expect INVALID_PRODUCER_EPOCH, and old ones INVALID_TXN_STATE.
    if (code === ErrorCode.PRODUCER_FENCED) return ErrorCode.INVALID_PRODUCER_EPOCH;
    if (code === ErrorCode.TRANSACTION_ABORTABLE) return ErrorCode.INVALID_TXN_STATE;
    return code!;
  }

  async addOffsets(transactionalId: string, producerId: bigint, producerEpoch: number, groupId: string): Promise<number> {
    if (transactionalId === '') return ErrorCode.INVALID_REQUEST;
    const meta = this.#txns.get(transactionalId);
    const check = this.#check(meta, producerId, producerEpoch);
    if (check !== ErrorCode.NONE || !meta) return check;
    if (meta.state === 'Ongoing' && meta.groups.includes(groupId)) return ErrorCode.NONE;
    return this.#becomeOngoing(meta, { groups: [...meta.groups, groupId] });
  }

  /**
   * TxnOffsetCommit: the offsets are kept with the transaction (durable in its state) and become
   * the group's committed offsets only when it commits. The group must have been added
   * (AddOffsetsToTxn) to an ongoing transaction of this producer and epoch.
   */
  async addPendingOffsets(transactionalId: string, producerId: bigint, producerEpoch: number, groupId: string, offsets: readonly PendingTxnOffset[]): Promise<number> {
    const meta = this.#txns.get(transactionalId);
    let check = this.#check(meta, producerId, producerEpoch);
    // Kafka's group coordinator answers a stale epoch with INVALID_PRODUCER_EPOCH here (TxnOffsetCommit has no PRODUCER_FENCED).
    if (check === ErrorCode.PRODUCER_FENCED) check = ErrorCode.INVALID_PRODUCER_EPOCH;
    if (check !== ErrorCode.NONE || !meta) return check;
    if (meta.state !== 'Ongoing' || !meta.groups.includes(groupId)) return ErrorCode.INVALID_TXN_STATE;
    const replaced = new Set(offsets.map((o) => `${o.group}\0${key(o.topic, o.partition)}`));
    const pendingOffsets = [...meta.pendingOffsets.filter((o) => !replaced.has(`${o.group}\0${key(o.topic, o.partition)}`)), ...offsets];
    return this.#write(meta, { ...this.#record(meta), pendingOffsets, updateTimestamp: BigInt(this.#now()) });
  }

  /** Whether a group has offsets pending in an open transaction for a partition (OffsetFetch require_stable). */
  hasPendingOffsets(groupId: string, topic: string, partition: number): boolean {
    for (const meta of this.#txns.values()) {
      if (meta.state === 'Empty' || meta.state === 'CompleteAbort' || meta.state === 'CompleteCommit') continue;
      if (meta.pendingOffsets.some((o) => o.group === groupId && o.topic === topic && o.partition === partition)) return true;
    }
    return false;
  }

  async #becomeOngoing(meta: TxnMetadata, change: Partial<TxnRecord>): Promise<number> {
    const now = BigInt(this.#now());
    const starting = meta.state !== 'Ongoing';
    const next: TxnRecord = {
      ...this.#record(meta),
      ...(starting ? { partitions: [], groups: [], pendingOffsets: [], startTimestamp: now } : {}),
      ...change,
      state: 'Ongoing',
      updateTimestamp: now,
    };
    const errorCode = await this.#write(meta, next);
    if (errorCode === ErrorCode.NONE && starting) this.#armTimeout(meta);
    return errorCode;
  }

  // ---- EndTxn ----

  async endTxn(transactionalId: string, producerId: bigint, producerEpoch: number, commit: boolean): Promise<EndTxnResult> {
    return this.#endTransaction(transactionalId, producerId, producerEpoch, commit, true);
  }

  async #endTransaction(transactionalId: string, producerId: bigint, producerEpoch: number, commit: boolean, fromClient: boolean): Promise<EndTxnResult> {
    const fail = (errorCode: number): EndTxnResult => ({ errorCode, producerId: NO_PRODUCER_ID, producerEpoch: NO_PRODUCER_EPOCH });
    if (this.#loading) return fail(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
    if (transactionalId === '') return fail(ErrorCode.INVALID_REQUEST);
    const meta = this.#txns.get(transactionalId);
    if (!meta || meta.producerId !== producerId) return fail(ErrorCode.INVALID_PRODUCER_ID_MAPPING);
    // TV1: strict equality for a client; the coordinator's own abort comes at the fenced (higher) epoch.
    if (!((!fromClient || producerEpoch === meta.producerEpoch) && producerEpoch >= meta.producerEpoch)) return fail(ErrorCode.PRODUCER_FENCED);
    if (meta.pending) return fail(ErrorCode.CONCURRENT_TRANSACTIONS);
    const sameResult = (state: TxnStateName) => (state === 'CompleteCommit' || state === 'PrepareCommit') === commit;
    switch (meta.state) {
      case 'Ongoing': break;
      case 'CompleteCommit':
      case 'CompleteAbort':
        // A retried EndTxn whose transaction is already complete.
        return sameResult(meta.state) ? { errorCode: ErrorCode.NONE, producerId: meta.producerId, producerEpoch: meta.producerEpoch } : fail(ErrorCode.INVALID_TXN_STATE);
      case 'PrepareCommit':
      case 'PrepareAbort':
        return fail(sameResult(meta.state) ? ErrorCode.CONCURRENT_TRANSACTIONS : ErrorCode.INVALID_TXN_STATE);
      default:
        return fail(ErrorCode.INVALID_TXN_STATE);
    }
    clearTimeout(meta.timer);
    const errorCode = await this.#write(meta, {
      ...this.#record(meta), producerEpoch, state: commit ? 'PrepareCommit' : 'PrepareAbort', updateTimestamp: BigInt(this.#now()),
    });
    if (errorCode !== ErrorCode.NONE) return fail(errorCode);
    // The client is answered once Prepare* is durable; markers and Complete* follow (as Kafka).
    this.#complete(meta);
    return { errorCode: ErrorCode.NONE, producerId: meta.producerId, producerEpoch: meta.producerEpoch };
  }

  /** Kafka's prepareFenceProducerEpoch then an abort not from the client: the producer's epoch is bumped. */
  async #fenceAndAbort(meta: TxnMetadata): Promise<number> {
    // At an exhausted epoch the fence cannot bump (Kafka keeps the epoch there too).
    const fencedEpoch = isEpochExhausted(meta.producerEpoch) ? meta.producerEpoch : meta.producerEpoch + 1;
    const result = await this.#endTransaction(meta.transactionalId, meta.producerId, fencedEpoch, false, false);
    return result.errorCode;
  }

  #armTimeout(meta: TxnMetadata): void {
    clearTimeout(meta.timer);
    if (this.#closed) return;
    const due = Number(meta.startTimestamp) + meta.timeoutMs - this.#now();
    meta.timer = setTimeout(() => void this.#abortTimedOut(meta), Math.max(0, due));
    meta.timer.unref();
  }

  async #abortTimedOut(meta: TxnMetadata): Promise<void> {
    meta.timer = undefined;
    if (this.#closed || this.#txns.get(meta.transactionalId) !== meta || meta.state !== 'Ongoing') return;
    if (meta.pending) {
      // A transition is being written; look again shortly.
      meta.timer = setTimeout(() => void this.#abortTimedOut(meta), MARKER_RETRY_MS);
      meta.timer.unref();
      return;
    }
    this.#log.info({ transactionalId: meta.transactionalId, producerId: String(meta.producerId), timeoutMs: meta.timeoutMs }, 'aborting a timed-out transaction, fencing its producer');
    const errorCode = await this.#fenceAndAbort(meta);
    if (errorCode !== ErrorCode.NONE && meta.state === 'Ongoing') {
      this.#log.warn({ transactionalId: meta.transactionalId, errorCode }, 'could not abort a timed-out transaction; trying again');
      meta.timer = setTimeout(() => void this.#abortTimedOut(meta), MARKER_RETRY_MS * 5);
      meta.timer.unref();
    }
  }

  /** Markers to every partition of a Prepare* transaction, offsets on commit, then Complete*. */
  #complete(meta: TxnMetadata): void {
    const done = this.#runCompletion(meta).catch((err: unknown) => {
      this.#log.error({ err, transactionalId: meta.transactionalId }, 'transaction completion failed; it is retried at the next start');
    }).finally(() => this.#completions.delete(done));
    this.#completions.add(done);
  }

  async #runCompletion(meta: TxnMetadata): Promise<void> {
    const commit = meta.state === 'PrepareCommit';
    const marker = { producerId: meta.producerId, producerEpoch: meta.producerEpoch, coordinatorEpoch: COORDINATOR_EPOCH, commit };
    await Promise.all(meta.partitions.map(async ([topic, partition]) => {
      for (;;) {
        if (this.#closed) throw new Error('broker stopping');
        const handle = this.#o.partition(topic, partition);
        // A deleted partition needs no marker (Kafka drops markers for unknown partitions too).
        if (!handle) return;
        const result = await this.#o.markers.writeMarker(handle.shard, handle.slot, marker).catch((err: unknown) => ({
          errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: String(err),
        }));
        if (result.errorCode === ErrorCode.NONE) return;
        if (result.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION) return;
        // Kafka's TransactionMarkerRequestCompletionHandler: a fenced epoch means a newer marker won; nothing to retry.
        if (result.errorCode === ErrorCode.INVALID_PRODUCER_EPOCH || result.errorCode === ErrorCode.TRANSACTION_COORDINATOR_FENCED) {
          this.#log.warn({ topic, partition, errorCode: result.errorCode, message: result.errorMessage }, 'transaction marker refused');
          return;
        }
        this.#log.warn({ topic, partition, errorCode: result.errorCode, message: result.errorMessage }, 'transaction marker failed; retrying');
        await new Promise((resolve) => setTimeout(resolve, MARKER_RETRY_MS));
      }
    }));
    if (commit) {
      const byGroup = new Map<string, PendingTxnOffset[]>();
      for (const o of meta.pendingOffsets) byGroup.set(o.group, [...(byGroup.get(o.group) ?? []), o]);
      for (const [group, offsets] of byGroup) await this.#o.commitOffsets(group, offsets);
    }
    for (;;) {
      const errorCode = await this.#write(meta, {
        ...this.#record(meta), state: commit ? 'CompleteCommit' : 'CompleteAbort',
        partitions: [], groups: [], pendingOffsets: [], updateTimestamp: BigInt(this.#now()),
      });
      if (errorCode === ErrorCode.NONE) return;
      if (this.#closed) throw new Error('broker stopping');
      await new Promise((resolve) => setTimeout(resolve, MARKER_RETRY_MS));
    }
  }

  // ---- DescribeTransactions, ListTransactions ----

  describe(transactionalId: string): TransactionDescription {
    const empty = { transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [] };
    if (this.#loading) return { errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, transactionalId, ...empty };
    if (transactionalId === '') return { errorCode: ErrorCode.INVALID_REQUEST, transactionalId, ...empty };
    const meta = this.#txns.get(transactionalId);
    if (!meta || meta.state === 'Dead') return { errorCode: ErrorCode.TRANSACTIONAL_ID_NOT_FOUND, transactionalId, ...empty };
    const topics = new Map<string, number[]>();
    for (const [t, p] of meta.partitions) topics.set(t, [...(topics.get(t) ?? []), p]);
    return {
      errorCode: ErrorCode.NONE, transactionalId, transactionState: meta.state, transactionTimeoutMs: meta.timeoutMs,
      transactionStartTimeMs: meta.startTimestamp, producerId: meta.producerId, producerEpoch: meta.producerEpoch,
      topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
    };
  }

  /** Kafka's listTransactionStates: filters by state name, producer id, and (v1) minimum running time. */
  list(stateFilters: readonly string[], producerIdFilters: readonly bigint[], durationFilterMs: bigint): { transactionalId: string; producerId: bigint; transactionState: string }[] {
    const states = new Set(stateFilters);
    const producers = new Set(producerIdFilters);
    const now = BigInt(this.#now());
    const out = [];
    for (const meta of this.#txns.values()) {
      if (meta.state === 'Dead') continue;
      if (states.size > 0 && !states.has(meta.state)) continue;
      if (producers.size > 0 && !producers.has(meta.producerId)) continue;
      if (durationFilterMs >= 0n && (meta.startTimestamp < 0n || now - meta.startTimestamp < durationFilterMs)) continue;
      out.push({ transactionalId: meta.transactionalId, producerId: meta.producerId, transactionState: meta.state });
    }
    return out;
  }

  // ---- internals ----

  #record(meta: TxnMetadata): TxnRecord {
    const { pending: _pending, timer: _timer, ...record } = meta;
    return record;
  }

  /** Writes the next state durably, then applies it; the id is `pending` meanwhile. */
  async #write(meta: TxnMetadata, next: TxnRecord | null): Promise<number> {
    if (meta.pending) return ErrorCode.CONCURRENT_TRANSACTIONS;
    meta.pending = true;
    try {
      await this.#o.store.append([{ transactionalId: meta.transactionalId, record: next }]);
    } catch (err) {
      this.#log.error({ err, transactionalId: meta.transactionalId }, 'transaction log write failed');
      return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    } finally {
      meta.pending = false;
    }
    if (next === null) {
      this.#txns.delete(meta.transactionalId);
      meta.state = 'Dead';
    } else Object.assign(meta, next);
    return ErrorCode.NONE;
  }

  /** Kafka's removeExpiredTransactionalIds: ids idle in Empty or Complete* past the expiration go Dead. */
  async #expireIds(): Promise<void> {
    if (this.#loading || this.#closed) return;
    const limit = BigInt(this.#now() - this.#settings.transactionalIdExpirationMs);
    for (const meta of [...this.#txns.values()]) {
      if (meta.pending || meta.updateTimestamp > limit) continue;
      if (meta.state !== 'Empty' && meta.state !== 'CompleteCommit' && meta.state !== 'CompleteAbort') continue;
      await this.#write(meta, null);
    }
  }
}

function dedupe(partitions: readonly [string, number][]): [string, number][] {
  const seen = new Map<string, [string, number]>();
  for (const [t, p] of partitions) seen.set(key(t, p), [t, p]);
  return [...seen.values()];
}
