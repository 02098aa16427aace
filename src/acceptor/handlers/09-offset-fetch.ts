// OffsetFetch (key 9), v0-9. -1 for a partition without a commit; topics null (v2+) means every
// partition the group has committed. v0-1 report a group-level error on every partition, v2-7 at
// the top level, v8+ per group (v8+ fetch several groups at once). require_stable (v7+) needs
// nothing: there are no pending transactional offsets.
// v9: a consumer group (KIP-848) checks the member id and epoch given (UNKNOWN_MEMBER_ID,
// STALE_MEMBER_EPOCH); without them (null, -1) the admin client reads freely.
// Differences from Kafka: none known.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { OffsetFetchRequest } from '../../protocol/generated/offset-fetch-request.ts';
import type { OffsetFetchResponseInput } from '../../protocol/generated/offset-fetch-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';

export default defineHandler<OffsetFetchRequest, OffsetFetchResponseInput>({
  apiKey: ApiKey.OffsetFetch,
  name: 'OffsetFetch',
  minVersion: 0,
  maxVersion: 9,
  handle(ctx, request) {
    const { apiVersion } = ctx;
    const { coordinator } = ctx.services;
    if (apiVersion >= 8) {
      return {
        throttleTimeMs: 0,
        groups: request.groups.map((g) => {
          const member = apiVersion >= 9 ? { memberId: g.memberId, memberEpoch: g.memberEpoch } : undefined;
          const r = coordinator.fetchOffsets(g.groupId, g.topics, member);
          return { groupId: g.groupId, topics: r.topics, errorCode: r.errorCode };
        }),
      };
    }
    const r = coordinator.fetchOffsets(request.groupId, apiVersion >= 2 ? request.topics : request.topics ?? []);
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
