// The ACL authorizer, with the rules of Kafka's StandardAuthorizer (StandardAuthorizerData.findResult):
// super users may do anything; otherwise the ACLs whose pattern covers the resource (a LITERAL of its
// name or "*", or a PREFIXED of a prefix of its name) are read for the principal (or User:*) and the
// client's host (or "*"). A matching DENY wins over any ALLOW; an ALLOW of READ, WRITE, DELETE or
// ALTER implies DESCRIBE, ALTER_CONFIGS implies DESCRIBE_CONFIGS, ALL covers every operation
// (DENY is never implied: DENY READ does not deny DESCRIBE). A resource no ACL covers at all is
// allowed only with allow.everyone.if.no.acl.found. The ACLs live in the durable metadata log; this
// class keeps an index over them and writes changes through the metadata store.
import type { Logger } from 'pino';
import { randomUUID } from 'node:crypto';
import type { MetadataRecord, StoredAcl } from '../../metadata/cluster-metadata.ts';
import type { AclResource, AclResourceType, Authorizer } from '../authorized-operations.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import {
  Operation, PatternType, Permission, ResourceType, WILDCARD, WILDCARD_PRINCIPAL,
  filterMatches, operationName, sameBinding, validateNewBinding, type AclBinding, type AclFilter,
} from './acl-binding.ts';

/** Where the ACLs are read from (the cluster metadata) and written to (the metadata log). */
export interface AclStore {
  readonly acls: ReadonlyMap<string, StoredAcl>;
  readonly aclVersion: number;
  write(records: MetadataRecord[]): Promise<void>;
}

export interface AuthorizerSettings {
  /** super.users: principals allowed everything. */
  superUsers: readonly string[];
  /** allow.everyone.if.no.acl.found */
  allowEveryoneIfNoAclFound: boolean;
}

/** The management side CreateAcls, DescribeAcls and DeleteAcls use (Kafka's Authorizer.acls/createAcls/deleteAcls). */
export interface AclAdmin {
  describeAcls(filter: AclFilter): AclBinding[];
  /** One result per binding, in order: null for created (or already present), else the error. */
  createAcls(bindings: readonly AclBinding[]): Promise<({ errorCode: number; errorMessage: string } | null)[]>;
  /** One result per filter: the bindings it removed. */
  deleteAcls(filters: readonly AclFilter[]): Promise<AclBinding[][]>;
}

/** Kafka allows at most this many ACL records in one user operation (AclControlManager). */
const MAX_RECORDS_PER_USER_OP = 10_000;

const TYPE_CODES: Record<AclResourceType, number> = {
  topic: ResourceType.TOPIC,
  group: ResourceType.GROUP,
  cluster: ResourceType.CLUSTER,
  'transactional-id': ResourceType.TRANSACTIONAL_ID,
};

/**
 * The ACLs of one resource type: literal names (and "*") to their ACLs, prefixes to theirs, and the
 * distinct prefix lengths, so a decision looks up each prefix of the name that some ACL has instead
 * of scanning every prefixed ACL.
 */
interface TypeIndex {
  literal: Map<string, StoredAcl[]>;
  prefixed: Map<string, StoredAcl[]>;
  prefixLengths: number[];
}

const push = (map: Map<string, StoredAcl[]>, key: string, acl: StoredAcl) => {
  const list = map.get(key);
  if (list) list.push(acl);
  else map.set(key, [acl]);
};

export class StandardAuthorizer implements Authorizer, AclAdmin {
  readonly #store: AclStore;
  readonly #superUsers: ReadonlySet<string>;
  readonly #allowIfNoAcl: boolean;
  readonly #log: Logger;
  readonly #denied: (operation: string, resourceType: string) => void;
  #indexVersion = -1;
  #index = new Map<number, TypeIndex>();

