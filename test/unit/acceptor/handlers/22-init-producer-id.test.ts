// InitProducerId: fresh ids from durable blocks, for every idempotent producer; transactional ids get epochs.
import { afterEach, beforeEach, expect, test } from 'vitest';
import initProducerId from '../../../../src/acceptor/handlers/22-init-producer-id.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { InitProducerIdResponse } from '../../../../src/protocol/generated/init-producer-id-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); });
afterEach(() => s.close());

const init = (producerId: bigint, producerEpoch: number, transactionalId: string | null = null) =>
  call<InitProducerIdResponse>(initProducerId, s, 4, { transactionalId, transactionTimeoutMs: 1000, producerId, producerEpoch });

test('new producers get distinct ids at epoch 0, from a block reserved in the metadata', async () => {
  const a = await init(-1n, -1);
  const b = await init(-1n, -1);
  expect([a!.errorCode, a!.producerEpoch, b!.producerEpoch]).toEqual([ErrorCode.NONE, 0, 0]);
  expect(b!.producerId).not.toBe(a!.producerId);
  expect(s.metadataWrites.flat().filter((r) => r.type === 'producer-id-block')).toHaveLength(1);
});

test('an idempotent producer that sends its id and epoch gets a new id at epoch 0, as Kafka\'s TransactionCoordinator answers', async () => {
  const a = await init(-1n, -1);
  const again = await init(a!.producerId, 3);
  expect(again).toMatchObject({ errorCode: ErrorCode.NONE, producerEpoch: 0 });
  expect(again!.producerId).not.toBe(a!.producerId);
});

test('an id without an epoch, or an epoch without an id, is INVALID_REQUEST', async () => {
  expect((await init(5n, -1))!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
  expect((await init(-1n, 2))!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
});

test('a transactional id keeps its producer id and gets the next epoch each time', async () => {
  const first = (await init(-1n, -1, 'tx'))!;
  expect(first).toMatchObject({ errorCode: ErrorCode.NONE, producerEpoch: 0 });
  const second = (await init(-1n, -1, 'tx'))!;
  expect(second).toMatchObject({ errorCode: ErrorCode.NONE, producerId: first.producerId, producerEpoch: 1 });
});
