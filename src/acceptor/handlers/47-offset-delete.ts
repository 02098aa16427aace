// OffsetDelete (key 47), v0. Deletes a group's committed offsets for some partitions. A partition
// of a topic the group's members subscribe to gets GROUP_SUBSCRIBED_TO_TOPIC; a non-empty group
// that is not a consumer group gets NON_EMPTY_GROUP; an unknown group GROUP_ID_NOT_FOUND.
// Differences from Kafka: when the members' subscriptions cannot be read, every topic counts as
// subscribed (Kafka would let the deletion through).
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { OffsetDeleteRequest } from '../../protocol/generated/offset-delete-request.ts';
import type { OffsetDeleteResponseInput } from '../../protocol/generated/offset-delete-response.ts';

export default defineHandler<OffsetDeleteRequest, OffsetDeleteResponseInput>({
  apiKey: ApiKey.OffsetDelete,
  name: 'OffsetDelete',
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, request) {
    const r = await ctx.services.coordinator.deleteOffsets(
      request.groupId,
      request.topics.map((t) => ({ name: t.name, partitionIndexes: t.partitions.map((p) => p.partitionIndex) })),
    );
    return { errorCode: r.errorCode, throttleTimeMs: 0, topics: r.topics };
  },
  errorResponse(_ctx, _request, errorCode) {
    return { errorCode, throttleTimeMs: 0, topics: [] };
  },
});
