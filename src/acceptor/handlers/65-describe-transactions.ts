// DescribeTransactions (key 65), v0: the state of each transactional id asked for, as
// kafka-transactions.sh describe shows it. DESCRIBE on each id, else
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED for it; an unknown id TRANSACTIONAL_ID_NOT_FOUND. Topics the
// principal may not DESCRIBE are left out of the answer (KafkaApis.handleDescribeTransactionsRequest).
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { DescribeTransactionsRequest } from '../../protocol/generated/describe-transactions-request.ts';
import type { DescribeTransactionsResponseInput } from '../../protocol/generated/describe-transactions-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeTopic, authorizeTransactionalId } from '../acl/authorize.ts';

const blank = (transactionalId: string, errorCode: number) => ({
  errorCode, transactionalId, transactionState: '', transactionTimeoutMs: 0, transactionStartTimeMs: -1n, producerId: -1n, producerEpoch: -1, topics: [],
});

export default defineHandler<DescribeTransactionsRequest, DescribeTransactionsResponseInput>({
  apiKey: ApiKey.DescribeTransactions,
  name: 'DescribeTransactions',
  minVersion: 0,
  maxVersion: 0,
  handle(ctx, request) {
    return {
      throttleTimeMs: 0,
      transactionStates: request.transactionalIds.map((id) => {
        if (!authorizeTransactionalId(ctx, AclOperation.DESCRIBE, id)) return blank(id, ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
        const d = ctx.services.transactions.describe(id);
        return { ...d, topics: d.topics.filter((t) => authorizeTopic(ctx, AclOperation.DESCRIBE, t.topic)) };
      }),
    };
  },
  errorResponse(_ctx, request, errorCode) {
    return { throttleTimeMs: 0, transactionStates: request.transactionalIds.map((id) => blank(id, errorCode)) };
  },
});
