// CreateAcls, DescribeAcls and DeleteAcls against fakes with a real StandardAuthorizer: SECURITY_DISABLED
// without an authorizer, CLUSTER_AUTHORIZATION_FAILED without ALTER / DESCRIBE on the cluster, the
// round trip through the metadata records, grouping per resource, and UNKNOWN codes closing the
// connection (errorResponse null) as a Kafka broker that cannot parse the request does.
import { afterEach, beforeEach, expect, test } from 'vitest';
import pino from 'pino';
import createAcls from '../../../../src/acceptor/handlers/30-create-acls.ts';
import describeAcls from '../../../../src/acceptor/handlers/29-describe-acls.ts';
import deleteAcls from '../../../../src/acceptor/handlers/31-delete-acls.ts';
import { StandardAuthorizer } from '../../../../src/acceptor/acl/standard-authorizer.ts';
import { Operation, PatternType, Permission, ResourceType } from '../../../../src/acceptor/acl/acl-binding.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import { call, errorResponseOf, fakeConnection, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); });
afterEach(async () => { await s.close(); });

function enableAuthorizer(superUsers = ['User:ANONYMOUS']) {
  const authorizer = new StandardAuthorizer({
    store: { get acls() { return s.cluster.acls; }, get aclVersion() { return s.cluster.aclVersion; }, write: (r) => s.metadata.write(r) },
    settings: { superUsers, allowEveryoneIfNoAclFound: false },
    log: pino({ level: 'silent' }),
  });
  s.authorizer = authorizer;
  s.acls = authorizer;
}

const creation = (over: Record<string, unknown> = {}) => ({
  resourceType: ResourceType.TOPIC, resourceName: 'orders', resourcePatternType: PatternType.LITERAL,
  principal: 'User:alice', host: '*', operation: Operation.READ, permissionType: Permission.ALLOW, ...over,
});
const anyFilter = {
  resourceTypeFilter: ResourceType.ANY, resourceNameFilter: null, patternTypeFilter: PatternType.ANY,
  principalFilter: null, hostFilter: null, operation: Operation.ANY, permissionType: Permission.ANY,
};

test('without an authorizer: SECURITY_DISABLED, as Kafka', async () => {
  const created = await call<{ results: { errorCode: number }[] }>(createAcls, s, 3, { creations: [creation()] });
  expect(created!.results.map((r) => r.errorCode)).toEqual([ErrorCode.SECURITY_DISABLED]);
  const described = await call<{ errorCode: number }>(describeAcls, s, 3, anyFilter);
  expect(described!.errorCode).toBe(ErrorCode.SECURITY_DISABLED);
  const deleted = await call<{ filterResults: { errorCode: number }[] }>(deleteAcls, s, 3, { filters: [anyFilter] });
  expect(deleted!.filterResults.map((r) => r.errorCode)).toEqual([ErrorCode.SECURITY_DISABLED]);
});

