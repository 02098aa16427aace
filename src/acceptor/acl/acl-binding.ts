// ACL bindings and filters as Kafka defines them (org.apache.kafka.common.acl / .resource): the
// codes on the wire, the validation CreateAcls applies, and how a filter (DescribeAcls, DeleteAcls)
// matches a stored binding. Pure: no I/O, no state.
import type { StoredAcl } from '../../metadata/cluster-metadata.ts';

/** ResourceType codes. */
export const ResourceType = {
  UNKNOWN: 0, ANY: 1, TOPIC: 2, GROUP: 3, CLUSTER: 4, TRANSACTIONAL_ID: 5, DELEGATION_TOKEN: 6, USER: 7,
} as const;

/** PatternType codes. */
export const PatternType = { UNKNOWN: 0, ANY: 1, MATCH: 2, LITERAL: 3, PREFIXED: 4 } as const;

/** AclOperation codes (READ..IDEMPOTENT_WRITE are also in authorized-operations.ts's AclOperation). */
export const Operation = {
  UNKNOWN: 0, ANY: 1, ALL: 2, READ: 3, WRITE: 4, CREATE: 5, DELETE: 6, ALTER: 7, DESCRIBE: 8, CLUSTER_ACTION: 9,
  DESCRIBE_CONFIGS: 10, ALTER_CONFIGS: 11, IDEMPOTENT_WRITE: 12, CREATE_TOKENS: 13, DESCRIBE_TOKENS: 14, TWO_PHASE_COMMIT: 15,
} as const;

/** AclPermissionType codes. */
export const Permission = { UNKNOWN: 0, ANY: 1, DENY: 2, ALLOW: 3 } as const;

/** Kafka's wildcard for a resource name, a principal ("User:*") and a host. */
export const WILDCARD = '*';
export const WILDCARD_PRINCIPAL = 'User:*';

const MAX_RESOURCE_TYPE = ResourceType.USER;
const MAX_PATTERN_TYPE = PatternType.PREFIXED;
const MAX_OPERATION = Operation.TWO_PHASE_COMMIT;
const MAX_PERMISSION = Permission.ALLOW;

/** One stored ACL: a resource pattern and an access control entry. */
export type AclBinding = StoredAcl;

/** A DescribeAcls / DeleteAcls filter; null strings match anything. */
export interface AclFilter {
  resourceType: number;
  resourceName: string | null;
  patternType: number;
  principal: string | null;
  host: string | null;
  operation: number;
  permissionType: number;
}

/**
 * Kafka's fromCode maps a code it does not know to UNKNOWN; a request carrying UNKNOWN anywhere
 * fails to parse on a Kafka broker (CreateAclsRequest.validate and friends), which closes the
 * connection. True when any of the four codes is, or reads as, UNKNOWN.
 */
export function hasUnknownElement(e: { resourceType: number; patternType: number; operation: number; permissionType: number }): boolean {
  const unknown = (code: number, max: number) => code <= 0 || code > max;
  return unknown(e.resourceType, MAX_RESOURCE_TYPE) || unknown(e.patternType, MAX_PATTERN_TYPE)
    || unknown(e.operation, MAX_OPERATION) || unknown(e.permissionType, MAX_PERMISSION);
}

/**
 * Why a new binding is refused (INVALID_REQUEST with this message), or null: AclApis.handleCreateAcls
 * (cluster name, empty name) and AclControlManager.validateNewAcl (no ANY, no MATCH), in Kafka's order.
 */
export function validateNewBinding(b: AclBinding): string | null {
  if (b.resourceType === ResourceType.CLUSTER && b.resourceName !== 'kafka-cluster') return 'The only valid name for the CLUSTER resource is kafka-cluster';
  if (b.resourceName.length === 0) return 'Invalid empty resource name';
  if (b.resourceType === ResourceType.ANY) return 'Invalid resourceType ANY';
  if (b.patternType !== PatternType.LITERAL && b.patternType !== PatternType.PREFIXED) return `Invalid patternType ${patternTypeName(b.patternType)}`;
  if (b.operation === Operation.ANY) return 'Invalid operation ANY';
  if (b.permissionType !== Permission.ALLOW && b.permissionType !== Permission.DENY) return `Invalid permissionType ${permissionName(b.permissionType)}`;
  if (!/^[^:]+:/.test(b.principal)) return `Could not parse principal from \`${b.principal}\` (no colon is present separating the principal type from name)`;
  return null;
}

/** ResourcePatternFilter.matches: does the filter's resource part select the binding's pattern? */
function patternMatches(f: AclFilter, b: AclBinding): boolean {
  if (f.resourceType !== ResourceType.ANY && f.resourceType !== b.resourceType) return false;
  if (f.patternType !== PatternType.ANY && f.patternType !== PatternType.MATCH && f.patternType !== b.patternType) return false;
  if (f.resourceName === null) return true;
  if (f.patternType === PatternType.ANY || f.patternType === b.patternType) return f.resourceName === b.resourceName;
  // MATCH: every stored pattern that would apply to a resource of this name.
  if (b.patternType === PatternType.LITERAL) return f.resourceName === b.resourceName || b.resourceName === WILDCARD;
  return f.resourceName.startsWith(b.resourceName);
}

/** AclBindingFilter.matches. */
export function filterMatches(f: AclFilter, b: AclBinding): boolean {
  if (!patternMatches(f, b)) return false;
  if (f.principal !== null && f.principal !== b.principal) return false;
  if (f.host !== null && f.host !== b.host) return false;
  if (f.operation !== Operation.ANY && f.operation !== b.operation) return false;
  return f.permissionType === Permission.ANY || f.permissionType === b.permissionType;
}

export function sameBinding(a: AclBinding, b: AclBinding): boolean {
  return a.resourceType === b.resourceType && a.resourceName === b.resourceName && a.patternType === b.patternType
    && a.principal === b.principal && a.host === b.host && a.operation === b.operation && a.permissionType === b.permissionType;
}

const nameOf = (table: Record<string, number>, code: number): string =>
  Object.entries(table).find(([, v]) => v === code)?.[0] ?? 'UNKNOWN';

export const resourceTypeName = (code: number) => nameOf(ResourceType, code);
export const patternTypeName = (code: number) => nameOf(PatternType, code);
const OPERATION_NAMES = Array.from({ length: MAX_OPERATION + 1 }, (_, code) => nameOf(Operation, code));
export const operationName = (code: number) => OPERATION_NAMES[code] ?? 'UNKNOWN';
export const permissionName = (code: number) => nameOf(Permission, code);
