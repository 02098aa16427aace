// The one call every handler makes to ask whether the request's principal may do an operation on a
// resource (Kafka's AuthHelper.authorize). With no authorizer everything is allowed.
import { ANONYMOUS_PRINCIPAL, CLUSTER_RESOURCE, clientHost, type AclResource } from '../authorized-operations.ts';
import type { RequestContext } from '../registry.ts';

export type AuthContext = Pick<RequestContext, 'services' | 'connection'>;

export function authorize(ctx: AuthContext, operation: number, resource: AclResource): boolean {
  const authorizer = ctx.services.authorizer;
  if (!authorizer) return true;
  return authorizer.authorize(ctx.connection.principal ?? ANONYMOUS_PRINCIPAL, operation, resource, clientHost(ctx.connection.remoteAddress));
}

export const authorizeTopic = (ctx: AuthContext, operation: number, name: string) => authorize(ctx, operation, { type: 'topic', name });
export const authorizeGroup = (ctx: AuthContext, operation: number, name: string) => authorize(ctx, operation, { type: 'group', name });
export const authorizeCluster = (ctx: AuthContext, operation: number) => authorize(ctx, operation, CLUSTER_RESOURCE);
export const authorizeTransactionalId = (ctx: AuthContext, operation: number, name: string) => authorize(ctx, operation, { type: 'transactional-id', name });
