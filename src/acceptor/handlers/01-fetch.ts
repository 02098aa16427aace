// Fetch (key 1), v4-17. Topics by name (v4-12) or by topic ID (v13+). The visibility limit and the
// high_watermark field come from the partition's watermark slot; the bytes come straight from the
// segment files (no hop to the shard). Long poll: when fewer than min_bytes are ready and
// max_wait_ms allows, the request waits on the partitions' wake words (Atomics.waitAsync), so a
// produce answers it at once. max_bytes and partition_max_bytes bound the response, except that
// the first batch of the first non-empty partition is always returned whole. Out of
// [log start, HWM]: OFFSET_OUT_OF_RANGE. Tiered storage: an offset below the slot's local log start
// is read from the object store (src/acceptor/tiering/remote-reader.ts), batches of one remote
// segment per answer, none at or past the local log start; a failed remote read is
// KAFKA_STORAGE_ERROR, which clients retry.
// Record sets: on a connection that writes with sendfile (connection.sendsFileRanges: the native
// addon loaded, not TLS) a local read returns a FileRange of one segment file, cut at a batch
// boundary within the partition's budget, and the bytes never enter memory (PartitionReader.
// readFileRange; docs/notes/read-path.md); elsewhere, Buffers as before. A FileRange holds a handle
// lease until written: every round not answered is released here.
// Errored partitions are answered as Kafka 4.4 answers them (established by sending the same
// requests to it, see test/regressions/fetch-errors-carry-empty-records.test.ts): an empty record set,
// never null (librdkafka rejects a null one as a parse failure and never sees the error), and -1
// for the high watermark, last stable offset and log start offset. Read errors (out of range,
// leader epoch) carry null aborted_transactions; unknown topics and partitions an empty list. A
// successful partition carries null for read_uncommitted and a list (maybe empty) for read_committed.
// Fetch sessions (KIP-227, v7+; src/acceptor/fetch-sessions.ts holds the rules): epoch 0 is a full
// fetch that opens a session (its id answered, 0 when the cache has no room), epoch -1 a full fetch
// without one; either closes the session it names. An incremental fetch (epoch n > 0 of a cached
// session) adds, updates and forgets partitions (forgotten_topics_data, by name up to v12, by topic
// id from v13), reads every partition of the session in the session's order, and answers only the
// partitions with records, a new high watermark or log start offset, or an error, as Kafka does;
// a long poll of it waits on every partition of the session. Errors, as Kafka's FetchManager gives
// them: FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH, FETCH_SESSION_TOPIC_ID_ERROR (a
// session made with topic ids used without them, or the reverse), each with no partitions.
// Consumers' sessions are unprivileged (no follower fetches here). v4-6 have no session fields:
// their defaults (id 0, epoch -1) make them sessionless.
// read_committed (isolation_level 1): the read stops at the last stable offset (whole batches below
// it, the first one whole whatever its size), and aborted_transactions lists, from the segments'
// .txnindex, the aborted transactions from fetch_offset up to the end of the segment the read ended
// in, as Kafka 4.4 does (it too names aborted transactions past the LSO; docs/notes/transactions.md); a
// long poll waits while nothing is below the LSO. An offset in [LSO, HWM] is in range and gets an
// empty answer, as in Kafka.
import { defineHandler, type PartitionHandle, type PartitionWatermarks } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { FetchRequest } from '../../protocol/generated/fetch-request.ts';
import type { FetchResponseInput, PartitionDataInput } from '../../protocol/generated/fetch-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeTopic, principalOf } from '../acl/authorize.ts';
import { chargeQuota } from '../quotas/enforce.ts';
import { INVALID_SESSION_ID, type FetchContext, type PartitionAnswer, type RequestPartition } from '../fetch-sessions.ts';
import { FileRange, releaseFileRanges } from '../../segments/file-range.ts';
import type { RangeReadResult } from '../../segments/reader.ts';

interface Wanted {
  /** How the response names its topic (consecutive partitions of one topic share an entry, as Kafka's FetchResponse.of). */
  topic: string;
  topicId: string;
  partition: number;
  fetchOffset: bigint;
  partitionMaxBytes: number;
  handle: PartitionHandle | undefined;
  unknownError: number;
  leaderEpochError: number;
}

