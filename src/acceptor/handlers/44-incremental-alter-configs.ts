// IncrementalAlterConfigs (key 44), v0-1. Topic resources: SET and DELETE of the configs Highwater
// serves, validated like CreateTopics; the new values reach the owning shards before the answer.
// Broker resources are read-only here (settings come from flags, env and the config file) and
// get INVALID_REQUEST; so do other resource types.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { IncrementalAlterConfigsRequest } from '../../protocol/generated/incremental-alter-configs-request.ts';
import type { IncrementalAlterConfigsResponseInput } from '../../protocol/generated/incremental-alter-configs-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { alterTopicConfigs } from '../topic-admin.ts';
import { ResourceType } from './32-describe-configs.ts';

export default defineHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponseInput>({
  apiKey: ApiKey.IncrementalAlterConfigs,
  name: 'IncrementalAlterConfigs',
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, request) {
    const responses = [];
    for (const resource of request.resources) {
      const base = { resourceType: resource.resourceType, resourceName: resource.resourceName };
      if (resource.resourceType !== ResourceType.TOPIC) {
        responses.push({ ...base, errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Only topic configs can be altered on Highwater' });
        continue;
      }
      const changes = resource.configs.map((c) => ({ name: c.name, operation: c.configOperation, value: c.value }));
      const r = await alterTopicConfigs(ctx.services, resource.resourceName, changes, request.validateOnly);
      responses.push({ ...base, errorCode: r.errorCode, errorMessage: r.errorMessage });
    }
    return { throttleTimeMs: 0, responses };
  },
  errorResponse(_ctx, request, errorCode) {
    return {
      throttleTimeMs: 0,
      responses: request.resources.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, errorCode, errorMessage: null })),
    };
  },
});
