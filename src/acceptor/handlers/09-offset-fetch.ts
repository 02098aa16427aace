// OffsetFetch (key 9), v0-9. -1 for a partition without a commit; topics null (v2+) means every
// partition the group has committed. v0-1 report a group-level error on every partition, v2-7 at
// the top level, v8+ per group (v8+ fetch several groups at once). require_stable (v7+): a
// partition with offsets pending in an open transaction (TxnOffsetCommit) answers
// UNSTABLE_OFFSET_COMMIT and offset -1, as Kafka's GroupMetadataManager.getOffsets.
// v9: a consumer group (KIP-848) checks the member id and epoch given (UNKNOWN_MEMBER_ID,
// STALE_MEMBER_EPOCH); without them (null, -1) the admin client reads freely.
// Differences from Kafka: none known.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { OffsetFetchRequest } from '../../protocol/generated/offset-fetch-request.ts';
import type { OffsetFetchResponseInput } from '../../protocol/generated/offset-fetch-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeGroup, authorizeTopic } from '../acl/authorize.ts';

export default defineHandler<OffsetFetchRequest, OffsetFetchResponseInput>({
  apiKey: ApiKey.OffsetFetch,
  name: 'OffsetFetch',
  minVersion: 0,
  maxVersion: 9,
  handle(ctx, request) {
    const { apiVersion } = ctx;
    const { coordinator, transactions } = ctx.services;
    const requireStable = apiVersion >= 7 && request.requireStable;
    type Fetched = { errorCode: number; topics: { name: string; partitions: { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch?: number; metadata: string | null; errorCode: number }[] }[] };
    const stable = <R extends Fetched>(groupId: string, r: R): R => {
      if (!requireStable || r.errorCode !== ErrorCode.NONE) return r;
      return {
        ...r,
        topics: r.topics.map((t) => ({
          ...t,
          partitions: t.partitions.map((p) => p.errorCode === ErrorCode.NONE && transactions.hasPendingOffsets(groupId, t.name, p.partitionIndex)
            ? { ...p, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.UNSTABLE_OFFSET_COMMIT }
            : p),
        })),
      };
    };
    // DESCRIBE on the group, then on each topic: a topic asked for by name is refused, and of
    // "every topic" only the describable ones are listed (KafkaApis.handleOffsetFetchRequest).
    const fetchOffsets = (groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null, member?: Parameters<typeof coordinator.fetchOffsets>[2]) => {
      if (!authorizeGroup(ctx, AclOperation.DESCRIBE, groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, topics: [] };
      const describable = (name: string) => authorizeTopic(ctx, AclOperation.DESCRIBE, name);
      if (topics === null) {
        const all = coordinator.fetchOffsets(groupId, null, member);
        return { errorCode: all.errorCode, topics: all.topics.filter((t) => describable(t.name)) };
      }
      const allowed = topics.filter((t) => describable(t.name));
      const r = coordinator.fetchOffsets(groupId, allowed, member);
      if (r.errorCode !== ErrorCode.NONE || allowed.length === topics.length) return r;
      const refused = topics.filter((t) => !allowed.includes(t)).map((t) => ({
        name: t.name,
        partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })),
      }));
      return { errorCode: r.errorCode, topics: [...r.topics, ...refused] };
    };
    if (apiVersion >= 8) {
      return {
        throttleTimeMs: 0,
        groups: request.groups.map((g) => {
          const member = apiVersion >= 9 ? { memberId: g.memberId, memberEpoch: g.memberEpoch } : undefined;
          const r = stable(g.groupId, fetchOffsets(g.groupId, g.topics, member));
          return { groupId: g.groupId, topics: r.topics, errorCode: r.errorCode };
        }),
      };
    }
    const r = stable(request.groupId, fetchOffsets(request.groupId, apiVersion >= 2 ? request.topics : request.topics ?? []));
    if (apiVersion >= 2) return { throttleTimeMs: 0, errorCode: r.errorCode, topics: r.topics };
    if (r.errorCode === ErrorCode.NONE) return { topics: r.topics };
    return everyPartitionFailed(request, r.errorCode);
  },
  errorResponse(ctx, request, errorCode) {
    if (ctx.apiVersion >= 8) return { throttleTimeMs: 0, groups: request.groups.map((g) => ({ groupId: g.groupId, topics: [], errorCode })) };
    if (ctx.apiVersion >= 2) return { throttleTimeMs: 0, errorCode, topics: [] };
    return everyPartitionFailed(request, errorCode);
  },
});

/** v0-1 have no group-level error field: the error goes on every partition asked for. */
function everyPartitionFailed(request: OffsetFetchRequest, errorCode: number): OffsetFetchResponseInput {
  return {
    topics: (request.topics ?? []).map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, committedOffset: -1n, metadata: '', errorCode })),
    })),
  };
}
