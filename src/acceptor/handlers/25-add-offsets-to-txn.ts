// AddOffsetsToTxn (key 25), v0-4: adds a consumer group to the producer's ongoing transaction, so
// that its TxnOffsetCommit offsets commit or abort with it. WRITE on the transactional id, then READ
// on the group (KafkaApis.handleAddOffsetsToTxnRequest). PRODUCER_FENCED is INVALID_PRODUCER_EPOCH
// before v2. Differences from Kafka: the group's offsets partition is not listed among the
// transaction's partitions (DescribeTransactions): its offsets are materialized by the coordinator
// at commit, not by a marker in the offsets log.
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { AddOffsetsToTxnRequest } from '../../protocol/generated/add-offsets-to-txn-request.ts';
import type { AddOffsetsToTxnResponseInput } from '../../protocol/generated/add-offsets-to-txn-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeGroup, authorizeTransactionalId } from '../acl/authorize.ts';

export default defineHandler<AddOffsetsToTxnRequest, AddOffsetsToTxnResponseInput>({
  apiKey: ApiKey.AddOffsetsToTxn,
  name: 'AddOffsetsToTxn',
  minVersion: 0,
  maxVersion: 4,
  async handle(ctx, request) {
    if (!authorizeTransactionalId(ctx, AclOperation.WRITE, request.transactionalId)) return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED };
    if (!authorizeGroup(ctx, AclOperation.READ, request.groupId)) return { throttleTimeMs: 0, errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED };
    let errorCode = await ctx.services.transactions.addOffsets(request.transactionalId, request.producerId, request.producerEpoch, request.groupId);
    if (ctx.apiVersion < 2 && errorCode === ErrorCode.PRODUCER_FENCED) errorCode = ErrorCode.INVALID_PRODUCER_EPOCH;
    return { throttleTimeMs: 0, errorCode };
  },
  errorResponse(_ctx, _request, errorCode) {
    return { throttleTimeMs: 0, errorCode };
  },
});
