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
// Errored partitions are answered as Kafka 4.4 answers them (established by sending the same
// requests to it, see test/regressions/fetch-errors-carry-empty-records.test.ts): an empty record set,
// never null (librdkafka rejects a null one as a parse failure and never sees the error), and -1
// for the high watermark, last stable offset and log start offset. Read errors (out of range,
// leader epoch) carry null aborted_transactions; unknown topics and partitions an empty list. A
// successful partition carries null for read_uncommitted and a list (maybe empty) for read_committed.
// Fetch sessions (KIP-227): none are created, so session_id is always answered 0, which tells
// clients to keep sending full fetches. A full fetch (session_epoch 0 or -1) is served whatever
// session_id it names, as Kafka serves it; an incremental one (any other epoch) names a session
// we do not have and gets FETCH_SESSION_ID_NOT_FOUND.
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

interface Wanted {
  topicIndex: number;
  partition: number;
  fetchOffset: bigint;
  partitionMaxBytes: number;
  handle: PartitionHandle | undefined;
  unknownError: number;
  leaderEpochError: number;
}

/** KIP-227: epochs 0 (open a session) and -1 (sessionless) ask for a full fetch. */
const INITIAL_SESSION_EPOCH = 0;
const FINAL_SESSION_EPOCH = -1;

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

async function readRound(watermarks: PartitionWatermarks, wanted: Wanted[], maxBytes: number, readCommitted: boolean): Promise<Round> {
  const results: PartitionDataInput[] = [];
  const wakeWords: number[] = [];
  let bytes = 0;
  let hasError = false;
  for (const w of wanted) {
    const base = { partitionIndex: w.partition, abortedTransactions: readCommitted ? [] : null, preferredReadReplica: -1 };
    if (!w.handle) {
      results.push(erroredPartition(w.partition, w.unknownError, []));
      hasError = true;
      continue;
    }
    const slot = w.handle.slot;
    // Read the wake word before the offsets: a change after this read makes the later wait return.
    const offsets = watermarks.readOffsets(slot);
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
    let records: Buffer = EMPTY_RECORDS;
    let abortedTransactions: PartitionDataInput['abortedTransactions'] = base.abortedTransactions;
    const budget = Math.min(w.partitionMaxBytes, maxBytes - bytes);
    // read_committed never sees a batch at or past the LSO: the read's limit is the LSO.
    const limit = readCommitted ? lastStableOffset : highWatermark;
    // Tiered storage: the slot's local log start is the one boundary between the tiers (DESIGN §2).
    const localLogStartOffset = watermarks.localLogStartOffset(slot);
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
      const visible = { highWatermark: limit, logStartOffset: localLogStartOffset, segmentsVersion: watermarks.segmentEpoch(slot) };
      const read = await w.handle.reader.read(w.fetchOffset, budget, visible);
      if ('error' in read) {
        results.push(erroredPartition(w.partition, ErrorCode.OFFSET_OUT_OF_RANGE, null));
        hasError = true;
        continue;
      }
      // The reader returns at least one whole batch; only the first non-empty partition may
      // exceed the limits with it.
      if (read.records.length <= budget || bytes === 0) {
        records = read.records;
        if (readCommitted && records.length > 0) abortedTransactions = await w.handle.reader.abortedTransactions(w.fetchOffset, read.nextOffset, highWatermark, visible);
      }
    }
    bytes += records.length;
    results.push({ ...base, ...mark, abortedTransactions, errorCode: ErrorCode.NONE, records });
  }
  return { results, bytes, hasError, wakeWords };
}

export default defineHandler<FetchRequest, FetchResponseInput>({
  apiKey: ApiKey.Fetch,
  name: 'Fetch',
  minVersion: 4,
  maxVersion: 17,
  async handle(ctx, request) {
    const { apiVersion } = ctx;
    const { metadata, partitions, watermarks, metrics } = ctx.services;
    if (request.sessionEpoch !== INITIAL_SESSION_EPOCH && request.sessionEpoch !== FINAL_SESSION_EPOCH) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] };
    }
    const byId = apiVersion >= 13;
    const wanted: Wanted[] = [];
    const topicNames: { topic: string; topicId: string }[] = [];
    request.topics.forEach((t, topicIndex) => {
      const topic = byId ? metadata.topicById(t.topicId) : metadata.topicByName(t.topic);
      topicNames.push({ topic: t.topic, topicId: t.topicId });
      // READ on the topic (KafkaApis.handleFetchRequest): an unknown topic id first, then the ACL.
      const readable = byId && !topic ? true : authorizeTopic(ctx, AclOperation.READ, topic?.name ?? t.topic);
      for (const p of t.partitions) {
        wanted.push({
          topicIndex,
          partition: p.partition,
          fetchOffset: p.fetchOffset,
          partitionMaxBytes: p.partitionMaxBytes,
          handle: topic && readable ? partitions.partition(topic.name, p.partition) : undefined,
          unknownError: byId && !topic ? ErrorCode.UNKNOWN_TOPIC_ID : readable ? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION : ErrorCode.TOPIC_AUTHORIZATION_FAILED,
          // One broker, one leader epoch: 0. A client that believes in a newer one is ahead of us.
          leaderEpochError: p.currentLeaderEpoch > 0 ? ErrorCode.UNKNOWN_LEADER_EPOCH : ErrorCode.NONE,
        });
      }
    });
    const maxBytes = request.maxBytes > 0 ? request.maxBytes : 0x7fffffff;
    const deadline = performance.now() + Math.max(0, request.maxWaitMs);
    const readCommitted = request.isolationLevel === 1;
    let round = await readRound(watermarks, wanted, maxBytes, readCommitted);
    while (round.bytes < request.minBytes && !round.hasError && !ctx.connection.closed) {
      const left = deadline - performance.now();
      if (left <= 0) break;
      const slots = wanted.map((w) => w.handle!.slot);
      if ((await watermarks.waitForPartitions(slots, round.wakeWords, left)) !== 'changed') break;
      round = await readRound(watermarks, wanted, maxBytes, readCommitted);
    }
    // The fetch quota counts the bytes served. Over it, Kafka takes the bytes back and answers an
    // empty response with the throttle time (FetchContext.getThrottledResponse).
    const throttleTimeMs = chargeQuota(ctx, 'fetch', round.bytes);
    if (throttleTimeMs > 0) {
      ctx.services.quotas.unrecord('fetch', principalOf(ctx), ctx.clientId, round.bytes);
      return { throttleTimeMs, errorCode: ErrorCode.NONE, sessionId: 0, responses: [] };
    }
    const responses = topicNames.map((t) => ({ topic: t.topic, topicId: t.topicId, partitions: [] as PartitionDataInput[] }));
    round.results.forEach((r, i) => {
      const w = wanted[i]!;
      responses[w.topicIndex]!.partitions.push(r);
      if (w.handle && r.records && r.records.length > 0) {
        metrics.fetchServed(w.handle.topic.name, w.partition, r.records as Buffer);
      }
    });
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, sessionId: 0, responses };
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