/** What Kafka sends for a partition it could not read: no offsets, an empty record set. */
const EMPTY_RECORDS = Buffer.alloc(0);
const erroredPartition = (partitionIndex: number, errorCode: number, abortedTransactions: [] | null): PartitionDataInput => ({
  partitionIndex, errorCode, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n,
  abortedTransactions, preferredReadReplica: -1, records: EMPTY_RECORDS,
});

interface Round {
  results: PartitionDataInput[];
  bytes: number;
  hasError: boolean;
  wakeWords: number[];
}

/**
 * One read of every partition. With `fileRanges` (the connection sends with sendfile) local reads
 * may return FileRanges, which hold a segment handle until written or released: a round that is
 * not answered is given to releaseFileRanges, and a failed round releases what it read.
 */
async function readRound(watermarks: PartitionWatermarks, wanted: Wanted[], maxBytes: number, readCommitted: boolean, fileRanges: boolean): Promise<Round> {
  const results: PartitionDataInput[] = [];
  try {
    return await readPartitions(watermarks, wanted, maxBytes, readCommitted, fileRanges, results);
  } catch (err) {
    releaseFileRanges(results);
    throw err;
  }
}

/** A partition's slot read, and its file-range read started, before the round walks the partitions in turn. */
interface Prefetched {
  offsets: ReturnType<PartitionWatermarks['readOffsets']>;
  localLogStartOffset: bigint;
  segmentsVersion: number;
  read?: { budget: number; limit: bigint; result: Promise<RangeReadResult | Error> };
}

/**
 * File-range reads cost no memory, so when no partition's budget can depend on another's (every
 * partition_max_bytes together fit max_bytes), a round reads every partition's slot first and
 * starts all their reads at once, instead of one pread round trip after the other. The round then
 * takes each read whose budget and limit are still the ones it needs (a first batch over its budget
 * elsewhere can shrink one: that read is released and done again).
 */
function prefetchRanges(watermarks: PartitionWatermarks, wanted: Wanted[], maxBytes: number, readCommitted: boolean): (Prefetched | undefined)[] | null {
  if (wanted.length < 2) return null;
  let total = 0;
  for (const w of wanted) total += Math.max(0, w.partitionMaxBytes);
  if (total > maxBytes) return null;
  return wanted.map((w) => {
    if (!w.handle) return undefined;
    const slot = w.handle.slot;
    // Read the wake word before the offsets (readOffsets does), as the round would.
    const offsets = watermarks.readOffsets(slot);
    const pre: Prefetched = { offsets, localLogStartOffset: watermarks.localLogStartOffset(slot), segmentsVersion: watermarks.segmentEpoch(slot) };
    const limit = readCommitted ? offsets.lastStableOffset : offsets.highWatermark;
    const reader = w.handle.reader;
    if (reader.readFileRange && w.leaderEpochError === ErrorCode.NONE && !watermarks.isOffline(slot) && w.partitionMaxBytes > 0
      && w.fetchOffset >= offsets.logStartOffset && w.fetchOffset >= pre.localLogStartOffset && w.fetchOffset < limit) {
      const visible = { highWatermark: limit, logStartOffset: pre.localLogStartOffset, segmentsVersion: pre.segmentsVersion };
      const result = reader.readFileRange(w.fetchOffset, w.partitionMaxBytes, visible).catch((err: unknown) => (err instanceof Error ? err : new Error(String(err))));
      pre.read = { budget: w.partitionMaxBytes, limit, result };
    }
    return pre;
  });
}

/** A prefetched read the round did not take: its range goes back once it is read. */
function discardPrefetched(read: NonNullable<Prefetched['read']>): void {
  void read.result.then((r) => {
    if (!(r instanceof Error) && !('error' in r) && r.records instanceof FileRange) r.records.release();
  });
}

async function readPartitions(watermarks: PartitionWatermarks, wanted: Wanted[], maxBytes: number, readCommitted: boolean, fileRanges: boolean, results: PartitionDataInput[]): Promise<Round> {
  const prefetched = fileRanges ? prefetchRanges(watermarks, wanted, maxBytes, readCommitted) : null;
  try {
    return await readEach(watermarks, wanted, maxBytes, readCommitted, fileRanges, results, prefetched);
  } finally {
    if (prefetched) for (const pre of prefetched) if (pre?.read) discardPrefetched(pre.read);
  }
}

