// Metadata (key 3), v0-12. One broker, which leads every partition. Topics are named (v0-9) or
// named and identified (v10+); a request for a topic ID alone (v10+) is answered by ID. An empty
// topic list means all topics (v1+; v0's empty list means all too). Unknown topics are created
// when allow_auto_topic_creation (v4+, always on before) and --auto-create-topics agree.
// Differences from Kafka: auto-created topics are created before the response is written, so they
// come back ready instead of LEADER_NOT_AVAILABLE. Authorized operations are not computed
// (-2147483648, "not requested/unknown").
import { defineHandler, type BrokerEndpoint } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { MetadataRequest } from '../../protocol/generated/metadata-request.ts';
import type { MetadataResponseInput, MetadataResponseTopicInput } from '../../protocol/generated/metadata-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { ZERO_UUID } from '../../protocol/primitives.ts';
import { createTopic } from '../topic-admin.ts';
import type { TopicInfo } from '../../metadata/cluster-metadata.ts';

function describeTopic(node: BrokerEndpoint, topic: TopicInfo): MetadataResponseTopicInput {
  const nodeId = node.nodeId;
  return {
    errorCode: ErrorCode.NONE,
    name: topic.name,
    topicId: topic.topicId,
    isInternal: topic.internal,
    partitions: topic.partitions.map((p) => ({
      errorCode: ErrorCode.NONE,
      partitionIndex: p.partition,
      leaderId: nodeId,
      leaderEpoch: 0,
      replicaNodes: [nodeId],
      isrNodes: [nodeId],
      offlineReplicas: [],
    })),
  };
}

export default defineHandler<MetadataRequest, MetadataResponseInput>({
  apiKey: ApiKey.Metadata,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: 12,
  async handle(ctx, request) {
    const { apiVersion, services } = ctx;
    const { metadata, node } = services;
    const topics: MetadataResponseTopicInput[] = [];
    if (request.topics === null || (request.topics.length === 0 && apiVersion === 0)) {
      // The internal logs are not topics (CreateTopics refuses their reserved names), so every topic is listed.
      for (const topic of metadata.topics) topics.push(describeTopic(node, topic));
    } else {
      const autoCreate = services.config.autoCreateTopics && (apiVersion < 4 || request.allowAutoTopicCreation);
      for (const wanted of request.topics) {
        if (wanted.name === null) {
          const topic = metadata.topicById(wanted.topicId);
          topics.push(topic ? describeTopic(node, topic) : { errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId: wanted.topicId, partitions: [] });
          continue;
        }
        let topic = metadata.topicByName(wanted.name);
        if (!topic && autoCreate) {
          const created = await createTopic(services, {
            name: wanted.name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [], validateOnly: false,
          });
          if (created.errorCode === ErrorCode.TOPIC_ALREADY_EXISTS) topic = metadata.topicByName(wanted.name);
          else if (created.errorCode !== ErrorCode.NONE) {
            topics.push({ errorCode: created.errorCode, name: wanted.name, topicId: ZERO_UUID, partitions: [] });
            continue;
          } else topic = created.topic;
        }
        topics.push(topic ? describeTopic(node, topic) : { errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, name: wanted.name, topicId: ZERO_UUID, partitions: [] });
      }
    }
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId: node.nodeId, host: node.host, port: node.port, rack: null }],
      clusterId: metadata.clusterId,
      controllerId: node.nodeId,
      topics,
    };
  },
  errorResponse(_ctx, request, errorCode) {
    // As Kafka's MetadataRequest.getErrorResponse: every named topic carries the error; no brokers.
    return {
      throttleTimeMs: 0,
      brokers: [],
      clusterId: null,
      controllerId: -1,
      topics: (request.topics ?? []).map((t) => ({ errorCode, name: t.name, topicId: t.topicId, isInternal: false, partitions: [] })),
    };
  },
});
