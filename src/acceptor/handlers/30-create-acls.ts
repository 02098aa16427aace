// CreateAcls (key 30), v1-3 (v2+ flexible; v0 is gone from Kafka 4, KIP-896, which closes the
// connection on it, so it is not served here either). Needs ALTER on the cluster
// (AclApis.handleCreateAcls). With no authorizer every creation fails with SECURITY_DISABLED, as in
// Kafka. Each binding is validated as Kafka does (the cluster's name, no empty name, no ANY or MATCH,
// ALLOW or DENY only) and answered on its own; a binding that exists already succeeds without a new
// record. A request carrying an UNKNOWN code (0 or out of range) does not parse on a Kafka broker,
// which closes the connection; it closes it here too.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { CreateAclsRequest } from '../../protocol/generated/create-acls-request.ts';
import type { CreateAclsResponseInput } from '../../protocol/generated/create-acls-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeCluster } from '../acl/authorize.ts';
import { Operation, PatternType, Permission, ResourceType, hasUnknownElement } from '../acl/acl-binding.ts';

/**
 * Kafka cannot even build the binding of a creation naming ANY (resource type, operation,
 * permission) or a MATCH/ANY pattern: the whole request fails with UNKNOWN_SERVER_ERROR and no
 * message in every result (differential test against Kafka 4.4 with its StandardAuthorizer).
 */
function unbuildable(request: CreateAclsRequest): boolean {
  return request.creations.some((c) => c.resourceType === ResourceType.ANY || c.operation === Operation.ANY || c.permissionType === Permission.ANY
    || c.resourcePatternType === PatternType.ANY || c.resourcePatternType === PatternType.MATCH);
}

function unparseable(request: CreateAclsRequest): boolean {
  return request.creations.some((c) => hasUnknownElement({ ...c, patternType: c.resourcePatternType }));
}

export default defineHandler<CreateAclsRequest, CreateAclsResponseInput>({
  apiKey: ApiKey.CreateAcls,
  name: 'CreateAcls',
  minVersion: 1,
  maxVersion: 3,
  async handle(ctx, request) {
    if (unparseable(request)) throw new Error('CreateAcls request with UNKNOWN elements');
    const all = (errorCode: number, errorMessage: string | null) => ({ throttleTimeMs: 0, results: request.creations.map(() => ({ errorCode, errorMessage })) });
    if (!authorizeCluster(ctx, AclOperation.ALTER)) return all(ErrorCode.CLUSTER_AUTHORIZATION_FAILED, 'Cluster authorization failed.');
    const admin = ctx.services.acls;
    if (!admin) return all(ErrorCode.SECURITY_DISABLED, 'No Authorizer is configured.');
    if (unbuildable(request)) return all(ErrorCode.UNKNOWN_SERVER_ERROR, null);
    const results = await admin.createAcls(request.creations.map((c) => ({
      resourceType: c.resourceType, resourceName: c.resourceName, patternType: c.resourcePatternType,
      principal: c.principal, host: c.host, operation: c.operation, permissionType: c.permissionType,
    })));
    // Kafka answers a success with an empty message, not null (differential test).
    return { throttleTimeMs: 0, results: results.map((r) => r ?? { errorCode: ErrorCode.NONE, errorMessage: '' }) };
  },
  errorResponse(_ctx, request, errorCode) {
    if (unparseable(request)) return null;
    return { throttleTimeMs: 0, results: request.creations.map(() => ({ errorCode, errorMessage: null })) };
  },
});