async function readEach(watermarks: PartitionWatermarks, wanted: Wanted[], maxBytes: number, readCommitted: boolean, fileRanges: boolean, results: PartitionDataInput[], prefetched: (Prefetched | undefined)[] | null): Promise<Round> {
  const wakeWords: number[] = [];
  let bytes = 0;
  let hasError = false;
  for (let i = 0; i < wanted.length; i++) {
    const w = wanted[i]!;
    const pre = prefetched?.[i];
    const base = { partitionIndex: w.partition, abortedTransactions: readCommitted ? [] : null, preferredReadReplica: -1 };
    if (!w.handle) {
      results.push(erroredPartition(w.partition, w.unknownError, []));
      hasError = true;
      continue;
    }
    const slot = w.handle.slot;
    // Read the wake word before the offsets: a change after this read makes the later wait return.
    const offsets = pre ? pre.offsets : watermarks.readOffsets(slot);
    wakeWords.push(offsets.wakeWord);
    const { highWatermark, logStartOffset, lastStableOffset } = offsets;
    const mark = { highWatermark, lastStableOffset, logStartOffset };
    if (w.leaderEpochError !== ErrorCode.NONE) {
      results.push(erroredPartition(w.partition, w.leaderEpochError, null));
      hasError = true;
      continue;
    }
    // Kafka answers a partition whose log directory went offline with KAFKA_STORAGE_ERROR, which
    // clients retry; our shard takes a log offline when a write to it fails.
    if (watermarks.isOffline(slot)) {
      results.push(erroredPartition(w.partition, ErrorCode.KAFKA_STORAGE_ERROR, null));
      hasError = true;
      continue;
    }
    if (w.fetchOffset < logStartOffset || w.fetchOffset > highWatermark) {
      results.push(erroredPartition(w.partition, ErrorCode.OFFSET_OUT_OF_RANGE, null));
      hasError = true;
      continue;
    }
    let records: Uint8Array = EMPTY_RECORDS;
    let abortedTransactions: PartitionDataInput['abortedTransactions'] = base.abortedTransactions;
    const budget = Math.min(w.partitionMaxBytes, maxBytes - bytes);
    // read_committed never sees a batch at or past the LSO: the read's limit is the LSO.
    const limit = readCommitted ? lastStableOffset : highWatermark;
    // Tiered storage: the slot's local log start is the one boundary between the tiers (DESIGN §2).
    const localLogStartOffset = pre ? pre.localLogStartOffset : watermarks.localLogStartOffset(slot);
    if (w.fetchOffset < limit && budget > 0 && w.fetchOffset < localLogStartOffset && w.handle.remote) {
      const segmentsVersion = watermarks.segmentEpoch(slot);
      const remoteVisible = { logStartOffset, localLogStartOffset, segmentsVersion };
      const remoteLimit = limit < localLogStartOffset ? limit : localLogStartOffset;
      let read: { records: Buffer; nextOffset: bigint } | null;
      try {
        read = await w.handle.remote.read(w.fetchOffset, budget, remoteLimit, remoteVisible);
      } catch {
        // The object store failed or timed out: Kafka answers a failed remote read with a
        // retriable storage error; the client fetches again.
        results.push(erroredPartition(w.partition, ErrorCode.KAFKA_STORAGE_ERROR, null));
        hasError = true;
        continue;
      }
      if (read === null) {
        // The record moved under the read (retention, DeleteRecords): out of range only if the
        // log start has passed the offset now; else retriable.
        const gone = w.fetchOffset < watermarks.logStartOffset(slot);
        results.push(erroredPartition(w.partition, gone ? ErrorCode.OFFSET_OUT_OF_RANGE : ErrorCode.KAFKA_STORAGE_ERROR, null));
        hasError = true;
        continue;
      }
      if (read.records.length <= budget || bytes === 0) {
        records = read.records;
        if (readCommitted && records.length > 0) {
          const remote = await w.handle.remote.abortedTransactions(w.fetchOffset, read.nextOffset, remoteVisible);
          const local = remote.complete ? [] : await w.handle.reader.abortedTransactions(localLogStartOffset, read.nextOffset, highWatermark,
            { highWatermark: limit, logStartOffset: localLogStartOffset, segmentsVersion });
          abortedTransactions = [...remote.entries, ...local];
        }
      }
    } else if (w.fetchOffset < limit && budget > 0) {
      const visible = { highWatermark: limit, logStartOffset: localLogStartOffset, segmentsVersion: pre ? pre.segmentsVersion : watermarks.segmentEpoch(slot) };
      const reader = w.handle.reader;
      const ahead = pre?.read;
      if (pre) pre.read = undefined;
      let read: RangeReadResult;
      if (ahead && ahead.budget === budget && ahead.limit === limit) {
        const taken = await ahead.result;
        if (taken instanceof Error) throw taken;
        read = taken;
      } else {
        if (ahead) discardPrefetched(ahead);
        read = fileRanges && reader.readFileRange ? await reader.readFileRange(w.fetchOffset, budget, visible) : await reader.read(w.fetchOffset, budget, visible);
      }
      if ('error' in read) {
        results.push(erroredPartition(w.partition, ErrorCode.OFFSET_OUT_OF_RANGE, null));
        hasError = true;
        continue;
      }
      // The reader returns at least one whole batch; only the first non-empty partition may
      // exceed the limits with it.
      if (read.records.length <= budget || bytes === 0) {
        records = read.records;
        if (readCommitted && records.length > 0) {
          try {
            abortedTransactions = await reader.abortedTransactions(w.fetchOffset, read.nextOffset, highWatermark, visible);
          } catch (err) {
            if (records instanceof FileRange) records.release();
            throw err;
          }
        }
      } else if (read.records instanceof FileRange) {
        read.records.release();
      }
    }
    bytes += records.length;
    results.push({ ...base, ...mark, abortedTransactions, errorCode: ErrorCode.NONE, records });
  }
  return { results, bytes, hasError, wakeWords };
}

