// Metadata (key 3), v0-12. One broker, which leads every partition. Topics are named (v0-9),
// named with the topic id answered (v10+), or asked by topic id alone (v12+; v10-11 refuse topic
// ids with INVALID_REQUEST and no brokers, as Kafka does). An empty topic list means all topics
// (v1+; v0's empty list means all too). Authorized operations (v8+) are filled in when asked: the
// topics' always, the cluster's at v8-10 (v11 dropped the field), as Kafka's AuthHelper builds them.
// Auto-creation: when --auto-create-topics and allow_auto_topic_creation (v4+; always on before)
// agree, a missing topic is answered UNKNOWN_TOPIC_OR_PARTITION and created in the background with
// num.partitions partitions, as a KRaft Kafka's AutoTopicCreationManager does (LEADER_NOT_AVAILABLE
// was the ZooKeeper path); a later Metadata finds it. An illegal name is INVALID_TOPIC_EXCEPTION.
// Differences from Kafka: none known.
import { advertisedEndpoint, defineHandler, type BrokerEndpoint, type HandlerServices, type RequestContext } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { MetadataRequest } from '../../protocol/generated/metadata-request.ts';
import type { MetadataResponseInput, MetadataResponseTopicInput } from '../../protocol/generated/metadata-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { ZERO_UUID } from '../../protocol/primitives.ts';
import { createTopic } from '../topic-admin.ts';
import { isKafkaInternalTopic, validateTopicName, type TopicInfo } from '../../metadata/cluster-metadata.ts';
import { AclOperation, CLUSTER_RESOURCE, OPERATIONS_NOT_REQUESTED, authorizedOperations } from '../authorized-operations.ts';
import { authorizeCluster, authorizeTopic } from '../acl/authorize.ts';

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

const missingTopic = (errorCode: number, name: string): MetadataResponseTopicInput =>
  ({ errorCode, name, topicId: ZERO_UUID, isInternal: isKafkaInternalTopic(name), partitions: [] });

/**
 * Topics being auto-created, per broker (keyed by its metadata service): a second request for the
 * same topic must not start a second creation (Kafka's inflightTopics).
 */
const creating = new WeakMap<object, Set<string>>();

/** Starts the creation and returns at once; the outcome is logged, the client retries Metadata. */
function createInBackground(services: HandlerServices, name: string): void {
  let inFlight = creating.get(services.metadata);
  if (!inFlight) creating.set(services.metadata, inFlight = new Set());
  if (inFlight.has(name)) return;
  inFlight.add(name);
  createTopic(services, { name, numPartitions: -1, replicationFactor: -1, assignments: [], configs: [], validateOnly: false })
    .then((result) => {
      if (result.errorCode !== ErrorCode.NONE && result.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) {
        services.log.warn({ topic: name, errorCode: result.errorCode, reason: result.errorMessage }, 'auto-creation of a topic failed');
      }
    }, (err: unknown) => services.log.warn({ topic: name, err }, 'auto-creation of a topic failed'))
    .finally(() => inFlight.delete(name));
}

function errorAnswer(request: MetadataRequest, errorCode: number): MetadataResponseInput {
  // As Kafka's MetadataRequest.getErrorResponse: every named topic carries the error; no brokers.
  return {
    throttleTimeMs: 0,
    brokers: [],
    clusterId: null,
    controllerId: -1,
    topics: (request.topics ?? []).map((t) => ({ errorCode, name: t.name, topicId: t.topicId, isInternal: false, partitions: [] })),
  };
}

