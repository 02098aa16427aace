// LeaveGroup (key 13), v0-5. v0-2 name one member and answer with its error at the top level;
// v3+ name a batch of members (by member id and/or group.instance.id, KIP-345) and answer each.
// Members that leave trigger a rebalance of the others at once.
// Differences from Kafka: the v5 reason is not logged.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { LeaveGroupRequest } from '../../protocol/generated/leave-group-request.ts';
import type { LeaveGroupResponseInput } from '../../protocol/generated/leave-group-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeGroup } from '../acl/authorize.ts';

export default defineHandler<LeaveGroupRequest, LeaveGroupResponseInput>({
  apiKey: ApiKey.LeaveGroup,
  name: 'LeaveGroup',
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, request) {
    // READ on the group (KafkaApis), answered as Kafka's error response for the request.
    if (!authorizeGroup(ctx, AclOperation.READ, request.groupId)) return this.errorResponse(ctx, request, ErrorCode.GROUP_AUTHORIZATION_FAILED)!;
    const { coordinator } = ctx.services;
    if (ctx.apiVersion < 3) {
      const r = await coordinator.leaveGroup(request.groupId, [{ memberId: request.memberId, groupInstanceId: null }]);
      return { throttleTimeMs: 0, errorCode: r.errorCode !== ErrorCode.NONE ? r.errorCode : r.members[0]!.errorCode };
    }
    const r = await coordinator.leaveGroup(request.groupId, request.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId })));
    return { throttleTimeMs: 0, errorCode: r.errorCode, members: r.members };
  },
  errorResponse(_ctx, _request, errorCode) {
    return { throttleTimeMs: 0, errorCode, members: [] };
  },
});
