// OffsetCommit (key 8), v0-9, for classic and consumer groups. Generation and member are checked as Kafka's
// ClassicGroup does (ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, FENCED_INSTANCE_ID,
// REBALANCE_IN_PROGRESS); generation -1 is a simple commit, accepted while the group has no
// members. Unknown topics or partitions get UNKNOWN_TOPIC_OR_PARTITION each. The answer waits until
// the commit is fsynced in the offsets log. v6+ store the committed leader epoch; v9 answers
// GROUP_ID_NOT_FOUND for a generation given to an unknown group (ILLEGAL_GENERATION before).
// For a consumer group (KIP-848) the generation is the member epoch: UNKNOWN_MEMBER_ID,
// STALE_MEMBER_EPOCH, and UNSUPPORTED_VERSION for a member committing below v9, as Kafka.
// Differences from Kafka: v1's per-partition commit timestamp and v2-4's retention time are
// ignored (the broker's clock and offsets retention apply).
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { OffsetCommitRequest } from '../../protocol/generated/offset-commit-request.ts';
import type { OffsetCommitResponseInput } from '../../protocol/generated/offset-commit-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeGroup, authorizeTopic } from '../acl/authorize.ts';

export default defineHandler<OffsetCommitRequest, OffsetCommitResponseInput>({
  apiKey: ApiKey.OffsetCommit,
  name: 'OffsetCommit',
  minVersion: 0,
  maxVersion: 9,
  async handle(ctx, request) {
    const { apiVersion } = ctx;
    // READ on the group, then READ on each topic (KafkaApis.handleOffsetCommitRequest).
    if (!authorizeGroup(ctx, AclOperation.READ, request.groupId)) return errorAnswer(request, ErrorCode.GROUP_AUTHORIZATION_FAILED);
    const readable = request.topics.map((t) => authorizeTopic(ctx, AclOperation.READ, t.name));
    const committed = await ctx.services.coordinator.commitOffsets({
      groupId: request.groupId,
      generationId: apiVersion >= 1 ? request.generationIdOrMemberEpoch : -1,
      memberId: apiVersion >= 1 ? request.memberId : '',
      groupInstanceId: apiVersion >= 7 ? request.groupInstanceId : null,
      apiVersion,
      topics: request.topics.filter((_t, i) => readable[i]).map((t) => ({
        name: t.name,
        partitions: t.partitions.map((p) => ({
          partitionIndex: p.partitionIndex,
          committedOffset: p.committedOffset,
          committedLeaderEpoch: apiVersion >= 6 ? p.committedLeaderEpoch : -1,
          committedMetadata: p.committedMetadata,
        })),
      })),
    });
    let next = 0;
    const topics = request.topics.map((t, i) => readable[i]
      ? committed[next++]!
      : { name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) });
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(_ctx, request, errorCode) {
    return errorAnswer(request, errorCode);
  },
});

function errorAnswer(request: OffsetCommitRequest, errorCode: number): OffsetCommitResponseInput {
  return {
    throttleTimeMs: 0,
    topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode })) })),
  };
}
