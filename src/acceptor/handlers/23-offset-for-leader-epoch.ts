// OffsetForLeaderEpoch (key 23), v0-4. One broker that has only ever had leader epoch 0: asked for
// epoch 0 (or less), the end offset is the high watermark; asked for a newer epoch, the answer is
// UNDEFINED_EPOCH (-1) and offset -1, as Kafka answers for an epoch it has not seen.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { OffsetForLeaderEpochRequest } from '../../protocol/generated/offset-for-leader-epoch-request.ts';
import type { OffsetForLeaderEpochResponseInput } from '../../protocol/generated/offset-for-leader-epoch-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeTopic } from '../acl/authorize.ts';

export default defineHandler<OffsetForLeaderEpochRequest, OffsetForLeaderEpochResponseInput>({
  apiKey: ApiKey.OffsetForLeaderEpoch,
  name: 'OffsetForLeaderEpoch',
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, request) {
    const { partitions, watermarks } = ctx.services;
    const describableTopics = request.topics.map((t) => authorizeTopic(ctx, AclOperation.DESCRIBE, t.topic));
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t, topicIndex) => ({
        topic: t.topic,
        partitions: t.partitions.map((p) => {
          // DESCRIBE on the topic (KafkaApis.handleOffsetForLeaderEpochRequest).
          if (!describableTopics[topicIndex]) return { partition: p.partition, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, leaderEpoch: -1, endOffset: -1n };
          const handle = partitions.partition(t.topic, p.partition);
          if (!handle) return { partition: p.partition, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, leaderEpoch: -1, endOffset: -1n };
          if (p.currentLeaderEpoch > 0) return { partition: p.partition, errorCode: ErrorCode.UNKNOWN_LEADER_EPOCH, leaderEpoch: -1, endOffset: -1n };
          if (p.leaderEpoch > 0) return { partition: p.partition, errorCode: ErrorCode.NONE, leaderEpoch: -1, endOffset: -1n };
          return { partition: p.partition, errorCode: ErrorCode.NONE, leaderEpoch: 0, endOffset: watermarks.highWatermark(handle.slot) };
        }),
      })),
    };
  },
  errorResponse(_ctx, request, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({ topic: t.topic, partitions: t.partitions.map((p) => ({ partition: p.partition, errorCode, leaderEpoch: -1, endOffset: -1n })) })),
    };
  },
});
