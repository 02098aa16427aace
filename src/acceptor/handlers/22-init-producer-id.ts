// InitProducerId (key 22), v0-5. Without a transactional id (idempotent producers) every request
// gets a fresh producer id at epoch 0 (from blocks reserved durably in the metadata log, so ids are
// never reused across restarts), also when it sends its current id and epoch (v3+): Kafka's
// TransactionCoordinator "blindly" hands an idempotent producer a new id. With a transactional id
// the transaction coordinator (src/coordinator/transaction-coordinator.ts) bumps the id's epoch,
// fencing an older producer, aborts its open transaction first (CONCURRENT_TRANSACTIONS: retry),
// and recovers a producer that sends its id and epoch (KIP-360, v3+). An id without an epoch, or an
// epoch without an id, is INVALID_REQUEST, as KafkaApis answers. PRODUCER_FENCED is sent as
// INVALID_PRODUCER_EPOCH before v4 (KafkaApis.handleInitProducerIdRequest).
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { InitProducerIdRequest } from '../../protocol/generated/init-producer-id-request.ts';
import type { InitProducerIdResponseInput } from '../../protocol/generated/init-producer-id-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeByResourceType, authorizeCluster, authorizeTransactionalId } from '../acl/authorize.ts';

const failed = (errorCode: number): InitProducerIdResponseInput => ({ throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 });

export default defineHandler<InitProducerIdRequest, InitProducerIdResponseInput>({
  apiKey: ApiKey.InitProducerId,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, request) {
    const { metadata, transactions } = ctx.services;
    const transactionalId = request.transactionalId;
    if (transactionalId !== null) {
      if (!authorizeTransactionalId(ctx, AclOperation.WRITE, transactionalId)) return failed(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    } else if (!authorizeCluster(ctx, AclOperation.IDEMPOTENT_WRITE) && !authorizeByResourceType(ctx, AclOperation.WRITE, 'topic')) {
      // IDEMPOTENT_WRITE on the cluster, or WRITE on some topic (KIP-679; KafkaApis.handleInitProducerIdRequest).
      return failed(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    }
    if ((request.producerId === -1n) !== (request.producerEpoch === -1)) return failed(ErrorCode.INVALID_REQUEST);
    if (transactionalId === null) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: await metadata.allocateProducerId(), producerEpoch: 0 };
    }
    const expected = request.producerId === -1n ? null : { producerId: request.producerId, producerEpoch: request.producerEpoch };
    const result = await transactions.initProducerId(transactionalId, request.transactionTimeoutMs, expected);
    const errorCode = ctx.apiVersion < 4 && result.errorCode === ErrorCode.PRODUCER_FENCED ? ErrorCode.INVALID_PRODUCER_EPOCH : result.errorCode;
    return { throttleTimeMs: 0, errorCode, producerId: result.producerId, producerEpoch: result.producerEpoch };
  },
  errorResponse(_ctx, _request, errorCode) {
    return failed(errorCode);
  },
});
