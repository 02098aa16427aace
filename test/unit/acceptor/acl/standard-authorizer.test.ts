// The authorizer's rules, as Kafka's StandardAuthorizer applies them: super users, deny over allow,
// implied DESCRIBE / DESCRIBE_CONFIGS (for ALLOW only), ALL, literal / wildcard / prefixed patterns,
// principal and host wildcards, allow.everyone.if.no.acl.found, and authorizeByResourceType.
import { describe, expect, test } from 'vitest';
import pino from 'pino';
import { ClusterMetadata, type MetadataRecord, type StoredAcl } from '../../../../src/metadata/cluster-metadata.ts';
import { StandardAuthorizer } from '../../../../src/acceptor/acl/standard-authorizer.ts';
import { Operation, PatternType, Permission, ResourceType } from '../../../../src/acceptor/acl/acl-binding.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';

const { READ, WRITE, DESCRIBE, DESCRIBE_CONFIGS, ALTER_CONFIGS, ALL, DELETE, CREATE } = Operation;

function authorizerWith(acls: Partial<StoredAcl>[], settings: { superUsers?: string[]; allowEveryoneIfNoAclFound?: boolean } = {}) {
  const cluster = new ClusterMetadata(1);
  const writes: MetadataRecord[][] = [];
  const store = {
    get acls() { return cluster.acls; },
    get aclVersion() { return cluster.aclVersion; },
    async write(records: MetadataRecord[]) { writes.push(records); for (const r of records) cluster.apply(r); },
  };
  acls.forEach((a, i) => cluster.apply({
    type: 'acl', id: `id-${i}`,
    acl: { resourceType: ResourceType.TOPIC, resourceName: 'orders', patternType: PatternType.LITERAL, principal: 'User:alice', host: '*', operation: READ, permissionType: Permission.ALLOW, ...a },
  }));
  const denied: string[] = [];
  const authorizer = new StandardAuthorizer({
    store,
    settings: { superUsers: settings.superUsers ?? [], allowEveryoneIfNoAclFound: settings.allowEveryoneIfNoAclFound ?? false },
    log: pino({ level: 'silent' }),
    onDenied: (op, type) => denied.push(`${op}:${type}`),
  });
  return { authorizer, cluster, writes, denied };
}

const topic = (name: string) => ({ type: 'topic' as const, name });

describe('authorize', () => {
  test('an ALLOW for the principal allows that operation only', () => {
    const { authorizer } = authorizerWith([{}]);
    expect(authorizer.authorize('User:alice', READ, topic('orders'), '10.0.0.1')).toBe(true);
    expect(authorizer.authorize('User:alice', WRITE, topic('orders'), '10.0.0.1')).toBe(false);
    expect(authorizer.authorize('User:bob', READ, topic('orders'), '10.0.0.1')).toBe(false);
  });

  test('no ACL on the resource: denied, unless allow.everyone.if.no.acl.found', () => {
    expect(authorizerWith([{}]).authorizer.authorize('User:alice', READ, topic('other'), 'h')).toBe(false);
    expect(authorizerWith([{}], { allowEveryoneIfNoAclFound: true }).authorizer.authorize('User:bob', READ, topic('other'), 'h')).toBe(true);
    // An ACL on the resource for someone else means the resource is covered: bob is denied even so.
    expect(authorizerWith([{}], { allowEveryoneIfNoAclFound: true }).authorizer.authorize('User:bob', READ, topic('orders'), 'h')).toBe(false);
  });

  test('super users are allowed everything, DENY or not', () => {
    const { authorizer } = authorizerWith([{ principal: 'User:root', operation: ALL, permissionType: Permission.DENY }], { superUsers: ['User:root'] });
    expect(authorizer.authorize('User:root', DELETE, topic('orders'), 'h')).toBe(true);
  });

  test('DENY wins over ALLOW, and a DENY of ALL denies every operation', () => {
    const { authorizer } = authorizerWith([{ operation: ALL }, { operation: WRITE, permissionType: Permission.DENY }]);
    expect(authorizer.authorize('User:alice', READ, topic('orders'), 'h')).toBe(true);
    expect(authorizer.authorize('User:alice', WRITE, topic('orders'), 'h')).toBe(false);
    const all = authorizerWith([{ operation: ALL }, { operation: ALL, permissionType: Permission.DENY, principal: 'User:*' }]).authorizer;
    expect(all.authorize('User:alice', DESCRIBE, topic('orders'), 'h')).toBe(false);
  });

  test('ALLOW of READ, WRITE, DELETE or ALTER implies DESCRIBE; ALTER_CONFIGS implies DESCRIBE_CONFIGS; DENY implies nothing', () => {
    for (const op of [READ, WRITE, DELETE, Operation.ALTER]) {
      expect(authorizerWith([{ operation: op }]).authorizer.authorize('User:alice', DESCRIBE, topic('orders'), 'h'), String(op)).toBe(true);
    }
    expect(authorizerWith([{ operation: CREATE }]).authorizer.authorize('User:alice', DESCRIBE, topic('orders'), 'h')).toBe(false);
    expect(authorizerWith([{ operation: ALTER_CONFIGS }]).authorizer.authorize('User:alice', DESCRIBE_CONFIGS, topic('orders'), 'h')).toBe(true);
    const denyRead = authorizerWith([{ operation: DESCRIBE }, { operation: READ, permissionType: Permission.DENY }]).authorizer;
    expect(denyRead.authorize('User:alice', DESCRIBE, topic('orders'), 'h')).toBe(true);
    expect(denyRead.authorize('User:alice', READ, topic('orders'), 'h')).toBe(false);
  });

  test('wildcard resource name, prefixed patterns, User:* and hosts', () => {
    const { authorizer } = authorizerWith([
      { resourceName: '*', principal: 'User:*', operation: DESCRIBE },
      { resourceName: 'logs-', patternType: PatternType.PREFIXED, operation: WRITE },
      { resourceName: 'orders', operation: READ, host: '10.0.0.9' },
    ]);
    expect(authorizer.authorize('User:anyone', DESCRIBE, topic('whatever'), 'h')).toBe(true);
    expect(authorizer.authorize('User:alice', WRITE, topic('logs-app'), 'h')).toBe(true);
    expect(authorizer.authorize('User:alice', WRITE, topic('log'), 'h')).toBe(false);
    expect(authorizer.authorize('User:alice', READ, topic('orders'), '10.0.0.9')).toBe(true);
    expect(authorizer.authorize('User:alice', READ, topic('orders'), '10.0.0.8')).toBe(false);
  });

  test('resource types are kept apart, and denials are counted', () => {
    const { authorizer, denied } = authorizerWith([{ resourceType: ResourceType.GROUP, resourceName: 'orders' }]);
    expect(authorizer.authorize('User:alice', READ, { type: 'group', name: 'orders' }, 'h')).toBe(true);
    expect(authorizer.authorize('User:alice', READ, topic('orders'), 'h')).toBe(false);
    expect(denied).toEqual(['READ:topic']);
  });

  test('an ACL change is seen by the next decision', async () => {
    const { authorizer } = authorizerWith([]);
    expect(authorizer.authorize('User:bob', READ, topic('t'), 'h')).toBe(false);
    await authorizer.createAcls([{ resourceType: ResourceType.TOPIC, resourceName: 't', patternType: PatternType.LITERAL, principal: 'User:bob', host: '*', operation: READ, permissionType: Permission.ALLOW }]);
    expect(authorizer.authorize('User:bob', READ, topic('t'), 'h')).toBe(true);
  });
});

