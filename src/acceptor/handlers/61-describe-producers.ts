// DescribeProducers (key 61), v0: the active idempotent producers of each partition asked for,
// read from the producer state that only the partition's owning shard keeps (a control request to
// it; see src/shard-worker/producer-state.ts): producer id, epoch, last sequence and the time of
// its last append, the coordinator epoch of its last transaction marker and the first offset of
// its open transaction in the partition (-1 for none, as Kafka reports them).
// An unknown topic or partition is UNKNOWN_TOPIC_OR_PARTITION for that partition.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { DescribeProducersRequest } from '../../protocol/generated/describe-producers-request.ts';
import type { DescribeProducersResponseInput, PartitionResponseInput } from '../../protocol/generated/describe-producers-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeTopic } from '../acl/authorize.ts';

export default defineHandler<DescribeProducersRequest, DescribeProducersResponseInput>({
  apiKey: ApiKey.DescribeProducers,
  name: 'DescribeProducers',
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, request) {
    const { partitions, producers } = ctx.services;
    // READ on the topic (KafkaApis.handleDescribeProducersRequest).
    const readable = request.topics.map((t) => authorizeTopic(ctx, AclOperation.READ, t.name));
    const topics = await Promise.all(request.topics.map(async (t, topicIndex) => ({
      name: t.name,
      partitions: await Promise.all(t.partitionIndexes.map(async (partitionIndex): Promise<PartitionResponseInput> => {
        if (!readable[topicIndex]) return { partitionIndex, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: null, activeProducers: [] };
        const handle = partitions.partition(t.name, partitionIndex);
        if (!handle) {
          return { partitionIndex, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: 'This server does not host this topic-partition.', activeProducers: [] };
        }
        const state = await producers.describeProducers(handle.shard, handle.slot);
        return {
          partitionIndex,
          errorCode: state.errorCode,
          errorMessage: null,
          activeProducers: state.producers.map((p) => ({ ...p, coordinatorEpoch: p.coordinatorEpoch ?? -1, currentTxnStartOffset: p.currentTxnStartOffset ?? -1n })),
        };
      })),
    })));
    return { throttleTimeMs: 0, topics };
  },
  errorResponse(_ctx, request, errorCode) {
    return {
      throttleTimeMs: 0,
      topics: request.topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((partitionIndex) => ({ partitionIndex, errorCode, errorMessage: null, activeProducers: [] })) })),
    };
  },
});
