// CreateTopics (key 19), v0-7. Replication factor 1 (or -1, the default) on this one broker;
// manual assignments may name only this broker. validate_only (v1+) checks without creating.
// v5+ returns the partition count, replication factor and the configs in force; v7+ the topic ID
// (a fresh one for validate_only too, as Kafka's controller answers).
// Topics are created one after another, each durable before the next, in request order.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { CreateTopicsRequest } from '../../protocol/generated/create-topics-request.ts';
import type { CreateTopicsResponseInput, CreatableTopicResultInput } from '../../protocol/generated/create-topics-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { ZERO_UUID } from '../../protocol/primitives.ts';
import { createTopic } from '../topic-admin.ts';
import { describeTopicConfigs } from '../topic-configs-view.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeCluster, authorizeTopic } from '../acl/authorize.ts';

export default defineHandler<CreateTopicsRequest, CreateTopicsResponseInput>({
  apiKey: ApiKey.CreateTopics,
  name: 'CreateTopics',
  minVersion: 0,
  maxVersion: 7,
  async handle(ctx, request) {
    const { services } = ctx;
    const results: CreatableTopicResultInput[] = [];
    const seen = new Set<string>();
    // CREATE on the cluster, or else on each topic; its configs are answered only with
    // DESCRIBE_CONFIGS on it (ControllerApis.createTopics).
    const mayCreateAny = authorizeCluster(ctx, AclOperation.CREATE);
    for (const t of request.topics) {
      if (seen.has(t.name)) {
        results.push({ name: t.name, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Duplicate topic name in the request.' });
        continue;
      }
      seen.add(t.name);
      if (!mayCreateAny && !authorizeTopic(ctx, AclOperation.CREATE, t.name)) {
        results.push({ name: t.name, topicId: ZERO_UUID, errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Authorization failed.' });
        continue;
      }
      const result = await createTopic(services, {
        name: t.name,
        numPartitions: t.numPartitions,
        replicationFactor: t.replicationFactor,
        assignments: t.assignments,
        configs: t.configs,
        validateOnly: request.validateOnly,
      });
      const topic = result.topic;
      const out: CreatableTopicResultInput = {
        name: t.name,
        topicId: topic?.topicId ?? result.topicId ?? ZERO_UUID,
        errorCode: result.errorCode,
        errorMessage: result.errorMessage,
      };
      if (result.errorCode === ErrorCode.NONE) {
        out.numPartitions = topic ? topic.partitions.length : (t.numPartitions === -1 ? services.config.numPartitions : t.numPartitions);
        out.replicationFactor = 1;
        if (!authorizeTopic(ctx, AclOperation.DESCRIBE_CONFIGS, t.name)) {
          out.topicConfigErrorCode = ErrorCode.TOPIC_AUTHORIZATION_FAILED;
        } else if (topic) {
          out.configs = describeTopicConfigs(services.config, topic, null, { metadata: services.metadata, nodeId: services.node.nodeId }).map((c) => ({
            name: c.name, value: c.value, readOnly: c.readOnly, configSource: c.configSource, isSensitive: false,
          }));
        }
      }
      results.push(out);
    }
    return { throttleTimeMs: 0, topics: results };
  },
  errorResponse(_ctx, request, errorCode) {
    return { throttleTimeMs: 0, topics: request.topics.map((t) => ({ name: t.name, topicId: ZERO_UUID, errorCode, errorMessage: null })) };
  },
});
