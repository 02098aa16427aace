// DescribeLogDirs (key 35), v1-4 (Kafka 4.4 serves v1-5; v5 is not in our message definitions yet,
// so clients negotiate v4). One log dir, the data dir, with every partition asked for (null: all
// topics) that exists: its size in bytes, offset lag 0 (the HWM is the log end on one broker) and
// isFuture false (no AlterReplicaLogDirs). Unknown topics and partitions are left out, as Kafka
// does. v3+ carries a top-level error code; v4+ the volume's total and usable bytes (statfs).
// Differences from Kafka: Highwater's internal logs (metadata, committed offsets) are not listed,
// as they are not topics here; Kafka lists __consumer_offsets.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { DescribeLogDirsRequest } from '../../protocol/generated/describe-log-dirs-request.ts';
import type { DescribeLogDirsResponseInput, DescribeLogDirsTopicInput } from '../../protocol/generated/describe-log-dirs-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { TopicInfo } from '../../metadata/cluster-metadata.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeCluster } from '../acl/authorize.ts';

export default defineHandler<DescribeLogDirsRequest, DescribeLogDirsResponseInput>({
  apiKey: ApiKey.DescribeLogDirs,
  name: 'DescribeLogDirs',
  minVersion: 1,
  maxVersion: 4,
  async handle(ctx, request) {
    const { metadata, logDirs } = ctx.services;
    // DESCRIBE on the cluster (KafkaApis.handleDescribeLogDirsRequest): refused with no results.
    if (!authorizeCluster(ctx, AclOperation.DESCRIBE)) return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, results: [] };
    const wanted: { topic: TopicInfo; partitions: number[] }[] = [];
    if (request.topics === null) {
      for (const topic of metadata.topics) wanted.push({ topic, partitions: topic.partitions.map((p) => p.partition) });
    } else {
      for (const t of request.topics) {
        const topic = metadata.topicByName(t.topic);
        if (topic) wanted.push({ topic, partitions: t.partitions.filter((p) => p >= 0 && p < topic.partitions.length) });
      }
    }
    const [dir, topics] = await Promise.all([
      logDirs.describe(),
      Promise.all(wanted.map(async ({ topic, partitions }): Promise<DescribeLogDirsTopicInput> => ({
        name: topic.name,
        partitions: await Promise.all(partitions.map(async (partitionIndex) => ({
          partitionIndex, partitionSize: await logDirs.partitionSize(topic.name, partitionIndex), offsetLag: 0n, isFutureKey: false,
        }))),
      }))),
    ]);
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      results: [{ errorCode: ErrorCode.NONE, logDir: dir.logDir, topics: topics.filter((t) => t.partitions!.length > 0), totalBytes: dir.totalBytes, usableBytes: dir.usableBytes }],
    };
  },
  errorResponse(_ctx, _request, errorCode) {
    return { throttleTimeMs: 0, errorCode, results: [] };
  },
});
