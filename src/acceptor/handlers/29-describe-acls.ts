// DescribeAcls (key 29), v1-3 (v2+ flexible; v0 is gone from Kafka 4, KIP-896, which closes the
// connection on it). Needs DESCRIBE on the cluster. With no authorizer the answer is
// SECURITY_DISABLED, as in Kafka. Matching ACLs are grouped per resource pattern. UNKNOWN codes
// close the connection (the request does not parse on a Kafka broker).
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { DescribeAclsRequest } from '../../protocol/generated/describe-acls-request.ts';
import type { DescribeAclsResponseInput, DescribeAclsResourceInput } from '../../protocol/generated/describe-acls-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeCluster } from '../acl/authorize.ts';
import { hasUnknownElement, type AclFilter } from '../acl/acl-binding.ts';

function unparseable(r: DescribeAclsRequest): boolean {
  return hasUnknownElement({ resourceType: r.resourceTypeFilter, patternType: r.patternTypeFilter, operation: r.operation, permissionType: r.permissionType });
}

export default defineHandler<DescribeAclsRequest, DescribeAclsResponseInput>({
  apiKey: ApiKey.DescribeAcls,
  name: 'DescribeAcls',
  minVersion: 1,
  maxVersion: 3,
  handle(ctx, request) {
    if (unparseable(request)) throw new Error('DescribeAcls request with UNKNOWN elements');
    if (!authorizeCluster(ctx, AclOperation.DESCRIBE)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.', resources: [] };
    }
    const admin = ctx.services.acls;
    if (!admin) return { throttleTimeMs: 0, errorCode: ErrorCode.SECURITY_DISABLED, errorMessage: 'No Authorizer is configured on the broker', resources: [] };
    const filter: AclFilter = {
      resourceType: request.resourceTypeFilter,
      resourceName: request.resourceNameFilter,
      patternType: request.patternTypeFilter,
      principal: request.principalFilter,
      host: request.hostFilter,
      operation: request.operation,
      permissionType: request.permissionType,
    };
    const resources = new Map<string, DescribeAclsResourceInput & { acls: NonNullable<DescribeAclsResourceInput['acls']>[number][] }>();
    for (const acl of admin.describeAcls(filter)) {
      const key = `${acl.resourceType}\0${acl.patternType}\0${acl.resourceName}`;
      let resource = resources.get(key);
      if (!resource) resources.set(key, resource = { resourceType: acl.resourceType, resourceName: acl.resourceName, patternType: acl.patternType, acls: [] });
      resource.acls.push({ principal: acl.principal, host: acl.host, operation: acl.operation, permissionType: acl.permissionType });
    }
    // Kafka answers an empty message, not null (differential test).
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: '', resources: [...resources.values()] };
  },
  errorResponse(_ctx, request, errorCode) {
    if (unparseable(request)) return null;
    return { throttleTimeMs: 0, errorCode, errorMessage: null, resources: [] };
  },
});
