// InitProducerId (key 22), v0-5, for idempotent producers. A new producer gets a fresh id (from
// blocks reserved durably in the metadata log, so ids are never reused across restarts) at epoch
// 0. From v3, a producer that sends its current id and epoch gets the epoch bumped (KIP-360); past
// the largest epoch it gets a new id. The shard that owns each partition keeps the producers'
// sequence state (src/shard-worker/producer-state.ts).
// Differences from Kafka: transactions are not served, so a transactional id is refused with
// TRANSACTIONAL_ID_AUTHORIZATION_FAILED (and the transactional APIs are not advertised).
import { defineHandler } from '../registry.ts';
import { ApiKey } from '../../protocol/generated/index.ts';
import type { InitProducerIdRequest } from '../../protocol/generated/init-producer-id-request.ts';
import type { InitProducerIdResponseInput } from '../../protocol/generated/init-producer-id-response.ts';
import { ErrorCode } from '../../protocol/errors.ts';

const MAX_EPOCH = 32_766;

export default defineHandler<InitProducerIdRequest, InitProducerIdResponseInput>({
  apiKey: ApiKey.InitProducerId,
  name: 'InitProducerId',
  minVersion: 0,
  maxVersion: 5,
  async handle(ctx, request) {
    const { metadata } = ctx.services;
    if (request.transactionalId !== null) {
      return { throttleTimeMs: 0, errorCode: ErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED, producerId: -1n, producerEpoch: -1 };
    }
    if (request.producerId >= 0n && request.producerEpoch >= 0) {
      if (request.producerId >= metadata.producerIdBlockEnd) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.INVALID_PRODUCER_ID_MAPPING, producerId: -1n, producerEpoch: -1 };
      }
      if (request.producerEpoch < MAX_EPOCH) {
        return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: request.producerId, producerEpoch: request.producerEpoch + 1 };
      }
    }
    return { throttleTimeMs: 0, errorCode: ErrorCode.NONE, producerId: await metadata.allocateProducerId(), producerEpoch: 0 };
  },
  errorResponse(_ctx, _request, errorCode) {
    return { throttleTimeMs: 0, errorCode, producerId: -1n, producerEpoch: -1 };
  },
});
