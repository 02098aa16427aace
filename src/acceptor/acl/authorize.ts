// The one call every handler makes to ask whether the request's principal may do an operation on a
// resource (Kafka's AuthHelper.authorize). With no authorizer everything is allowed.
import { ANONYMOUS_PRINCIPAL, CLUSTER_RESOURCE, clientHost, type AclResource, type AclResourceType } from '../authorized-operations.ts';
import type { RequestContext } from '../registry.ts';
import { ErrorCode } from '../../protocol/errors.ts';

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

/** Allowed on some resource of the type (Kafka's authorizeByResourceType, KIP-679). */
export function authorizeByResourceType(ctx: AuthContext, operation: number, type: AclResourceType): boolean {
  const authorizer = ctx.services.authorizer;
  if (!authorizer) return true;
  const principal = ctx.connection.principal ?? ANONYMOUS_PRINCIPAL;
  const host = clientHost(ctx.connection.remoteAddress);
  return authorizer.authorizeByResourceType
    ? authorizer.authorizeByResourceType(principal, operation, type, host)
    : authorizer.authorize(principal, operation, CLUSTER_RESOURCE, host);
}

/** The principal the request came from. */
export const principalOf = (ctx: AuthContext): string => ctx.connection.principal ?? ANONYMOUS_PRINCIPAL;

/** ConfigResource types (DescribeConfigs, AlterConfigs, IncrementalAlterConfigs). */
const CONFIG_TOPIC = 2;
const CONFIG_BROKER = 4;
const CONFIG_BROKER_LOGGER = 8;
const CONFIG_GROUP = 32;

/**
 * The refusal of a config operation (DESCRIBE_CONFIGS or ALTER_CONFIGS) on a config resource, or null:
 * a topic on the topic, a group on the group, a broker or broker logger on the cluster (KafkaApis).
 */
export function configResourceDenied(ctx: AuthContext, operation: number, resourceType: number, resourceName: string): { errorCode: number; errorMessage: string } | null {
  switch (resourceType) {
    case CONFIG_TOPIC:
      return authorizeTopic(ctx, operation, resourceName) ? null : { errorCode: ErrorCode.TOPIC_AUTHORIZATION_FAILED, errorMessage: 'Topic authorization failed.' };
    case CONFIG_GROUP:
      return authorizeGroup(ctx, operation, resourceName) ? null : { errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, errorMessage: 'Group authorization failed.' };
    case CONFIG_BROKER:
    case CONFIG_BROKER_LOGGER:
      return authorizeCluster(ctx, operation) ? null : { errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: 'Cluster authorization failed.' };
    default:
      return null;
  }
}