describe('authorizeByResourceType (KIP-679)', () => {
  test('an ALLOW on any topic not covered by a DENY; a wildcard DENY refuses', () => {
    expect(authorizerWith([{ operation: WRITE }]).authorizer.authorizeByResourceType('User:alice', WRITE, 'topic', 'h')).toBe(true);
    expect(authorizerWith([{ operation: READ }]).authorizer.authorizeByResourceType('User:alice', WRITE, 'topic', 'h')).toBe(false);
    expect(authorizerWith([{ operation: WRITE }, { operation: WRITE, permissionType: Permission.DENY }]).authorizer.authorizeByResourceType('User:alice', WRITE, 'topic', 'h')).toBe(false);
    expect(authorizerWith([{ operation: WRITE, resourceName: 'ord', patternType: PatternType.PREFIXED }, { operation: WRITE, resourceName: 'or', patternType: PatternType.PREFIXED, permissionType: Permission.DENY }])
      .authorizer.authorizeByResourceType('User:alice', WRITE, 'topic', 'h')).toBe(false);
    expect(authorizerWith([{ operation: WRITE, resourceName: 'x' }, { operation: WRITE, resourceName: '*', permissionType: Permission.DENY }]).authorizer.authorizeByResourceType('User:alice', WRITE, 'topic', 'h')).toBe(false);
    expect(authorizerWith([], { superUsers: ['User:alice'] }).authorizer.authorizeByResourceType('User:alice', WRITE, 'topic', 'h')).toBe(true);
  });
});

describe('createAcls / deleteAcls', () => {
  const binding = { resourceType: ResourceType.TOPIC, resourceName: 't', patternType: PatternType.LITERAL, principal: 'User:bob', host: '*', operation: READ, permissionType: Permission.ALLOW };

  test('validation errors are per binding, as Kafka words them; an existing ACL is not written twice', async () => {
    const { authorizer, writes } = authorizerWith([]);
    const results = await authorizer.createAcls([
      binding,
      { ...binding, resourceType: ResourceType.CLUSTER, resourceName: 'other' },
      { ...binding, resourceName: '' },
      { ...binding, patternType: PatternType.MATCH },
      { ...binding, operation: Operation.ANY },
      { ...binding, permissionType: Permission.ANY },
      { ...binding, resourceType: ResourceType.ANY },
      binding,
    ]);
    expect(results).toEqual([
      null,
      { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'The only valid name for the CLUSTER resource is kafka-cluster' },
      { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Invalid empty resource name' },
      { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Invalid patternType MATCH' },
      { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Invalid operation ANY' },
      { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Invalid permissionType ANY' },
      { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Invalid resourceType ANY' },
      null,
    ]);
    expect(writes.flat().length).toBe(1);
    await authorizer.createAcls([binding]);
    expect(writes.length).toBe(1);
  });

  test('deleteAcls removes what each filter matches; an ACL matched twice is removed once and listed twice', async () => {
    const { authorizer, cluster, writes } = authorizerWith([{}, { operation: WRITE }, { resourceName: 'other' }]);
    const any = { resourceType: ResourceType.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: Operation.ANY, permissionType: Permission.ANY };
    const removed = await authorizer.deleteAcls([{ ...any, resourceName: 'orders' }, { ...any, operation: READ, resourceName: 'orders' }]);
    expect(removed.map((r) => r.map((a) => a.operation))).toEqual([[READ, WRITE], [READ]]);
    expect(writes.flat()).toEqual([{ type: 'remove-acl', id: 'id-0' }, { type: 'remove-acl', id: 'id-1' }]);
    expect([...cluster.acls.values()].map((a) => a.resourceName)).toEqual(['other']);
  });
});
