// DeleteGroups (key 42), v0-2. Deletes empty groups and their committed offsets (tombstones in the
// offsets log, durable before the answer). A group with members gets NON_EMPTY_GROUP, an unknown
// one GROUP_ID_NOT_FOUND.
// Differences from Kafka: none known.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { DeleteGroupsRequest } from '../../protocol/generated/delete-groups-request.ts';
import type { DeleteGroupsResponseInput } from '../../protocol/generated/delete-groups-response.ts';

export default defineHandler<DeleteGroupsRequest, DeleteGroupsResponseInput>({
  apiKey: ApiKey.DeleteGroups,
  name: 'DeleteGroups',
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, request) {
    const results = await ctx.services.coordinator.deleteGroups(request.groupsNames);
    return { throttleTimeMs: 0, results };
  },
  errorResponse(_ctx, request, errorCode) {
    return { throttleTimeMs: 0, results: request.groupsNames.map((groupId) => ({ groupId, errorCode })) };
  },
});
