// DescribeGroups (key 15), v0-5. Kafka's state names (Empty, PreparingRebalance,
// CompletingRebalance, Stable, Dead); an unknown group is described as Dead with no error.
// Member metadata (of the selected protocol) and assignments are the opaque bytes the members
// and the leader sent, given once the group is Stable, as Kafka does.
// Differences from Kafka: authorized operations are not computed (-2147483648).
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { DescribeGroupsRequest } from '../../protocol/generated/describe-groups-request.ts';
import type { DescribeGroupsResponseInput } from '../../protocol/generated/describe-groups-response.ts';

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
        const d = coordinator.describeGroup(groupId);
        return {
          errorCode: d.errorCode,
          groupId,
          groupState: d.state,
          protocolType: d.protocolType,
          protocolData: d.protocolData,
          members: d.members,
          authorizedOperations: -2147483648,
        };
      }),
    };
  },
  errorResponse(_ctx, request, errorCode) {
    return {
      throttleTimeMs: 0,
      groups: request.groups.map((groupId) => ({ errorCode, groupId, groupState: '', protocolType: '', protocolData: '', members: [], authorizedOperations: -2147483648 })),
    };
  },
});
