// AlterConfigs (key 33), v0-2 (as Kafka 4.4 advertises; v2 is flexible). Each resource's configs
// replace its whole set of dynamic configs: a config not named goes back to its default. Topic and
// broker resources as IncrementalAlterConfigs takes them (config-admin.ts), with the same errors;
// validateOnly checks and changes nothing. Deliberate differences from Kafka: as for key 44, a
// broker config Highwater does not honour and every group config are refused, not stored.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { AlterConfigsRequest } from '../../protocol/generated/alter-configs-request.ts';
import type { AlterConfigsResponseInput } from '../../protocol/generated/alter-configs-response.ts';
import { ConfigOperation, alterConfigResources } from '../config-admin.ts';

export default defineHandler<AlterConfigsRequest, AlterConfigsResponseInput>({
  apiKey: ApiKey.AlterConfigs,
  name: 'AlterConfigs',
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, request) {
    const results = await alterConfigResources(ctx.services, request.resources.map((r) => ({
      resourceType: r.resourceType,
      resourceName: r.resourceName,
      changes: r.configs.map((c) => ({ name: c.name, operation: ConfigOperation.SET, value: c.value })),
      replace: true,
    })), request.validateOnly);
    return {
      throttleTimeMs: 0,
      responses: request.resources.map((r, i) => ({ resourceType: r.resourceType, resourceName: r.resourceName, ...results[i]! })),
    };
  },
  errorResponse(_ctx, request, errorCode) {
    return {
      throttleTimeMs: 0,
      responses: request.resources.map((r) => ({ resourceType: r.resourceType, resourceName: r.resourceName, errorCode, errorMessage: null })),
    };
  },
});
