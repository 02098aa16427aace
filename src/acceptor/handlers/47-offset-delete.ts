// OffsetDelete (key 47), v0. Deletes a group's committed offsets for some partitions. A partition
// of a topic the group's members subscribe to gets GROUP_SUBSCRIBED_TO_TOPIC; a non-empty group
// that is not a consumer group gets NON_EMPTY_GROUP; an unknown group GROUP_ID_NOT_FOUND.
// Differences from Kafka: when the members' subscriptions cannot be read, every topic counts as
// subscribed (Kafka would let the deletion through).
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { OffsetDeleteRequest } from '../../protocol/generated/offset-delete-request.ts';
import type { OffsetDeleteResponseInput } from '../../protocol/generated/offset-delete-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeGroup, authorizeTopic } from '../acl/authorize.ts';

export default defineHandler<OffsetDeleteRequest, OffsetDeleteResponseInput>({
  apiKey: ApiKey.OffsetDelete,
  name: 'OffsetDelete',
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, request) {
    // DELETE on the group, then READ on each topic (KafkaApis.handleOffsetDeleteRequest).
    if (!authorizeGroup(ctx, AclOperation.DELETE, request.groupId)) return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, throttleTimeMs: 0, topics: [] };
    const readable = request.topics.map((t) => authorizeTopic(ctx, AclOperation.READ, t.name));
    const r = await ctx.services.coordinator.deleteOffsets(
      request.groupId,
      request.topics.filter((_t, i) => readable[i]).map((t) => ({ name: t.name, partitionIndexes: t.partitions.map((p) => p.partitionIndex) })),
    );
    if (r.errorCode !== ErrorCode.NONE) return { errorCode: r.errorCode, throttleTimeMs: 0, topics: r.topics };
    const refused = request.topics.filter((_t, i) => !readable[i])
      .map((t) => ({ name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED })) }));
    return { errorCode: r.errorCode, throttleTimeMs: 0, topics: [...r.topics, ...refused] };
  },
  errorResponse(_ctx, _request, errorCode) {
    return { errorCode, throttleTimeMs: 0, topics: [] };
  },
});
