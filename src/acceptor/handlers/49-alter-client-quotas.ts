// AlterClientQuotas (key 49), v0-1 (v1 flexible). Needs ALTER_CONFIGS on the cluster. Validated as
// Kafka's ClientQuotaControlManager validates (entity types user, client-id; no duplicate key; an
// entity named twice in one request is refused; the entity is a map, so a type given twice keeps its
// last name, as a Kafka broker reads it; one answer per distinct entity; the keys producer_byte_rate, consumer_byte_rate (whole numbers) and request_percentage, each
// > 0), stored in the durable metadata log unless validate_only. Deliberate difference: ip entities
// (connection_creation_rate) and controller_mutation_rate are refused with INVALID_REQUEST, since
// Highwater does not enforce them.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { AlterClientQuotasRequest } from '../../protocol/generated/alter-client-quotas-request.ts';
import type { AlterClientQuotasResponseInput } from '../../protocol/generated/alter-client-quotas-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeCluster } from '../acl/authorize.ts';

export default defineHandler<AlterClientQuotasRequest, AlterClientQuotasResponseInput>({
  apiKey: ApiKey.AlterClientQuotas,
  name: 'AlterClientQuotas',
  minVersion: 0,
  maxVersion: 1,
  async handle(ctx, request) {
    if (!authorizeCluster(ctx, AclOperation.ALTER_CONFIGS)) {
      return { throttleTimeMs: 0, entries: request.entries.map((e) => ({ errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.', entity: e.entity })) };
    }
    const results = await ctx.services.quotas.alter(request.entries, request.validateOnly);
    return {
      throttleTimeMs: 0,
      entries: results.map((r) => ({
        errorCode: r.errorCode,
        errorMessage: r.errorMessage,
        entity: Object.entries(r.entity).map(([entityType, entityName]) => ({ entityType, entityName })),
      })),
    };
  },
  errorResponse(_ctx, request, errorCode) {
    return { throttleTimeMs: 0, entries: request.entries.map((e) => ({ errorCode, errorMessage: null, entity: e.entity })) };
  },
});
