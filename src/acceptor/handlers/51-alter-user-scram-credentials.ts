// AlterUserScramCredentials (key 51), v0 (KIP-554). Upsertions carry the client-computed salted
// password; the broker stores only salt, iterations, StoredKey and ServerKey in the metadata log,
// as Kafka's ScramControlManager does, with its checks and messages: an empty name is
// UNACCEPTABLE_CREDENTIAL, an unknown mechanism UNSUPPORTED_SASL_MECHANISM, iterations outside
// 4096-16384 UNACCEPTABLE_CREDENTIAL, a user altered twice in one request DUPLICATE_RESOURCE, a
// deletion of a missing credential RESOURCE_NOT_FOUND. The accepted alterations are written in one
// metadata write. Needs ALTER on the cluster when an authorizer is configured.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { AlterUserScramCredentialsRequest, ScramCredentialDeletion, ScramCredentialUpsertion } from '../../protocol/generated/alter-user-scram-credentials-request.ts';
import type { AlterUserScramCredentialsResponseInput, AlterUserScramCredentialsResultInput } from '../../protocol/generated/alter-user-scram-credentials-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import type { MetadataRecord } from '../../metadata/cluster-metadata.ts';
import { MAX_SCRAM_ITERATIONS, MIN_SCRAM_ITERATIONS } from '../../security-config.ts';
import { ANONYMOUS_PRINCIPAL, AclOperation, CLUSTER_RESOURCE } from '../authorized-operations.ts';
import { SCRAM_MECHANISM_TYPES, credentialFromSaltedPassword } from '../sasl/scram.ts';

interface Problem { errorCode: number; errorMessage: string }

function nameAndMechanismProblem(name: string, mechanism: number): Problem | null {
  if (name === '') return { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Username must not be empty' };
  if (!SCRAM_MECHANISM_TYPES.has(mechanism)) return { errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, errorMessage: 'Unknown SCRAM mechanism' };
  return null;
}

const DUPLICATE: Problem = { errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: 'A user credential cannot be altered twice in the same request' };

export default defineHandler<AlterUserScramCredentialsRequest, AlterUserScramCredentialsResponseInput>({
  apiKey: ApiKey.AlterUserScramCredentials,
  name: 'AlterUserScramCredentials',
  minVersion: 0,
  maxVersion: 0,
  async handle(ctx, request) {
    const { metadata, authorizer } = ctx.services;
    if (authorizer && !authorizer.authorize(ctx.connection.principal ?? ANONYMOUS_PRINCIPAL, AclOperation.ALTER, CLUSTER_RESOURCE)) {
      const users = new Set([...request.deletions.map((d) => d.name), ...request.upsertions.map((u) => u.name)]);
      return { throttleTimeMs: 0, results: [...users].map((user) => ({ user, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null })) };
    }
    const deletions = new Map<string, ScramCredentialDeletion>();
    const upsertions = new Map<string, ScramCredentialUpsertion>();
    const problems = new Map<string, Problem>();
    for (const d of request.deletions) {
      if (problems.has(d.name)) continue;
      if (deletions.delete(d.name)) {
        problems.set(d.name, DUPLICATE);
        continue;
      }
      const problem = nameAndMechanismProblem(d.name, d.mechanism)
        ?? (metadata.scramCredentials(d.name)?.has(SCRAM_MECHANISM_TYPES.get(d.mechanism)!)
          ? null : { errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: 'Attempt to delete a user credential that does not exist' });
      if (problem) problems.set(d.name, problem);
      else deletions.set(d.name, d);
    }
    for (const u of request.upsertions) {
      if (problems.has(u.name)) continue;
      if (deletions.delete(u.name) || upsertions.delete(u.name)) {
        problems.set(u.name, DUPLICATE);
        continue;
      }
      let problem = nameAndMechanismProblem(u.name, u.mechanism);
      if (!problem && u.iterations < MIN_SCRAM_ITERATIONS) problem = { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Too few iterations' };
      if (!problem && u.iterations > MAX_SCRAM_ITERATIONS) problem = { errorCode: ErrorCode.UNACCEPTABLE_CREDENTIAL, errorMessage: 'Too many iterations' };
      if (problem) problems.set(u.name, problem);
      else upsertions.set(u.name, u);
    }
    const records: MetadataRecord[] = [];
    const results: AlterUserScramCredentialsResultInput[] = [];
    for (const d of deletions.values()) {
      records.push({ type: 'remove-scram-credential', name: d.name, mechanism: SCRAM_MECHANISM_TYPES.get(d.mechanism)! });
      results.push({ user: d.name, errorCode: ErrorCode.NONE, errorMessage: null });
    }
    for (const u of upsertions.values()) {
      const mechanism = SCRAM_MECHANISM_TYPES.get(u.mechanism)!;
      const credential = credentialFromSaltedPassword(mechanism, Buffer.from(u.salt), u.saltedPassword, u.iterations);
      records.push({
        type: 'scram-credential', name: u.name, mechanism, iterations: u.iterations,
        salt: credential.salt.toString('base64'), storedKey: credential.storedKey.toString('base64'), serverKey: credential.serverKey.toString('base64'),
      });
      results.push({ user: u.name, errorCode: ErrorCode.NONE, errorMessage: null });
    }
    for (const [user, p] of problems) results.push({ user, ...p });
    if (records.length > 0) await metadata.write(records);
    return { throttleTimeMs: 0, results };
  },
  errorResponse(_ctx, request, errorCode) {
    const users = new Set([...request.deletions.map((d) => d.name), ...request.upsertions.map((u) => u.name)]);
    return { throttleTimeMs: 0, results: [...users].map((user) => ({ user, errorCode, errorMessage: null })) };
  },
});
