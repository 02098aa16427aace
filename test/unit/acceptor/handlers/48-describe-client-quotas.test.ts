// DescribeClientQuotas and AlterClientQuotas against fakes: the round trip through the metadata
// records, filter errors in the response, and the cluster permissions Kafka asks for
// (DESCRIBE_CONFIGS, ALTER_CONFIGS).
import { afterEach, beforeEach, expect, test } from 'vitest';
import describeClientQuotas from '../../../../src/acceptor/handlers/48-describe-client-quotas.ts';
import alterClientQuotas from '../../../../src/acceptor/handlers/49-alter-client-quotas.ts';
import { AclOperation } from '../../../../src/acceptor/authorized-operations.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import { call, errorResponseOf, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); });
afterEach(async () => { await s.close(); });

const entity = [{ entityType: 'user', entityName: 'alice' }, { entityType: 'client-id', entityName: null }];

test('alter then describe, stored as client-quota records', async () => {
  const altered = await call<{ entries: { errorCode: number; entity: unknown }[] }>(alterClientQuotas, s, 1, {
    entries: [{ entity, ops: [{ key: 'producer_byte_rate', value: 1024, remove: false }, { key: 'request_percentage', value: 50, remove: false }] }],
    validateOnly: false,
  });
  expect(altered!.entries).toEqual([{ errorCode: 0, errorMessage: null, entity }]);
  expect(s.metadataWrites.flat().map((r) => r.type)).toEqual(['client-quota', 'client-quota']);
  const described = await call<{ errorCode: number; entries: { entity: unknown; values: unknown }[] }>(describeClientQuotas, s, 1, {
    components: [{ entityType: 'user', matchType: 0, match: 'alice' }], strict: false,
  });
  expect(described).toMatchObject({ errorCode: 0, errorMessage: '', entries: [{ entity, values: [{ key: 'producer_byte_rate', value: 1024 }, { key: 'request_percentage', value: 50 }] }] });
});

test('a bad filter is answered in the response with null entries', async () => {
  const described = await call<{ errorCode: number; errorMessage: string; entries: null }>(describeClientQuotas, s, 0, {
    components: [{ entityType: 'user', matchType: 0, match: null }], strict: false,
  });
  expect(described).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'Request specified MATCH_TYPE_EXACT, but set match string to null.', entries: null });
});

test('the cluster permissions Kafka asks for: DESCRIBE_CONFIGS to describe, ALTER_CONFIGS to alter', async () => {
  s.authorizer = { authorize: (_p, op) => op === AclOperation.DESCRIBE_CONFIGS };
  const altered = await call<{ entries: { errorCode: number }[] }>(alterClientQuotas, s, 1, { entries: [{ entity, ops: [{ key: 'producer_byte_rate', value: 1, remove: false }] }], validateOnly: false });
  expect(altered!.entries.map((e) => e.errorCode)).toEqual([ErrorCode.CLUSTER_AUTHORIZATION_FAILED]);
  expect(s.metadataWrites).toEqual([]);
  expect((await call<{ errorCode: number }>(describeClientQuotas, s, 1, { components: [], strict: false }))!.errorCode).toBe(ErrorCode.NONE);
  s.authorizer = { authorize: () => false };
  expect((await call<{ errorCode: number }>(describeClientQuotas, s, 1, { components: [], strict: false }))!.errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
});

test('error responses', () => {
  expect(errorResponseOf(describeClientQuotas, s, 1, { components: [], strict: false })).toEqual({ throttleTimeMs: 0, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: null, entries: null });
  expect(errorResponseOf(alterClientQuotas, s, 1, { entries: [{ entity, ops: [] }], validateOnly: false }))
    .toEqual({ throttleTimeMs: 0, entries: [{ errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: null, entity }] });
});
