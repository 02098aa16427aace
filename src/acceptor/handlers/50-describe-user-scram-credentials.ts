// DescribeUserScramCredentials (key 50), v0 (KIP-554). Names each user's SCRAM mechanisms and
// iterations from the metadata log, never salts or keys. A null or empty user list means every
// user with a credential; a user named twice is DUPLICATE_RESOURCE, an unknown one
// RESOURCE_NOT_FOUND, with the messages of Kafka's ScramImage.describe. Needs DESCRIBE on the
// cluster when an authorizer is configured (CLUSTER_AUTHORIZATION_FAILED at the top level).
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { DescribeUserScramCredentialsRequest } from '../../protocol/generated/describe-user-scram-credentials-request.ts';
import type { DescribeUserScramCredentialsResponseInput, DescribeUserScramCredentialsResultInput } from '../../protocol/generated/describe-user-scram-credentials-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { ANONYMOUS_PRINCIPAL, AclOperation, CLUSTER_RESOURCE } from '../authorized-operations.ts';
import { scramMechanismType } from '../sasl/scram.ts';

export default defineHandler<DescribeUserScramCredentialsRequest, DescribeUserScramCredentialsResponseInput>({
  apiKey: ApiKey.DescribeUserScramCredentials,
  name: 'DescribeUserScramCredentials',
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, request) {
    const { metadata, authorizer } = ctx.services;
    if (authorizer && !authorizer.authorize(ctx.connection.principal ?? ANONYMOUS_PRINCIPAL, AclOperation.DESCRIBE, CLUSTER_RESOURCE)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.CLUSTER_AUTHORIZATION_FAILED, errorMessage: null, results: [] };
    }
    // user -> named more than once
    const users = new Map<string, boolean>();
    if (!request.users || request.users.length === 0) {
      for (const name of metadata.scramUsers()) users.set(name, false);
    } else {
      for (const { name } of request.users) users.set(name, users.has(name));
    }
    const results: DescribeUserScramCredentialsResultInput[] = [];
    for (const [user, duplicate] of users) {
      if (duplicate) {
        results.push({ user, errorCode: ErrorCode.DUPLICATE_RESOURCE, errorMessage: `Cannot describe SCRAM credentials for the same user twice in a single request: ${user}`, credentialInfos: [] });
        continue;
      }
      const credentials = metadata.scramCredentials(user);
      if (!credentials || credentials.size === 0) {
        results.push({ user, errorCode: ErrorCode.RESOURCE_NOT_FOUND, errorMessage: `Attempt to describe a user credential that does not exist: ${user}`, credentialInfos: [] });
        continue;
      }
      results.push({
        user,
        errorCode: ErrorCode.NONE,
        errorMessage: null,
        credentialInfos: [...credentials].map(([mechanism, c]) => ({ mechanism: scramMechanismType(mechanism), iterations: c.iterations })),
      });
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, errorMessage: null, results };
  },
  errorResponse(_ctx, _request, errorCode) {
    return { throttleTimeMs: 0, errorCode, errorMessage: null, results: [] };
  },
});