test('create, describe grouped by resource, delete; durable as metadata records', async () => {
  enableAuthorizer();
  const created = await call<{ results: { errorCode: number; errorMessage: string | null }[] }>(createAcls, s, 3, {
    creations: [creation(), creation({ operation: Operation.WRITE }), creation({ resourceName: 'logs-', resourcePatternType: PatternType.PREFIXED }), creation({ resourceName: '' })],
  });
  expect(created!.results).toEqual([
    { errorCode: 0, errorMessage: '' }, { errorCode: 0, errorMessage: '' }, { errorCode: 0, errorMessage: '' },
    { errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Invalid empty resource name' },
  ]);
  expect(s.metadataWrites.flat().map((r) => r.type)).toEqual(['acl', 'acl', 'acl']);
  const described = await call<{ errorCode: number; resources: { resourceName: string; patternType: number; acls: { operation: number }[] }[] }>(describeAcls, s, 3, anyFilter);
  expect(described!.errorCode).toBe(0);
  expect(described!.resources.map((r) => [r.resourceName, r.patternType, r.acls.map((a) => a.operation)])).toEqual([
    ['orders', PatternType.LITERAL, [Operation.READ, Operation.WRITE]],
    ['logs-', PatternType.PREFIXED, [Operation.READ]],
  ]);
  const matched = await call<{ resources: { resourceName: string }[] }>(describeAcls, s, 3, { ...anyFilter, patternTypeFilter: PatternType.MATCH, resourceNameFilter: 'logs-app', resourceTypeFilter: ResourceType.TOPIC });
  expect(matched!.resources.map((r) => r.resourceName)).toEqual(['logs-']);
  const deleted = await call<{ filterResults: { errorCode: number; matchingAcls: { resourceName: string; operation: number }[] }[] }>(deleteAcls, s, 3, {
    filters: [{ ...anyFilter, resourceNameFilter: 'orders', operation: Operation.WRITE }],
  });
  expect(deleted!.filterResults).toEqual([{ errorCode: 0, errorMessage: null, matchingAcls: [expect.objectContaining({ resourceName: 'orders', operation: Operation.WRITE, errorCode: 0, errorMessage: null })] }]);
  expect([...s.cluster.acls.values()].map((a) => a.operation)).toEqual([Operation.READ, Operation.READ]);
});

test('a creation naming ANY or MATCH fails the whole request with UNKNOWN_SERVER_ERROR, as Kafka (it cannot build the binding)', async () => {
  enableAuthorizer();
  const res = await call<{ results: { errorCode: number; errorMessage: string | null }[] }>(createAcls, s, 3, { creations: [creation(), creation({ operation: Operation.ANY })] });
  expect(res!.results).toEqual([{ errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: null }, { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: null }]);
  expect(s.metadataWrites).toEqual([]);
});

test('without ALTER / DESCRIBE on the cluster: CLUSTER_AUTHORIZATION_FAILED', async () => {
  enableAuthorizer([]);
  const created = await call<{ results: { errorCode: number }[] }>(createAcls, s, 2, { creations: [creation(), creation()] });
  expect(created!.results.map((r) => r.errorCode)).toEqual([ErrorCode.CLUSTER_AUTHORIZATION_FAILED, ErrorCode.CLUSTER_AUTHORIZATION_FAILED]);
  expect((await call<{ errorCode: number }>(describeAcls, s, 2, anyFilter))!.errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  const deleted = await call<{ filterResults: { errorCode: number }[] }>(deleteAcls, s, 2, { filters: [anyFilter] });
  expect(deleted!.filterResults.map((r) => r.errorCode)).toEqual([ErrorCode.CLUSTER_AUTHORIZATION_FAILED]);
  expect(s.metadataWrites).toEqual([]);
});

test('v0 is not served (Kafka 4 dropped it, KIP-896)', () => {
  expect([createAcls, describeAcls, deleteAcls].map((h) => h.minVersion)).toEqual([1, 1, 1]);
});

test('UNKNOWN codes close the connection as an unparseable request', async () => {
  enableAuthorizer();
  const bad = { creations: [creation({ operation: 0 })] };
  await expect(Promise.resolve().then(() => createAcls.handle({ apiKey: 30, apiVersion: 3, correlationId: 1, clientId: null, services: s, connection: fakeConnection() }, bad))).rejects.toThrow();
  expect(errorResponseOf(createAcls, s, 3, bad)).toBeNull();
  expect(errorResponseOf(describeAcls, s, 3, { ...anyFilter, resourceTypeFilter: 9 })).toBeNull();
  expect(errorResponseOf(deleteAcls, s, 3, { filters: [{ ...anyFilter, permissionType: 0 }] })).toBeNull();
});

test('error responses of well-formed requests carry the error everywhere', () => {
  expect(errorResponseOf(createAcls, s, 3, { creations: [creation()] })).toEqual({ throttleTimeMs: 0, results: [{ errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: null }] });
  expect(errorResponseOf(describeAcls, s, 3, anyFilter)).toMatchObject({ errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, resources: [] });
  expect(errorResponseOf(deleteAcls, s, 3, { filters: [anyFilter] })).toMatchObject({ filterResults: [{ errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, matchingAcls: [] }] });
});