export default defineHandler<MetadataRequest, MetadataResponseInput>({
  apiKey: ApiKey.Metadata,
  name: 'Metadata',
  minVersion: 0,
  maxVersion: 12,
  handle(ctx: RequestContext, request) {
    const { apiVersion, services } = ctx;
    const { metadata } = services;
    const node = advertisedEndpoint(ctx);
    if (apiVersion < 12 && request.topics?.some((t) => t.name === null || t.topicId !== ZERO_UUID)) {
      // Kafka throws InvalidRequestException ("Topic IDs are not supported in requests for version N").
      return errorAnswer(request, ErrorCode.INVALID_REQUEST);
    }
    const topics: MetadataResponseTopicInput[] = [];
    /** The answers for unknown ids and refused topics, which carry no topic authorized operations (as Kafka). */
    const unknownIds: MetadataResponseTopicInput[] = [];
    const refused = (t: MetadataResponseTopicInput) => {
      unknownIds.push(t);
      topics.push(t);
    };
    // DESCRIBE on a topic, else it is hidden (all topics) or refused by name (KafkaApis.handleTopicMetadataRequest).
    const describable = (name: string) => authorizeTopic(ctx, AclOperation.DESCRIBE, name);
    if (request.topics === null || (request.topics.length === 0 && apiVersion === 0)) {
      // The internal logs are not topics (CreateTopics refuses their reserved names), so every topic is listed.
      for (const topic of metadata.topics) if (describable(topic.name)) topics.push(describeTopic(node, topic));
    } else {
      let mayCreateAny: boolean | undefined;
      const autoCreate = services.config.autoCreateTopics && (apiVersion < 4 || request.allowAutoTopicCreation);
      for (const wanted of request.topics) {
        if (wanted.name === null) {
          const topic = metadata.topicById(wanted.topicId);
          // Topic ids are not secret: Kafka names the id in the refusal.
          if (topic && !describable(topic.name)) refused({ errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, name: null, topicId: topic.topicId, isInternal: false, partitions: [] });
          else if (topic) topics.push(describeTopic(node, topic));
          else {
            const unknown: MetadataResponseTopicInput = { errorCode: ErrorCode.UNKNOWN_TOPIC_ID, name: null, topicId: wanted.topicId, isInternal: false, partitions: [] };
            unknownIds.push(unknown);
            topics.push(unknown);
          }
          continue;
        }
        if (!describable(wanted.name)) {
          // Refused before its existence is looked at, so the answer tells nothing of it.
          refused({ ...missingTopic(ErrorCode.TOPIC_AUTHORIZATION_FAILED, wanted.name), isInternal: false });
          continue;
        }
        const topic = metadata.topicByName(wanted.name);
        if (!topic && autoCreate && !(mayCreateAny ??= authorizeCluster(ctx, AclOperation.CREATE)) && !authorizeTopic(ctx, AclOperation.CREATE, wanted.name)) {
          // Auto-creation needs CREATE on the cluster or the topic.
          refused(missingTopic(ErrorCode.TOPIC_AUTHORIZATION_FAILED, wanted.name));
          continue;
        }
        if (topic) topics.push(describeTopic(node, topic));
        else if (validateTopicName(wanted.name) !== null) topics.push(missingTopic(ErrorCode.INVALID_TOPIC_EXCEPTION, wanted.name));
        else {
          if (autoCreate) createInBackground(services, wanted.name);
          topics.push(missingTopic(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, wanted.name));
        }
      }
    }
    const topicOperations = apiVersion >= 8 && request.includeTopicAuthorizedOperations;
    for (const t of topics) {
      t.topicAuthorizedOperations = topicOperations && !unknownIds.includes(t)
        ? authorizedOperations(ctx, { type: 'topic', name: t.name! })
        : OPERATIONS_NOT_REQUESTED;
    }
    const clusterAuthorizedOperations = apiVersion >= 8 && apiVersion <= 10 && request.includeClusterAuthorizedOperations
      ? authorizedOperations(ctx, CLUSTER_RESOURCE)
      : OPERATIONS_NOT_REQUESTED;
    return {
      throttleTimeMs: 0,
      brokers: [{ nodeId: node.nodeId, host: node.host, port: node.port, rack: null }],
      clusterId: metadata.clusterId,
      controllerId: node.nodeId,
      topics,
      clusterAuthorizedOperations,
    };
  },
  errorResponse(_ctx, request, errorCode) {
    return errorAnswer(request, errorCode);
  },
});
