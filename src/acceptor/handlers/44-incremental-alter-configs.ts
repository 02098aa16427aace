// IncrementalAlterConfigs (key 44), v0-1. SET, DELETE, and APPEND/SUBTRACT on list-typed settings:
// topic resources (the topic configs Highwater serves, validated like CreateTopics); broker
// resources, this node's id or "" (the cluster-wide default), for the dynamic log defaults Highwater
// honours (config-admin.ts), durable in the metadata log and pushed to every open partition before
// the answer. Deliberate differences from Kafka: a broker config Highwater does not honour is
// refused (Kafka accepts unknown names as custom configs) with Kafka's "Cannot update these configs
// dynamically"; group resources are refused with INVALID_CONFIG, since every group config Kafka
// has is for KIP-848 consumer, share or streams groups; cleanup.policy values other than delete
// are refused (compaction: issue 12).
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { IncrementalAlterConfigsRequest } from '../../protocol/generated/incremental-alter-configs-request.ts';
import type { IncrementalAlterConfigsResponseInput } from '../../protocol/generated/incremental-alter-configs-response.ts';
import { alterConfigResources } from '../config-admin.ts';
import { AclOperation } from '../authorized-operations.ts';
import { configResourceDenied } from '../acl/authorize.ts';

export default defineHandler<IncrementalAlterConfigsRequest, IncrementalAlterConfigsResponseInput>({
  apiKey: ApiKey.IncrementalAlterConfigs,
  name: 'IncrementalAlterConfigs',
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, request) {
    const denied = request.resources.map((r) => configResourceDenied(ctx, AclOperation.ALTER_CONFIGS, r.resourceType, r.resourceName));
    const allowed = request.resources.filter((_r, i) => !denied[i]);
    const done = await alterConfigResources(ctx.services, allowed.map((r) => ({
      resourceType: r.resourceType,
      resourceName: r.resourceName,
      changes: r.configs.map((c) => ({ name: c.name, operation: c.configOperation, value: c.value })),
      replace: false,
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
