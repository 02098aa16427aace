// DescribeClientQuotas (key 48), v0-1 (v1 flexible). Needs DESCRIBE_CONFIGS on the cluster. The
// filter is read as Kafka's ClientQuotasImage.describe reads it: per entity type an exact name, the
// default entity, or any specified name; `strict` asks for entities of exactly those types. A bad
// filter answers INVALID_REQUEST (an unknown entity type UNSUPPORTED_VERSION) with null entries.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { DescribeClientQuotasRequest } from '../../protocol/generated/describe-client-quotas-request.ts';
import type { DescribeClientQuotasResponseInput } from '../../protocol/generated/describe-client-quotas-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeCluster } from '../acl/authorize.ts';
import { QuotaRequestError } from '../quotas/client-quotas.ts';

export default defineHandler<DescribeClientQuotasRequest, DescribeClientQuotasResponseInput>({
  apiKey: ApiKey.DescribeClientQuotas,
  name: 'DescribeClientQuotas',
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, request) {
    if (!authorizeCluster(ctx, AclOperation.DESCRIBE_CONFIGS)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.', entries: null };
    }
    try {
      const found = ctx.services.quotas.describe(request.components, request.strict);
      return {
        throttleTimeMs: 0,
        errorCode: ErrorCode.NONE,
        // Kafka answers an empty message, not null, on success (differential test).
        errorMessage: '',
        entries: found.map(({ entity, quotas }) => ({
          entity: Object.entries(entity).map(([entityType, entityName]) => ({ entityType, entityName })),
          values: Object.entries(quotas).map(([key, value]) => ({ key, value })),
        })),
      };
    } catch (err) {
      if (!(err instanceof QuotaRequestError)) throw err;
      return { throttleTimeMs: 0, errorCode: err.errorCode, errorMessage: err.message, entries: null };
    }
  },
  errorResponse(_ctx, _request, errorCode) {
    return { throttleTimeMs: 0, errorCode, errorMessage: null, entries: null };
  },
});
