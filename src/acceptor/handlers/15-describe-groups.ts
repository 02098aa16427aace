// DescribeGroups (key 15), v0-5. Kafka's state names (Empty, PreparingRebalance,
// CompletingRebalance, Stable, Dead); an unknown group is described as Dead with no error.
// Member metadata (of the selected protocol) and assignments are the opaque bytes the members
// and the leader sent, given once the group is Stable, as Kafka does.
// include_authorized_operations (v3+) fills in each group's operations (with no authorizer, every
// one Kafka defines for the group resource).
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { DescribeGroupsRequest } from '../../protocol/generated/describe-groups-request.ts';
import type { DescribeGroupsResponseInput } from '../../protocol/generated/describe-groups-response.ts';
import { OPERATIONS_NOT_REQUESTED, authorizedOperations } from '../authorized-operations.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeGroup } from '../acl/authorize.ts';
import { ErrorCode } from '../../protocol/errors.ts';

export default defineHandler<DescribeGroupsRequest, DescribeGroupsResponseInput>({
  apiKey: ApiKey.DescribeGroups,
  name: 'DescribeGroups',
  minVersion: 0,
  maxVersion: 5,
  handle(ctx, request) {
    const { coordinator } = ctx.services;
    return {
      throttleTimeMs: 0,
      groups: request.groups.map((groupId) => {
        // DESCRIBE on the group (KafkaApis.handleDescribeGroupsRequest).
        if (!authorizeGroup(ctx, AclOperation.DESCRIBE, groupId)) {
          return { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED };
        }
        const d = coordinator.describeGroup(groupId);
        return {
          errorCode: d.errorCode,
          groupId,
          groupState: d.state,
          protocolType: d.protocolType,
          protocolData: d.protocolData,
          members: d.members,
          authorizedOperations: ctx.apiVersion >= 3 && request.includeAuthorizedOperations
            ? authorizedOperations(ctx, { type: 'group', name: groupId })
            : OPERATIONS_NOT_REQUESTED,
        };
      }),
    };
  },
  errorResponse(_ctx, request, errorCode) {
    return {
      throttleTimeMs: 0,
      groups: request.groups.map((groupId) => ({ errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: OPERATIONS_NOT_REQUESTED })),
    };
  },
});
