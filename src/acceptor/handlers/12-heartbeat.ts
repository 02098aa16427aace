// Heartbeat (key 12), v0-4: keeps a member's session alive; REBALANCE_IN_PROGRESS tells it to
// rejoin. v3+ carry group.instance.id (FENCED_INSTANCE_ID for a replaced static member).
// Differences from Kafka: none known.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { HeartbeatRequest } from '../../protocol/generated/heartbeat-request.ts';
import type { HeartbeatResponseInput } from '../../protocol/generated/heartbeat-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeGroup } from '../acl/authorize.ts';

export default defineHandler<HeartbeatRequest, HeartbeatResponseInput>({
  apiKey: ApiKey.Heartbeat,
  name: 'Heartbeat',
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, request) {
    // READ on the group (KafkaApis), answered as Kafka's error response for the request.
    if (!authorizeGroup(ctx, AclOperation.READ, request.groupId)) return this.errorResponse(ctx, request, ErrorCode.GROUP_AUTHORIZATION_FAILED)!;
    const errorCode = ctx.services.coordinator.heartbeat({
      groupId: request.groupId,
      generationId: request.generationId,
      memberId: request.memberId,
      groupInstanceId: ctx.apiVersion >= 3 ? request.groupInstanceId : null,
    });
    return { throttleTimeMs: 0, errorCode };
  },
  errorResponse(_ctx, _request, errorCode) {
    return { throttleTimeMs: 0, errorCode };
  },
});
