// ListOffsets (key 2), v1-10. latest (-1) is the high watermark (or, for read_committed, the last
// stable offset the shard publishes: the first offset of the oldest open transaction), read from
// the watermark slot: the one source of the end of the log. earliest (-2) and earliest-local (-4, v8+) are the log start
// offset. max timestamp (-3, v7+) and a timestamp >= 0 are looked up in the time index below the
// HWM; no such record answers offset -1, and so does one at or past the LSO for read_committed
// (Kafka's last fetchable offset). earliest-pending-upload (-5, v9+) is -1 (not served). Tiered
// storage: earliest is the log start over both tiers, earliest-local the slot's local log start,
// and a timestamp is looked up in the remote segments first (their uploaded .timeindex).
// A special timestamp below the version that introduced it is UNSUPPORTED_VERSION for that
// partition, checked before the partition is looked up (Kafka's ReplicaManager.fetchOffset).
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { ListOffsetsRequest } from '../../protocol/generated/list-offsets-request.ts';
import type { ListOffsetsResponseInput, ListOffsetsPartitionResponseInput } from '../../protocol/generated/list-offsets-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeTopic } from '../acl/authorize.ts';

// A timestamp lookup answers the found batch's stored leader epoch, and -1 when nothing is found or
// the batch carries none, as Kafka does (FileRecords.searchForTimestamp; the differential suite).
function foundAt(ok: ListOffsetsPartitionResponseInput, found: { offset: bigint; timestamp: bigint; leaderEpoch?: number }): ListOffsetsPartitionResponseInput {
  return { ...ok, offset: found.offset, timestamp: found.timestamp, leaderEpoch: found.leaderEpoch ?? -1 };
}

export const OffsetSpec = { LATEST: -1n, EARLIEST: -2n, MAX_TIMESTAMP: -3n, EARLIEST_LOCAL: -4n, EARLIEST_PENDING_UPLOAD: -5n } as const;

/** The first version that may ask for each special timestamp (ReplicaManager's timestampMinSupportedVersion). */
const MIN_VERSION_OF: ReadonlyMap<bigint, number> = new Map([
  [OffsetSpec.MAX_TIMESTAMP, 7], [OffsetSpec.EARLIEST_LOCAL, 8], [OffsetSpec.EARLIEST_PENDING_UPLOAD, 9],
]);

export default defineHandler<ListOffsetsRequest, ListOffsetsResponseInput>({
  apiKey: ApiKey.ListOffsets,
  name: 'ListOffsets',
  minVersion: 1,
  maxVersion: 10,
  async handle(ctx, request) {
    const { partitions, watermarks } = ctx.services;
    // DESCRIBE on the topic (KafkaApis.handleListOffsetRequest), before anything else.
    const describable = request.topics.map((t) => authorizeTopic(ctx, AclOperation.DESCRIBE, t.name));
    const topics = await Promise.all(request.topics.map(async (t, topicIndex) => ({
      name: t.name,
      partitions: await Promise.all(t.partitions.map(async (p): Promise<ListOffsetsPartitionResponseInput> => {
        const base = { partitionIndex: p.partitionIndex, timestamp: -1n, offset: -1n, leaderEpoch: -1 };
        if (!describable[topicIndex]) return { ...base, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED };
        if ((MIN_VERSION_OF.get(p.timestamp) ?? 0) > ctx.apiVersion) return { ...base, errorCode: ErrorCode.UNSUPPORTED_VERSION };
        const handle = partitions.partition(t.name, p.partitionIndex);
        if (!handle) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION };
        if (p.currentLeaderEpoch > 0) return { ...base, errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH };
        const ok = { ...base, errorCode: ErrorCode.NONE, leaderEpoch: 0 };
        const { highWatermark, logStartOffset, lastStableOffset } = watermarks.readOffsets(handle.slot);
        const visible = { highWatermark, logStartOffset, segmentsVersion: watermarks.segmentEpoch(handle.slot) };
        // Kafka's last fetchable offset (Partition.fetchOffsetForTimestamp): a lookup is made over
        // the log and its answer dropped when it is at or past it (ReplicaManager.fetchOffset).
        const lastFetchable = request.isolationLevel === 1 ? lastStableOffset : highWatermark;
        const fetchable = <T extends { offset: bigint }>(found: T | null): T | null => (found !== null && found.offset < lastFetchable ? found : null);
        switch (p.timestamp) {
          case OffsetSpec.LATEST:
            return { ...ok, offset: lastFetchable };
          case OffsetSpec.EARLIEST:
            return { ...ok, offset: logStartOffset };
          case OffsetSpec.EARLIEST_LOCAL:
            // KIP-1005: the first offset in local files (tiered storage); the log start without it.
            return { ...ok, offset: watermarks.localLogStartOffset(handle.slot) };
          case OffsetSpec.EARLIEST_PENDING_UPLOAD:
            return ok;
          case OffsetSpec.MAX_TIMESTAMP: {
            const found = fetchable(await handle.reader.maxTimestamp(visible));
            return found ? foundAt(ok, found) : { ...ok, leaderEpoch: -1 };
          }
          default: {
            if (p.timestamp < 0n) return { ...base, errorCode: ErrorCode.INVALID_REQUEST };
            const localLogStartOffset = watermarks.localLogStartOffset(handle.slot);
            if (handle.remote && localLogStartOffset > logStartOffset) {
              // The remote tier first: it holds the older records (Kafka's UnifiedLog.fetchOffsetByTimestamp).
              const remote = fetchable(await handle.remote.offsetForTimestamp(p.timestamp, localLogStartOffset,
                { logStartOffset, localLogStartOffset, segmentsVersion: visible.segmentsVersion }));
              if (remote) return foundAt(ok, remote);
            }
            const found = fetchable(await handle.reader.offsetForTimestamp(p.timestamp, visible));
            return found ? foundAt(ok, found) : { ...ok, leaderEpoch: -1 };
          }
        }
      })),
    })));
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(_ctx, request, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode, timestamp: -1n, offset: -1n, leaderEpoch: -1 })),
      })),
    };
  },
});
