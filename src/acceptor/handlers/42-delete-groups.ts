// DeleteGroups (key 42), v0-2. Deletes empty groups and their committed offsets (tombstones in the
// offsets log, durable before the answer). A group with members gets NON_EMPTY_GROUP, an unknown
// one GROUP_ID_NOT_FOUND.
// Differences from Kafka: none known.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { DeleteGroupsRequest } from '../../protocol/generated/delete-groups-request.ts';
import type { DeleteGroupsResponseInput } from '../../protocol/generated/delete-groups-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeGroup } from '../acl/authorize.ts';

export default defineHandler<DeleteGroupsRequest, DeleteGroupsResponseInput>({
  apiKey: ApiKey.DeleteGroups,
  name: 'DeleteGroups',
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, request) {
    // DELETE on each group (KafkaApis.handleDeleteGroupsRequest).
    const deletable = request.groupsNames.filter((g) => authorizeGroup(ctx, AclOperation.DELETE, g));
    const deleted = deletable.length > 0 ? await ctx.services.coordinator.deleteGroups(deletable) : [];
    const results = request.groupsNames.map((groupId) => deleted.find((r) => r.groupId === groupId)
      ?? { groupId, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED });
    return { throttleTimeMs: 0, results };
  },
  errorResponse(_ctx, request, errorCode) {
    return { throttleTimeMs: 0, results: request.groupsNames.map((groupId) => ({ groupId, errorCode })) };
  },
});
