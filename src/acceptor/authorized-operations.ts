// Authorized operations (KIP-430): the bitfield Metadata, DescribeCluster and DescribeGroups send
// when a client asks what it may do with a resource. Kafka builds it in AuthHelper.authorizedOperations
// from AclEntry.supportedOperations(resourceType): with no authorizer every supported operation is
// set; with one, those the authorizer allows the request's principal. Ours follows the same shape so
// the authorizer of issue 14 plugs in as `HandlerServices.authorizer` without touching the handlers.

/** Kafka's AclOperation codes (org.apache.kafka.common.acl.AclOperation); the bit index in the field. */
export const AclOperation = {
  READ: 3,
  WRITE: 4,
  CREATE: 5,
  DELETE: 6,
  ALTER: 7,
  DESCRIBE: 8,
  CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10,
  ALTER_CONFIGS: 11,
  IDEMPOTENT_WRITE: 12,
} as const;

export type AclResourceType = 'topic' | 'group' | 'cluster' | 'transactional-id';

export interface AclResource {
  type: AclResourceType;
  name: string;
}

const { READ, WRITE, CREATE, DELETE, ALTER, DESCRIBE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE } = AclOperation;

/** AclEntry.supportedOperations per resource type, as Kafka 4.4 lists them. */
export const SUPPORTED_OPERATIONS: Record<AclResourceType, readonly number[]> = {
  topic: [READ, WRITE, CREATE, DESCRIBE, DELETE, ALTER, DESCRIBE_CONFIGS, ALTER_CONFIGS],
  group: [READ, DESCRIBE, DELETE, DESCRIBE_CONFIGS, ALTER_CONFIGS],
  cluster: [CREATE, CLUSTER_ACTION, DESCRIBE_CONFIGS, ALTER_CONFIGS, IDEMPOTENT_WRITE, ALTER, DESCRIBE],
  'transactional-id': [DESCRIBE, WRITE],
};

/**
 * Decides one operation on one resource for one principal connected from `host` (an IP): the ACL
 * authorizer (src/acceptor/acl/) when authorizer.class.name is set, else `HandlerServices.authorizer`
 * is null and everything is allowed, as in a Kafka broker with no authorizer.class.name.
 */
export interface Authorizer {
  authorize(principal: string, operation: number, resource: AclResource, host?: string): boolean;
  /** Allowed on some resource of the type (KIP-679); an authorizer without it is asked about the cluster. */
  authorizeByResourceType?(principal: string, operation: number, type: AclResourceType, host?: string): boolean;
}

/** Kafka's cluster resource name (Resource.CLUSTER_NAME). */
export const CLUSTER_RESOURCE: AclResource = { type: 'cluster', name: 'kafka-cluster' };

/** The principal of an unauthenticated connection, as Kafka names it (KafkaPrincipal.ANONYMOUS). */
export const ANONYMOUS_PRINCIPAL = 'User:ANONYMOUS';

/** "Not requested": the schema's default for every authorized-operations field. */
export const OPERATIONS_NOT_REQUESTED = -2147483648;

/** The bitfield of the operations on `resource` that `authorizer` allows `principal` (all, with none). */
export function operationsBitfield(authorizer: Authorizer | null, principal: string, resource: AclResource, host?: string): number {
  // Kafka answers 0 for a cluster the principal may not DESCRIBE, and never describes a topic or a
  // group it may not DESCRIBE; 0 covers all three.
  if (authorizer && !authorizer.authorize(principal, DESCRIBE, resource, host)) return 0;
  let field = 0;
  for (const op of SUPPORTED_OPERATIONS[resource.type]) {
    if (!authorizer || authorizer.authorize(principal, op, resource, host)) field |= 1 << op;
  }
  return field;
}

/** The bitfield for the principal of the request's connection. */
export function authorizedOperations(
  ctx: { services: { authorizer: Authorizer | null }; connection: { principal?: string; remoteAddress: string } },
  resource: AclResource,
): number {
  return operationsBitfield(ctx.services.authorizer, ctx.connection.principal ?? ANONYMOUS_PRINCIPAL, resource, clientHost(ctx.connection.remoteAddress));
}

/** The IP an ACL's host is compared with: the address without its port, IPv4-mapped IPv6 as IPv4. */
export function clientHost(remoteAddress: string): string {
  const at = remoteAddress.lastIndexOf(':');
  const ip = at > 0 ? remoteAddress.slice(0, at) : remoteAddress;
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
