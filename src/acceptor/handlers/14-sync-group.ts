// SyncGroup (key 14), v0-5. The leader's assignments are stored and relayed to each member byte
// for byte (DESIGN.md §7); the members' responses wait until the leader's SyncGroup arrives.
// v3+ carry group.instance.id; v5+ carry protocol type and name, checked against the group's
// (INCONSISTENT_GROUP_PROTOCOL on a mismatch) and answered.
// Differences from Kafka: the group's assignment is not persisted (see 11-join-group.ts).
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { SyncGroupRequest } from '../../protocol/generated/sync-group-request.ts';
import type { SyncGroupResponseInput } from '../../protocol/generated/sync-group-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeGroup } from '../acl/authorize.ts';

export default defineHandler<SyncGroupRequest, SyncGroupResponseInput>({
  apiKey: ApiKey.SyncGroup,
  name: 'SyncGroup',
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, request) {
    const { apiVersion } = ctx;
    // READ on the group (KafkaApis), answered as Kafka's error response for the request.
    if (!authorizeGroup(ctx, AclOperation.READ, request.groupId)) return this.errorResponse(ctx, request, ErrorCode.GROUP_AUTHORIZATION_FAILED)!;
    const result = await ctx.services.coordinator.syncGroup({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: apiVersion >= 3 ? request.groupInstanceId : null,
      protocolType: apiVersion >= 5 ? request.protocolType : null,
      protocolName: apiVersion >= 5 ? request.protocolName : null,
      assignments: request.assignments.map((a) => ({ memberId: a.memberId, assignment: a.assignment })),
    });
    return { throttleTimeMs: 0, ...result };
  },
  errorResponse(_ctx, _request, errorCode) {
    return { throttleTimeMs: 0, errorCode, protocolType: null, protocolName: null, assignment: Buffer.alloc(0) };
  },
});