  constructor(options: { store: AclStore; settings: AuthorizerSettings; log: Logger; onDenied?: (operation: string, resourceType: string) => void }) {
    this.#store = options.store;
    this.#superUsers = new Set(options.settings.superUsers);
    this.#allowIfNoAcl = options.settings.allowEveryoneIfNoAclFound;
    this.#log = options.log.child({ component: 'authorizer' });
    this.#denied = options.onDenied ?? (() => undefined);
  }

  authorize(principal: string, operation: number, resource: AclResource, host = ''): boolean {
    const allowed = this.#decide(principal, operation, resource, host);
    if (!allowed) this.#denied(operationName(operation), resource.type);
    if (this.#log.isLevelEnabled('debug')) {
      this.#log.debug({ principal, host, operation: operationName(operation), resourceType: resource.type, resource: resource.name, allowed }, 'authorization decision');
    }
    return allowed;
  }

  /**
   * May the principal do `operation` on some resource of the type (KIP-679, Kafka's default
   * Authorizer.authorizeByResourceType): InitProducerId without a transactional id passes with
   * WRITE on any topic. A resource named "hardcode" is asked first, so super users and
   * allow.everyone.if.no.acl.found pass; then an ALLOW (of exactly the operation or ALL) not
   * covered by a DENY of the same literal name or of a prefix of it.
   */
  authorizeByResourceType(principal: string, operation: number, type: AclResourceType, host = ''): boolean {
    if (this.#decide(principal, operation, { type, name: 'hardcode' }, host)) return true;
    const code = TYPE_CODES[type];
    const denyLiteral = new Set<string>();
    const denyPrefixed = new Set<string>();
    const allow: StoredAcl[] = [];
    for (const acl of this.#store.acls.values()) {
      if (acl.resourceType !== code) continue;
      if (acl.host !== host && acl.host !== WILDCARD) continue;
      if (acl.principal !== principal && acl.principal !== WILDCARD_PRINCIPAL) continue;
      if (acl.operation !== operation && acl.operation !== Operation.ALL) continue;
      if (acl.permissionType === Permission.DENY) {
        if (acl.patternType === PatternType.LITERAL && acl.resourceName === WILDCARD) return this.#deniedByType(operation, type);
        (acl.patternType === PatternType.PREFIXED ? denyPrefixed : denyLiteral).add(acl.resourceName);
      } else if (acl.permissionType === Permission.ALLOW) {
        if (acl.patternType === PatternType.LITERAL && acl.resourceName === WILDCARD) return true;
        allow.push(acl);
      }
    }
    for (const acl of allow) {
      if (acl.patternType === PatternType.LITERAL && denyLiteral.has(acl.resourceName)) continue;
      let dominated = false;
      for (let i = 1; i <= acl.resourceName.length && !dominated; i++) dominated = denyPrefixed.has(acl.resourceName.slice(0, i));
      if (!dominated) return true;
    }
    return this.#deniedByType(operation, type);
  }

  #deniedByType(operation: number, type: AclResourceType): false {
    this.#denied(operationName(operation), type);
    return false;
  }

  #decide(principal: string, operation: number, resource: AclResource, host: string): boolean {
    if (this.#superUsers.has(principal)) return true;
    const index = this.#typeIndex(TYPE_CODES[resource.type]);
    if (!index) return this.#allowIfNoAcl;
    // The lists of ACLs whose pattern covers the resource: its literal name, "*", each prefix of it.
    const verdict = new Verdict(principal, operation, host);
    if (!verdict.read(index.literal.get(resource.name)) || !verdict.read(index.literal.get(WILDCARD))) return false;
    const name = resource.name;
    for (const length of index.prefixLengths) {
      if (length > name.length) break;
      if (!verdict.read(index.prefixed.get(name.slice(0, length)))) return false;
    }
    return verdict.covered ? verdict.allowed : this.#allowIfNoAcl;
  }

