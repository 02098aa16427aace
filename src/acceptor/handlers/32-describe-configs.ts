// DescribeConfigs (key 32), v0-4. Resource type 2 (topic): every topic config Highwater serves,
// with its source (topic override, dynamic broker or cluster default, static broker setting, Kafka
// default); synonyms when asked (v1+), as Kafka lists them; documentation when asked (v3+).
// Resource type 4 (broker): node id = every broker setting Highwater has, with its layers; "" = the
// dynamic cluster-wide defaults set. errorMessage "" on success, as Kafka sends (differential).
// Deliberate differences: topic configs Highwater does not honour are not listed (docs/compat.md,
// "Topic configs"), nor are Kafka's broker settings Highwater has no equivalent of; group
// resources (type 32) get INVALID_REQUEST, since no group config applies to classic groups.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { DescribeConfigsRequest } from '../../protocol/generated/describe-configs-request.ts';
import type { DescribeConfigsResponseInput, DescribeConfigsResultInput } from '../../protocol/generated/describe-configs-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { describeBrokerConfigs, describeTopicConfigs, type ConfigEntry } from '../topic-configs-view.ts';
import { AclOperation } from '../authorized-operations.ts';
import { configResourceDenied } from '../acl/authorize.ts';

export const ResourceType = { TOPIC: 2, BROKER: 4, GROUP: 32 } as const;

/** Kafka's answers for a broker resource name that is not this node (or "", the cluster default). */
export function brokerResourceProblem(resourceName: string, nodeId: number): string | null {
  if (resourceName === '') return null;
  if (!/^-?\d+$/.test(resourceName)) return `Broker id must be an integer, but it is: ${resourceName}`;
  return Number(resourceName) === nodeId ? null : `Unexpected broker id, expected ${nodeId}, but received ${resourceName}`;
}

export default defineHandler<DescribeConfigsRequest, DescribeConfigsResponseInput>({
  apiKey: ApiKey.DescribeConfigs,
  name: 'DescribeConfigs',
  minVersion: 0,
  maxVersion: 4,
  handle(ctx, request) {
    const { metadata, config, node } = ctx.services;
    const results: DescribeConfigsResultInput[] = request.resources.map((resource) => {
      const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
      let entries: ConfigEntry[];
      const denied = configResourceDenied(ctx, AclOperation.DESCRIBE_CONFIGS, resource.resourceType, resource.resourceName);
      if (denied) return { ...base, ...denied, configs: [] };
      if (resource.resourceType === ResourceType.TOPIC) {
        const topic = metadata.topicByName(resource.resourceName);
        if (!topic) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${resource.resourceName} does not exist`, configs: [] };
        entries = describeTopicConfigs(config, topic, resource.configurationKeys, { metadata, nodeId: node.nodeId });
      } else if (resource.resourceType === ResourceType.BROKER) {
        const problem = brokerResourceProblem(resource.resourceName, node.nodeId);
        if (problem) return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: problem, configs: [] };
        entries = describeBrokerConfigs(config, node, metadata, resource.resourceName, resource.configurationKeys);
      } else {
        return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Resource type ${resource.resourceType} is not served`, configs: [] };
      }
      return {
        ...base,
        errorCode: ErrorCode.NONE,
        errorMessage: '',
        configs: entries.map((e) => ({
          name: e.name,
          value: e.value,
          readOnly: e.readOnly,
          isDefault: e.isDefault,
          configSource: e.configSource,
          isSensitive: false,
          synonyms: request.includeSynonyms ? e.synonyms : [],
          configType: e.configType,
          documentation: request.includeDocumentation ? e.documentation : null,
        })),
      };
    });
    return { throttleTimeMs: 0, results };
  },
  errorResponse(_ctx, request, errorCode) {
    return {
      throttleTimeMs: 0,
      results: request.resources.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, errorCode, errorMessage: null, configs: [] })),
    };
  },
});
