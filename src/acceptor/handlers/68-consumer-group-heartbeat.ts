// ConsumerGroupHeartbeat (key 68), v0-1: the consumer group protocol of KIP-848. A member joins with
// epoch 0, heartbeats with its epoch and the partitions it owns, and leaves with -1 (or -2, a static
// member leaving for a while). The answer carries its epoch, the heartbeat interval and, when it
// changed or the request was a full one, the partitions it may use now.
// v0: the broker makes the member id when the first request has none. v1: the client makes it
// (KIP-1082: an empty one is INVALID_REQUEST) and may subscribe by RE2 regex (subscribed_topic_regex).
// Differences from Kafka: classic members in a consumer group (online migration) are not served;
// regex subscriptions are resolved during the heartbeat instead of in the background.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { ConsumerGroupHeartbeatRequest } from '../../protocol/generated/consumer-group-heartbeat-request.ts';
import type { ConsumerGroupHeartbeatResponseInput } from '../../protocol/generated/consumer-group-heartbeat-response.ts';
import { clientHostOf } from './11-join-group.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeGroup } from '../acl/authorize.ts';

export default defineHandler<ConsumerGroupHeartbeatRequest, ConsumerGroupHeartbeatResponseInput>({
  apiKey: ApiKey.ConsumerGroupHeartbeat,
  name: 'ConsumerGroupHeartbeat',
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, request) {
    // READ on the group, as KafkaApis.handleConsumerGroupHeartbeat checks before the coordinator.
    if (!authorizeGroup(ctx, AclOperation.READ, request.groupId)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: null, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
    }
    const r = await ctx.services.coordinator.consumerGroupHeartbeat({
      groupId: request.groupId,
      memberId: request.memberId,
      memberEpoch: request.memberEpoch,
      instanceId: request.instanceId,
      rackId: request.rackId,
      rebalanceTimeoutMs: request.rebalanceTimeoutMs,
      subscribedTopicNames: request.subscribedTopicNames,
      subscribedTopicRegex: ctx.apiVersion >= 1 ? request.subscribedTopicRegex : null,
      serverAssignor: request.serverAssignor,
      topicPartitions: request.topicPartitions,
      clientId: ctx.clientId ?? '',
      clientHost: clientHostOf(ctx.connection.remoteAddress),
      apiVersion: ctx.apiVersion,
    });
    return {
      throttleTimeMs: 0, errorCode: r.errorCode, errorMessage: r.errorMessage, memberId: r.memberId, memberEpoch: r.memberEpoch,
      heartbeatIntervalMs: r.heartbeatIntervalMs, assignment: r.assignment,
    };
  },
  errorResponse(_ctx, _request, errorCode) {
    return { throttleTimeMs: 0, errorCode, errorMessage: null, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
  },
});
