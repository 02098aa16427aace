// ConsumerGroupDescribe (key 69), v0: groups of the consumer group protocol (KIP-848) with their
// epochs, assignor, and each member's epoch, subscription, current and target assignment. A group
// that does not exist, or is a classic group, gets GROUP_ID_NOT_FOUND with Kafka's message.
// include_authorized_operations fills in the group's operations (every one, with no authorizer).
// Differences from Kafka: none known.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { ConsumerGroupDescribeRequest } from '../../protocol/generated/consumer-group-describe-request.ts';
import type { ConsumerGroupDescribeResponseInput } from '../../protocol/generated/consumer-group-describe-response.ts';
import { AclOperation, OPERATIONS_NOT_REQUESTED, authorizedOperations } from '../authorized-operations.ts';
import { authorizeGroup } from '../acl/authorize.ts';
import { ErrorCode } from '../../protocol/errors.ts';

export default defineHandler<ConsumerGroupDescribeRequest, ConsumerGroupDescribeResponseInput>({
  apiKey: ApiKey.ConsumerGroupDescribe,
  name: 'ConsumerGroupDescribe',
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, request) {
    const { coordinator } = ctx.services;
    return {
      throttleTimeMs: 0,
      groups: request.groupIds.map((groupId) => {
        // DESCRIBE on each group, as KafkaApis.handleConsumerGroupDescribe checks.
        if (!authorizeGroup(ctx, AclOperation.DESCRIBE, groupId)) {
          return {
            errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [],
            authorizedOperations: OPERATIONS_NOT_REQUESTED,
          };
        }
        const d = coordinator.consumerGroupDescribe(groupId);
        return {
          ...d,
          authorizedOperations: request.includeAuthorizedOperations && d.errorCode === 0
            ? authorizedOperations(ctx, { type: 'group', name: groupId })
            : OPERATIONS_NOT_REQUESTED,
        };
      }),
    };
  },
  errorResponse(_ctx, request, errorCode) {
    return {
      throttleTimeMs: 0,
      groups: request.groupIds.map((groupId) => ({
        errorCode, errorMessage: null, groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [],
        authorizedOperations: OPERATIONS_NOT_REQUESTED,
      })),
    };
  },
});
