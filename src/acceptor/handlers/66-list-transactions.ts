// ListTransactions (key 66), v0-1: the transactional ids this coordinator knows, filtered by state
// names, producer ids and (v1) a minimum running time, leaving out the ids the principal may not
// DESCRIBE. State filters that name no state come back in unknown_state_filters (as Kafka's
// TransactionStateManager.listTransactionStates).
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { ListTransactionsRequest } from '../../protocol/generated/list-transactions-request.ts';
import type { ListTransactionsResponseInput } from '../../protocol/generated/list-transactions-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeTransactionalId } from '../acl/authorize.ts';
import { TXN_STATE_NAMES } from '../../coordinator/transaction-log.ts';

export default defineHandler<ListTransactionsRequest, ListTransactionsResponseInput>({
  apiKey: ApiKey.ListTransactions,
  name: 'ListTransactions',
  minVersion: 0,
  maxVersion: 1,
  handle(ctx, request) {
    const { transactions } = ctx.services;
    if (transactions.loading) return { throttleTimeMs: 0, errorCode: ErrorCode.COORDINATOR_LOAD_IN_PROGRESS, unknownStateFilters: [], transactionStates: [] };
    const known = new Set<string>(TXN_STATE_NAMES);
    const unknownStateFilters = request.stateFilters.filter((s) => !known.has(s));
    const stateFilters = request.stateFilters.filter((s) => known.has(s));
    // Only unknown state names asked for: nothing matches (Kafka answers an empty list).
    const states = unknownStateFilters.length > 0 && stateFilters.length === 0 ? []
      : transactions.list(stateFilters, request.producerIdFilters, ctx.apiVersion >= 1 ? request.durationFilter : -1n);
    return {
      throttleTimeMs: 0,
      errorCode: ErrorCode.NONE,
      unknownStateFilters,
      transactionStates: states.filter((s) => authorizeTransactionalId(ctx, AclOperation.DESCRIBE, s.transactionalId)),
    };
  },
  errorResponse(_ctx, _request, errorCode) {
    return { throttleTimeMs: 0, errorCode, unknownStateFilters: [], transactionStates: [] };
  },
});
