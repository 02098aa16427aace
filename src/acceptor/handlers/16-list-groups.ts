// ListGroups (key 16), v0-5. v4+ filter by state (case-insensitive, as Kafka), v5+ by group type
// (case-insensitive): "classic" or "consumer" (KIP-848), reported in group_type.
// Differences from Kafka: none known.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { ListGroupsRequest } from '../../protocol/generated/list-groups-request.ts';
import type { ListGroupsResponseInput } from '../../protocol/generated/list-groups-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeCluster, authorizeGroup } from '../acl/authorize.ts';

export default defineHandler<ListGroupsRequest, ListGroupsResponseInput>({
  apiKey: ApiKey.ListGroups,
  name: 'ListGroups',
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, request) {
    const { apiVersion } = ctx;
    const { coordinator } = ctx.services;
    if (coordinator.loading) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, groups: [] };
    const states = apiVersion >= 4 && request.statesFilter.length > 0 ? new Set(request.statesFilter.map((s) => s.toLowerCase())) : null;
    const types = apiVersion >= 5 && request.typesFilter.length > 0 ? new Set(request.typesFilter.map((s) => s.toLowerCase())) : null;
    // DESCRIBE on the cluster lists every group, else those the principal may DESCRIBE (KafkaApis.handleListGroupsRequest).
    const everyGroup = authorizeCluster(ctx, AclOperation.DESCRIBE);
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      groups: coordinator.listGroups()
        .filter((g) => (!states || states.has(g.state.toLowerCase())) && (!types || types.has(g.groupType)))
        .filter((g) => everyGroup || authorizeGroup(ctx, AclOperation.DESCRIBE, g.groupId))
        .map((g) => ({ groupId: g.groupId, protocolType: g.protocolType, groupState: g.state, groupType: g.groupType })),
    };
  },
  errorResponse(_ctx, _request, errorCode) {
    return { throttleTimeMs: 0, errorCode, groups: [] };
  },
});
