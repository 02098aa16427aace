// DescribeConfigs (key 32), v0-4. Resource type 2 (topic): every topic config Highwater serves,
// with its source (topic override, broker default, Kafka default); synonyms when asked (v1+);
// documentation when asked (v3+). Resource type 4 (broker): the broker settings that shape topics.
// Other resource types get INVALID_REQUEST.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { DescribeConfigsRequest } from '../../protocol/generated/describe-configs-request.ts';
import type { DescribeConfigsResponseInput, DescribeConfigsResultInput } from '../../protocol/generated/describe-configs-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { describeBrokerConfigs, describeTopicConfigs, type ConfigEntry } from '../topic-configs-view.ts';

export const ResourceType = { TOPIC: 2, BROKER: 4 } as const;

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
      if (resource.resourceType === ResourceType.TOPIC) {
        const topic = metadata.topicByName(resource.resourceName);
        if (!topic) return { ...base, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, errorMessage: `Topic ${resource.resourceName} does not exist`, configs: [] };
        entries = describeTopicConfigs(config, topic, resource.configurationKeys);
      } else if (resource.resourceType === ResourceType.BROKER) {
        if (resource.resourceName !== '' && resource.resourceName !== String(node.nodeId)) {
          return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Unexpected broker id ${resource.resourceName}`, configs: [] };
        }
        entries = describeBrokerConfigs(config, node, resource.configurationKeys);
      } else {
        return { ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Resource type ${resource.resourceType} is not served`, configs: [] };
      }
      return {
        ...base,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
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