/** A throttled answer's error and session id (Kafka's getThrottledResponse per context). */
function sessionOutcome(context: Exclude<FetchContext, { kind: 'error' }>): { errorCode: number; sessionId: number } {
  if (context.kind !== 'incremental') return { errorCode: ErrorCode.NONE, sessionId: INVALID_SESSION_ID };
  const moved = context.session.epoch !== context.expectedEpoch;
  return { errorCode: moved ? ErrorCode.INVALID_FETCH_SESSION_EPOCH : ErrorCode.NONE, sessionId: context.session.id };
}

export default defineHandler<FetchRequest, FetchResponseInput>({
  apiKey: ApiKey.Fetch,
  name: 'Fetch',
  minVersion: 4,
  maxVersion: 17,
  async handle(ctx, request) {
    const { apiVersion } = ctx;
    const { metadata, partitions, watermarks, metrics, fetchSessions } = ctx.services;
    const byId = apiVersion >= 13;
    const requested: RequestPartition[] = [];
    for (const t of request.topics) {
      const topic = byId ? metadata.topicById(t.topicId)?.name : t.topic;
      for (const p of t.partitions) {
        requested.push({
          topicId: t.topicId, topic, partition: p.partition, fetchOffset: p.fetchOffset, logStartOffset: p.logStartOffset,
          partitionMaxBytes: p.partitionMaxBytes, currentLeaderEpoch: p.currentLeaderEpoch, lastFetchedEpoch: p.lastFetchedEpoch,
        });
      }
    }
    const forgotten = request.forgottenTopicsData.flatMap((t) => {
      const topic = byId ? metadata.topicById(t.topicId)?.name : t.topic;
      return t.partitions.map((partition) => ({ topicId: t.topicId, topic, partition }));
    });
    const context = fetchSessions.newContext({
      version: apiVersion, sessionId: request.sessionId, sessionEpoch: request.sessionEpoch, privileged: false, partitions: requested, forgotten,
    });
    if (context.kind === 'error') return { throttleTimeMs: 0, errorCode: context.errorCode, sessionId: INVALID_SESSION_ID, responses: [] };
    const readable = new Map<string, boolean>();
    const wanted: Wanted[] = context.partitions.map((p) => {
      // A session's partition named by an id that was unknown when it was added is looked up again.
      const topic = byId ? metadata.topicById(p.topicId) : p.topic === undefined ? undefined : metadata.topicByName(p.topic);
      const name = topic?.name ?? p.topic ?? '';
      // READ on the topic (KafkaApis.handleFetchRequest): an unknown topic id first, then the ACL.
      let allowed = readable.get(name);
      if (allowed === undefined) {
        allowed = byId && !topic ? true : authorizeTopic(ctx, AclOperation.READ, name);
        readable.set(name, allowed);
      }
      return {
        topic: byId ? name : p.topic ?? '',
        topicId: p.topicId,
        partition: p.partition,
        fetchOffset: p.fetchOffset,
        partitionMaxBytes: p.partitionMaxBytes,
        handle: topic && allowed ? partitions.partition(topic.name, p.partition) : undefined,
        unknownError: byId && !topic ? ErrorCode.UNKNOWN_TOPIC_ID : allowed ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.TOPIC_AUTHORIZATION_FAILED,
        // One broker, one leader epoch: 0. A client that believes in a newer one is ahead of us.
        leaderEpochError: p.currentLeaderEpoch > 0 ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.NONE,
      };
    });
    const maxBytes = request.maxBytes > 0 ? request.maxBytes : 0x7fffffff;
    const deadline = performance.now() + Math.max(0, request.maxWaitMs);
    const readCommitted = request.isolationLevel === 1;
    const fileRanges = ctx.connection.sendsFileRanges === true;
    let round = await readRound(watermarks, wanted, maxBytes, readCommitted, fileRanges);
    // Nothing to read (an emptied session): answered at once, as Kafka does with no partition of interest.
    while (wanted.length > 0 && round.bytes < request.minBytes && !round.hasError && !ctx.connection.closed) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      const slots = wanted.map((w) => w.handle!.slot);
      if ((await watermarks.waitForPartitions(slots, round.wakeWords, left)) !== 'changed') break;
      releaseFileRanges(round.results);
      round = await readRound(watermarks, wanted, maxBytes, readCommitted, fileRanges);
    }
    // The fetch quota counts the bytes served. Over it, Kafka takes the bytes back and answers an
    // empty response with the throttle time (FetchContext.getThrottledResponse): no session is
    // created, and an incremental session's cached state is left as it was.
    const throttleTimeMs = chargeQuota(ctx, 'fetch', round.bytes);
    if (throttleTimeMs > 0) {
      ctx.services.quotas.unrecord('fetch', principalOf(ctx), ctx.clientId, round.bytes);
      releaseFileRanges(round.results);
      return { throttleTimeMs, ...sessionOutcome(context), responses: [] };
    }
    const answers: PartitionAnswer[] = round.results.map((r) => ({
      errorCode: r.errorCode ?? ErrorCode.NONE, highWatermark: r.highWatermark ?? -1n, logStartOffset: r.logStartOffset ?? -1n,
      recordBytes: r.records ? r.records.length : 0, preferredReadReplica: r.preferredReadReplica ?? -1,
    }));
    let sessionId = INVALID_SESSION_ID;
    let included: boolean[] | undefined;
    if (context.kind === 'full') {
      sessionId = fetchSessions.createSession(context, answers);
    } else if (context.kind === 'incremental') {
      included = fetchSessions.selectIncremental(context, answers);
      // The session moved on while this request waited: a duplicate request, as Kafka answers it.
      if (!included) {
        releaseFileRanges(round.results);
        return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: context.session.id, responses: [] };
      }
      sessionId = context.session.id;
    }
    const responses: { topic: string; topicId: string; partitions: PartitionDataInput[] }[] = [];
    round.results.forEach((r, i) => {
      if (included && !included[i]) {
        if (r.records instanceof FileRange) r.records.release();
        return;
      }
      const w = wanted[i]!;
      const last = responses[responses.length - 1];
      if (last && last.topic === w.topic && last.topicId === w.topicId) last.partitions.push(r);
      else responses.push({ topic: w.topic, topicId: w.topicId, partitions: [r] });
      if (w.handle && r.records && r.records.length > 0) {
        const records = r.records;
        metrics.fetchServed(w.handle.topic.name, w.partition, records, records instanceof FileRange ? records.offsetCount : undefined);
      }
    });
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId, responses };
  },
  errorResponse(_ctx, request, errorCode) {
    return {
      throttleTimeMs: 0,
      errorCode,
      sessionId: 0,
      responses: request.topics.map((t) => ({
        topic: t.topic,
        topicId: t.topicId,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partition, errorCode, highWatermark: -1n, lastStableOffset: -1n, logStartOffset: -1n,
          abortedTransactions: null, preferredReadReplica: -1, records: null,
        })),
      })),
    };
  },
});
