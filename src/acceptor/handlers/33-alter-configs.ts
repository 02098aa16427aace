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
import { AclOperation } from '../authorized-operations.ts';
import { configResourceDenied } from '../acl/authorize.ts';

export default defineHandler<AlterConfigsRequest, AlterConfigsResponseInput>({
  apiKey: ApiKey.AlterConfigs,
  name: 'AlterConfigs',
  minVersion: 0,
  maxVersion: 2,
  async handle(ctx, request) {
    const denied = request.resources.map((r) => configResourceDenied(ctx, AclOperation.ALTER_CONFIGS, r.resourceType, r.resourceName));
    const allowed = request.resources.filter((_r, i) => !denied[i]);
    const done = await alterConfigResources(ctx.services, allowed.map((r) => ({
      resourceType: r.resourceType,
      resourceName: r.resourceName,
      changes: r.configs.map((c) => ({ name: c.name, operation: ConfigOperation.SET, value: c.value })),
      replace: true,
    })), request.validateOnly);
    let next = 0;
    const results = denied.map((d) => d ?? done[next++]!);
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
