// InitProducerId (key 22), v0-5, for idempotent producers. Every request without a transactional
// id gets a fresh producer id at epoch 0 (from blocks reserved durably in the metadata log, so ids
// are never reused across restarts), also when it sends its current id and epoch (v3+): Kafka's
// TransactionCoordinator bumps epochs only for transactional ids (KIP-360) and "blindly" hands an
// idempotent producer a new id. A new id has no state in any shard, so its first batch starts at
// sequence 0 (src/shard-worker/producer-state.ts). An id without an epoch, or an epoch without an
// id, is INVALID_REQUEST, as KafkaApis answers.
// Differences from Kafka: transactions are not served, so a transactional id is refused with
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED (and the transactional APIs are not advertised).
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { InitProducerIdRequest } from '../../protocol/generated/init-producer-id-request.ts';
import type { InitProducerIdResponseInput } from '../../protocol/generated/init-producer-id-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';
import { AclOperation } from '../authorized-operations.ts';
import { authorizeByResourceType, authorizeCluster } from '../acl/authorize.ts';

const failed = (errorCode: number): InitProducerIdResponseInput => ({ throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 });

export default defineHandler<InitProducerIdRequest, InitProducerIdResponseInput>({
  apiKey: ApiKey.InitProducerId,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, request) {
    const { metadata } = ctx.services;
    if (request.transactionalId !== null) return failed(ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED);
    // IDEMPOTENT_WRITE on the cluster, or WRITE on some topic (KIP-679; KafkaApis.handleInitProducerIdRequest).
    if (!authorizeCluster(ctx, AclOperation.IDEMPOTENT_WRITE) && !authorizeByResourceType(ctx, AclOperation.WRITE, 'topic')) {
      return failed(ErrorCode.CLUSTER_AUTHORIZATION_FAILED);
    }
    if ((request.producerId === -1n) !== (request.producerEpoch === -1)) return failed(ErrorCode.INVALID_REQUEST);
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: await metadata.allocateProducerId(), producerEpoch: 0 };
  },
  errorResponse(_ctx, _request, errorCode) {
    return failed(errorCode);
  },
});
