// AlterUserScramCredentials and DescribeUserScramCredentials against the fake services: Kafka's
// checks and messages, only salted and hashed material in the metadata write, and the stored
// credential authenticating a SCRAM exchange.
import { afterEach, beforeEach, expect, test } from 'vitest';
import { randomBytes } from 'node:crypto';
import alter from '../../../../src/acceptor/handlers/51-alter-user-scram-credentials.ts';
import describe from '../../../../src/acceptor/handlers/50-describe-user-scram-credentials.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import { ScramServer, saltPassword } from '../../../../src/acceptor/sasl/scram.ts';
import { ScramClient } from '../../../helpers/scram-client.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); });
afterEach(() => s.close());

async function upsertion(name: string, mechanism: number, password: string, iterations = 4096) {
  const salt = randomBytes(16);
  const saltedPassword = await saltPassword(mechanism === 1 ? 'SCRAM-SHA-256' : 'SCRAM-SHA-512', password, salt, iterations);
  return { name, mechanism, iterations, salt, saltedPassword };
}

type AlterResult = { results: Array<{ user: string; errorCode: number; errorMessage: string | null }> };
type DescribeResult = { errorCode: number; results: Array<{ user: string; errorCode: number; errorMessage: string | null; credentialInfos: Array<{ mechanism: number; iterations: number }> }> };

test('an upsertion stores salt, iterations, StoredKey and ServerKey, and the credential authenticates', async () => {
  const u = await upsertion('alice', 2, 'alice-secret', 8192);
  const res = await call<AlterResult>(alter, s, 0, { deletions: [], upsertions: [u] });
  expect(res!.results).toEqual([{ user: 'alice', errorCode: ErrorCode.NONE, errorMessage: null }]);
  const written = JSON.stringify(s.metadataWrites);
  expect(written).not.toContain(u.saltedPassword.toString('base64'));
  expect(written).not.toContain('alice-secret');
  const server = new ScramServer('SCRAM-SHA-512', (user, m) => s.metadata.scramCredentials(user)?.get(m));
  const client = new ScramClient('SCRAM-SHA-512', 'alice', 'alice-secret');
  const final = server.evaluate(client.final(server.evaluate(client.first()).response));
  expect(final.authorizationId).toBe('alice');
  expect(client.verify(final.response)).toBe(true);
  const d = await call<DescribeResult>(describe, s, 0, { users: null });
  expect(d!.results).toEqual([{ user: 'alice', errorCode: 0, errorMessage: null, credentialInfos: [{ mechanism: 2, iterations: 8192 }] }]);
});

test('Kafka\'s refusals: empty name, unknown mechanism, iterations out of range, a user twice, deleting what is not there', async () => {
  const res = await call<AlterResult>(alter, s, 0, {
    deletions: [{ name: 'ghost', mechanism: 1 }],
    upsertions: [
      await upsertion('', 1, 'x'),
      { ...(await upsertion('weird', 1, 'x')), mechanism: 9 },
      await upsertion('few', 1, 'x', 4095),
      { ...(await upsertion('many', 1, 'x')), iterations: 16385 },
      await upsertion('twice', 2, 'x'),
      await upsertion('twice', 1, 'x'),
    ],
  });
  const byUser = Object.fromEntries(res!.results.map((r) => [r.user, [r.errorCode, r.errorMessage]]));
  expect(byUser).toEqual({
    ghost: [ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to delete a user credential that does not exist'],
    '': [ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Username must not be empty'],
    weird: [ErrorCode.UNSUPPORTED_SASL_MECHANISM, 'Unknown SCRAM mechanism'],
    few: [ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too few iterations'],
    many: [ErrorCode.UNACCEPTABLE_CREDENTIAL, 'Too many iterations'],
    twice: [ErrorCode.DUPLICATE_RESOURCE, 'A user credential cannot be altered twice in the same request'],
  });
  expect(s.metadataWrites).toEqual([]);
});

test('describe: unknown users are RESOURCE_NOT_FOUND, a user named twice DUPLICATE_RESOURCE; deletion removes', async () => {
  await call(alter, s, 0, { deletions: [], upsertions: [await upsertion('bob', 1, 'pw')] });
  const d = await call<DescribeResult>(describe, s, 0, { users: [{ name: 'bob' }, { name: 'nobody' }, { name: 'bob' }] });
  expect(d!.results.map((r) => [r.user, r.errorCode, r.errorMessage])).toEqual([
    ['bob', ErrorCode.DUPLICATE_RESOURCE, 'Cannot describe SCRAM credentials for the same user twice in a single request: bob'],
    ['nobody', ErrorCode.RESOURCE_NOT_FOUND, 'Attempt to describe a user credential that does not exist: nobody'],
  ]);
  const del = await call<AlterResult>(alter, s, 0, { deletions: [{ name: 'bob', mechanism: 1 }], upsertions: [] });
  expect(del!.results[0]!.errorCode).toBe(ErrorCode.NONE);
  expect(s.metadata.scramUsers()).toEqual([]);
});

test('with an authorizer that refuses, both APIs answer CLUSTER_AUTHORIZATION_FAILED', async () => {
  const refusing = { ...s, authorizer: { authorize: () => false } };
  const d = await call<DescribeResult>(describe, refusing, 0, { users: null });
  expect(d!.errorCode).toBe(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
  const a = await call<AlterResult>(alter, refusing, 0, { deletions: [], upsertions: [await upsertion('eve', 1, 'pw')] });
  expect(a!.results).toEqual([{ user: 'eve', errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null }]);
});
