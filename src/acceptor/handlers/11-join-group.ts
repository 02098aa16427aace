// JoinGroup (key 11), v0-9, the classic rebalance protocol (src/coordinator/). v0 has no rebalance
// timeout: the session timeout stands in, as in Kafka. v4+: a first join without a member id gets
// MEMBER_ID_REQUIRED and the id to rejoin with (KIP-394). v5+: group.instance.id (static
// membership, KIP-345). v7+ answers the protocol type. v9+: a static leader that rejoins without
// changes gets the members with skip_assignment (KIP-814). The response waits for the rebalance.
// Differences from Kafka: group metadata is not persisted, so a restart forgets members (they
// rejoin; committed offsets are kept).
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { JoinGroupRequest } from '../../protocol/generated/join-group-request.ts';
import type { JoinGroupResponseInput } from '../../protocol/generated/join-group-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeGroup } from '../acl/authorize.ts';

export default defineHandler<JoinGroupRequest, JoinGroupResponseInput>({
  apiKey: ApiKey.JoinGroup,
  name: 'JoinGroup',
  minVersion: 0,
  maxVersion: 9,
  async handle(ctx, request) {
    const { apiVersion } = ctx;
    // READ on the group (KafkaApis), answered as Kafka's error response for the request.
    if (!authorizeGroup(ctx, AclOperation.READ, request.groupId)) return this.errorResponse(ctx, request, ErrorCode.GROUP_AUTHORIZATION_FAILED)!;
    const result = await ctx.services.coordinator.joinGroup({
      groupId: request.groupId,
      memberId: request.memberId,
      groupInstanceId: apiVersion >= 5 ? request.groupInstanceId : null,
      sessionTimeoutMs: request.sessionTimeoutMs,
      rebalanceTimeoutMs: apiVersion >= 1 ? request.rebalanceTimeoutMs : request.sessionTimeoutMs,
      protocolType: request.protocolType,
      protocols: request.protocols.map((p) => ({ name: p.name, metadata: p.metadata })),
      clientId: ctx.clientId ?? '',
      clientHost: clientHostOf(ctx.connection.remoteAddress),
      requireKnownMemberId: apiVersion >= 4,
      supportsSkipAssignment: apiVersion >= 9,
    });
    return {
      throttleTimeMs: 0,
      errorCode: result.errorCode,
      generationId: result.generationId,
      protocolType: result.protocolType,
      // Not nullable before v7.
      protocolName: apiVersion >= 7 ? result.protocolName : result.protocolName ?? '',
      leader: result.leader,
      skipAssignment: result.skipAssignment,
      memberId: result.memberId,
      members: result.members,
    };
  },
  errorResponse(ctx, request, errorCode) {
    return { throttleTimeMs: 0, errorCode, generationId: -1, protocolName: ctx.apiVersion >= 7 ? null : '', leader: '', memberId: request.memberId, members: [] };
  },
});

/** Kafka's form of a member's client host ("/127.0.0.1") from "address:port". */
export function clientHostOf(remoteAddress: string): string {
  const colon = remoteAddress.lastIndexOf(':');
  return '/' + (colon > 0 ? remoteAddress.slice(0, colon) : remoteAddress);
}
