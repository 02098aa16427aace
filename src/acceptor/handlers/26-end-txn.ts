// EndTxn (key 26), v0-5: commits or aborts the producer's transaction. Answered once
// PrepareCommit/PrepareAbort is durable; the markers and Complete* follow (as Kafka's
// TransactionCoordinator). TV1 only (no transaction.version feature is advertised): the epoch is
// not bumped, and v5's producer id and epoch fields carry the current ones. WRITE on the
// transactional id. PRODUCER_FENCED is INVALID_PRODUCER_EPOCH before v2 (KafkaApis).
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { EndTxnRequest } from '../../protocol/generated/end-txn-request.ts';
import type { EndTxnResponseInput } from '../../protocol/generated/end-txn-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeTransactionalId } from '../acl/authorize.ts';

export default defineHandler<EndTxnRequest, EndTxnResponseInput>({
  apiKey: ApiKey.EndTxn,
  name: 'EndTxn',
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, request) {
    if (!authorizeTransactionalId(ctx, AclOperation.WRITE, request.transactionalId)) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
    }
    const result = await ctx.services.transactions.endTxn(request.transactionalId, request.producerId, request.producerEpoch, request.committed);
    const errorCode = ctx.apiVersion < 2 && result.errorCode === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : result.errorCode;
    return { throttleTimeMs: 0, errorCode, producerId: result.producerId, producerEpoch: result.producerEpoch };
  },
  errorResponse(_ctx, _request, errorCode) {
    return { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 };
  },
});
