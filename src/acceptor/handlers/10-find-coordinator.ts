// FindCoordinator (key 10), v0-6. This broker is the coordinator of every group and every
// transactional id (key_type 1). v0-3 ask for one key, v4+ for a batch of coordinator_keys, each
// answered on its own. While the transaction log loads, a transaction key is still answered with
// this broker (as Kafka, which finds the coordinator by partition leadership); the transactional APIs
// answer COORDINATOR_LOAD_IN_PROGRESS meanwhile. Other key types get INVALID_REQUEST.
// A found coordinator's message is "NONE" (v1-3, Errors.NONE.message()) or "" (v4+, per key), as
// Kafka sends them.
// Differences from Kafka: none on the wire; with one broker NOT_COORDINATOR never comes up.
import { advertisedEndpoint, defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { FindCoordinatorRequest } from '../../protocol/generated/find-coordinator-request.ts';
import type { FindCoordinatorResponseInput } from '../../protocol/generated/find-coordinator-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeGroup, authorizeTransactionalId } from '../acl/authorize.ts';

const KEY_TYPE_GROUP = 0;
const KEY_TYPE_TRANSACTION = 1;

export default defineHandler<FindCoordinatorRequest, FindCoordinatorResponseInput>({
  apiKey: ApiKey.FindCoordinator,
  name: 'FindCoordinator',
  minVersion: 0,
  maxVersion: 6,
  handle(ctx, request) {
    const { apiVersion, services } = ctx;
    const node = advertisedEndpoint(ctx);
    const answer = (key: string) => {
      let errorCode: number = ErrorCode.NONE;
      let errorMessage: string | null = apiVersion >= 4 ? '' : 'NONE';
      // DESCRIBE on the group or the transactional id (KafkaApis.getCoordinator), before anything else.
      if (request.keyType === KEY_TYPE_GROUP && !authorizeGroup(ctx, AclOperation.DESCRIBE, key)) {
        errorCode = ErrorCode.GROUP_AUTHORIZATION_FAILED;
        errorMessage = 'Group authorization failed.';
      } else if (request.keyType === KEY_TYPE_TRANSACTION && !authorizeTransactionalId(ctx, AclOperation.DESCRIBE, key)) {
        errorCode = ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
        errorMessage = 'Transactional Id authorization failed.';
      } else if (request.keyType === KEY_TYPE_TRANSACTION) {
        // This broker is the transaction coordinator of every transactional id.
      } else if (request.keyType !== KEY_TYPE_GROUP) {
        errorCode = ErrorCode.INVALID_REQUEST;
        errorMessage = `Unknown coordinator key type ${request.keyType}`;
      } else if (!services.coordinator.ownsGroup(key)) {
        errorCode = ErrorCode.NOT_COORDINATOR;
        errorMessage = 'This is not the correct coordinator.';
      }
      const found = errorCode === ErrorCode.NONE;
      return {
        key,
        nodeId: found ? node.nodeId : -1,
        host: found ? node.host : '',
        port: found ? node.port : -1,
        errorCode,
        errorMessage,
      };
    };
    if (apiVersion >= 4) return { throttleTimeMs: 0, coordinators: request.coordinatorKeys.map(answer) };
    const one = answer(request.key);
    return { throttleTimeMs: 0, errorCode: one.errorCode, errorMessage: one.errorMessage, nodeId: one.nodeId, host: one.host, port: one.port };
  },
  errorResponse(ctx, request, errorCode) {
    const notFound = { nodeId: -1, host: '', port: -1, errorCode, errorMessage: null };
    if (ctx.apiVersion >= 4) return { throttleTimeMs: 0, coordinators: request.coordinatorKeys.map((key) => ({ key, ...notFound })) };
    return { throttleTimeMs: 0, ...notFound };
  },
});