  #typeIndex(typeCode: number): TypeIndex | undefined {
    if (this.#indexVersion !== this.#store.aclVersion) {
      const index = new Map<number, TypeIndex>();
      for (const acl of this.#store.acls.values()) {
        let t = index.get(acl.resourceType);
        if (!t) index.set(acl.resourceType, t = { literal: new Map(), prefixed: new Map(), prefixLengths: [] });
        push(acl.patternType === PatternType.PREFIXED ? t.prefixed : t.literal, acl.resourceName, acl);
      }
      for (const t of index.values()) t.prefixLengths = [...new Set([...t.prefixed.keys()].map((k) => k.length))].sort((a, b) => a - b);
      this.#index = index;
      this.#indexVersion = this.#store.aclVersion;
    }
    return this.#index.get(typeCode);
  }

  describeAcls(filter: AclFilter): AclBinding[] {
    return [...this.#store.acls.values()].filter((acl) => filterMatches(filter, acl)).map((acl) => ({ ...acl }));
  }

  async createAcls(bindings: readonly AclBinding[]): Promise<({ errorCode: number; errorMessage: string } | null)[]> {
    const results: ({ errorCode: number; errorMessage: string } | null)[] = [];
    const records: MetadataRecord[] = [];
    const existing = [...this.#store.acls.values()];
    for (const binding of bindings) {
      const invalid = validateNewBinding(binding);
      if (invalid) {
        results.push({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: invalid });
        continue;
      }
      results.push(null);
      // An ACL that exists already is a success with nothing written, as in Kafka.
      if (existing.some((acl) => sameBinding(acl, binding))) continue;
      const acl = { ...binding };
      existing.push(acl);
      records.push({ type: 'acl', id: randomUUID(), acl });
    }
    if (records.length > MAX_RECORDS_PER_USER_OP) {
      const error = { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: `Cannot create more than ${MAX_RECORDS_PER_USER_OP} acls in a single operation` };
      return results.map((r) => r ?? error);
    }
    if (records.length > 0) await this.#store.write(records);
    return results;
  }

  async deleteAcls(filters: readonly AclFilter[]): Promise<AclBinding[][]> {
    const removed = new Set<string>();
    const results = filters.map((filter) => {
      const matched: AclBinding[] = [];
      for (const [id, acl] of this.#store.acls) {
        if (!filterMatches(filter, acl)) continue;
        matched.push({ ...acl });
        removed.add(id);
      }
      return matched;
    });
    if (removed.size > 0) await this.#store.write([...removed].map((id) => ({ type: 'remove-acl', id })));
    return results;
  }
}

/** Reads the ACLs covering one resource for one request: any ACL covers it; a matching DENY ends it. */
class Verdict {
  covered = false;
  allowed = false;
  readonly #principal: string;
  readonly #operation: number;
  readonly #host: string;

  constructor(principal: string, operation: number, host: string) {
    this.#principal = principal;
    this.#operation = operation;
    this.#host = host;
  }

  /** False when a DENY applies (the decision is made). */
  read(acls: readonly StoredAcl[] | undefined): boolean {
    if (!acls) return true;
    this.covered = true;
    for (const acl of acls) {
      if (acl.principal !== this.#principal && acl.principal !== WILDCARD_PRINCIPAL) continue;
      if (acl.host !== WILDCARD && acl.host !== this.#host) continue;
      if (acl.permissionType === Permission.DENY) {
        if (acl.operation === Operation.ALL || acl.operation === this.#operation) return false;
      } else if (!this.allowed && allowImplies(acl.operation, this.#operation)) {
        this.allowed = true;
      }
    }
    return true;
  }
}

/** Does an ALLOW ACL for `aclOperation` allow `operation`? (StandardAuthorizerData.findResult) */
function allowImplies(aclOperation: number, operation: number): boolean {
  if (aclOperation === Operation.ALL || aclOperation === operation) return true;
  if (operation === Operation.DESCRIBE) {
    return aclOperation === Operation.READ || aclOperation === Operation.WRITE || aclOperation === Operation.DELETE || aclOperation === Operation.ALTER;
  }
  return operation === Operation.DESCRIBE_CONFIGS && aclOperation === Operation.ALTER_CONFIGS;
}
