// DeleteAcls (key 31), v1-3 (v2+ flexible; v0 is gone from Kafka 4, KIP-896, which closes the
// connection on it). Needs ALTER on the cluster. With no authorizer every
// filter fails with SECURITY_DISABLED, as in Kafka. Each filter answers the ACLs it removed; an ACL
// matched by two filters is removed once and listed under both. UNKNOWN codes close the connection
// (the request does not parse on a Kafka broker).
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { DeleteAclsFilter, DeleteAclsRequest } from '../../protocol/generated/delete-acls-request.ts';
import type { DeleteAclsResponseInput } from '../../protocol/generated/delete-acls-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeCluster } from '../acl/authorize.ts';
import { hasUnknownElement, type AclFilter } from '../acl/acl-binding.ts';

function unparseable(request: DeleteAclsRequest): boolean {
  return request.filters.some((f) => hasUnknownElement({ resourceType: f.resourceTypeFilter, patternType: f.patternTypeFilter, operation: f.operation, permissionType: f.permissionType }));
}

const toFilter = (f: DeleteAclsFilter): AclFilter => ({
  resourceType: f.resourceTypeFilter,
  resourceName: f.resourceNameFilter,
  patternType: f.patternTypeFilter,
  principal: f.principalFilter,
  host: f.hostFilter,
  operation: f.operation,
  permissionType: f.permissionType,
});

export default defineHandler<DeleteAclsRequest, DeleteAclsResponseInput>({
  apiKey: ApiKey.DeleteAcls,
  name: 'DeleteAcls',
  minVersion: 1,
  maxVersion: 3,
  async handle(ctx, request) {
    if (unparseable(request)) throw new Error('DeleteAcls request with UNKNOWN elements');
    const all = (errorCode: number, errorMessage: string) => ({ throttleTimeMs: 0, filterResults: request.filters.map(() => ({ errorCode, errorMessage, matchingAcls: [] })) });
    if (!authorizeCluster(ctx, AclOperation.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    const admin = ctx.services.acls;
    if (!admin) return all(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
    const removed = await admin.deleteAcls(request.filters.map(toFilter));
    // Kafka answers null messages here (unlike CreateAcls and DescribeAcls: differential test).
    return {
      throttleTimeMs: 0,
      filterResults: removed.map((acls) => ({
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        matchingAcls: acls.map((a) => ({ errorCode: ErrorCode.NONE, errorMessage: null, ...a })),
      })),
    };
  },
  errorResponse(_ctx, request, errorCode) {
    if (unparseable(request)) return null;
    return { throttleTimeMs: 0, filterResults: request.filters.map(() => ({ errorCode, errorMessage: null, matchingAcls: [] })) };
  },
});
