// The transactional APIs against fake services with a real transaction coordinator (in-memory
// transaction log, fake marker writer): Kafka's state machine and error codes per version, markers
// per partition, pending offsets, verify-only AddPartitionsToTxn and Produce's KIP-890 check.
import { afterEach, beforeEach, expect, test } from 'vitest';
import initProducerId from '../../../../src/acceptor/handlers/22-init-producer-id.ts';
import addPartitionsToTxn from '../../../../src/acceptor/handlers/24-add-partitions-to-txn.ts';
import addOffsetsToTxn from '../../../../src/acceptor/handlers/25-add-offsets-to-txn.ts';
import endTxn from '../../../../src/acceptor/handlers/26-end-txn.ts';
import txnOffsetCommit from '../../../../src/acceptor/handlers/28-txn-offset-commit.ts';
import describeTransactions from '../../../../src/acceptor/handlers/65-describe-transactions.ts';
import listTransactions from '../../../../src/acceptor/handlers/66-list-transactions.ts';
import produce from '../../../../src/acceptor/handlers/00-produce.ts';
import offsetFetch from '../../../../src/acceptor/handlers/09-offset-fetch.ts';
import type { OffsetFetchResponse } from '../../../../src/protocol/generated/offset-fetch-response.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import { buildRecordBatch } from '../../../../src/protocol/records.ts';
import type { InitProducerIdResponse } from '../../../../src/protocol/generated/init-producer-id-response.ts';
import type { AddPartitionsToTxnResponse } from '../../../../src/protocol/generated/add-partitions-to-txn-response.ts';
import type { EndTxnResponse } from '../../../../src/protocol/generated/end-txn-response.ts';
import type { DescribeTransactionsResponse } from '../../../../src/protocol/generated/describe-transactions-response.ts';
import type { ListTransactionsResponse } from '../../../../src/protocol/generated/list-transactions-response.ts';
import type { TxnOffsetCommitResponse } from '../../../../src/protocol/generated/txn-offset-commit-response.ts';
import type { ProduceResponse } from '../../../../src/protocol/generated/produce-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); s.addTopic('a', 3); s.addTopic('b', 1); });
afterEach(() => s.close());

const init = async (transactionalId: string, version = 4, timeoutMs = 60_000) =>
  (await call<InitProducerIdResponse>(initProducerId, s, version, { transactionalId, transactionTimeoutMs: timeoutMs, producerId: -1n, producerEpoch: -1 }))!;
const add = async (transactionalId: string, producerId: bigint, producerEpoch: number, topics: { name: string; partitions: number[] }[], version = 3) =>
  (await call<AddPartitionsToTxnResponse>(addPartitionsToTxn, s, version, { v3AndBelowTransactionalId: transactionalId, v3AndBelowProducerId: producerId, v3AndBelowProducerEpoch: producerEpoch, v3AndBelowTopics: topics }))!;
const end = async (transactionalId: string, producerId: bigint, producerEpoch: number, committed: boolean, version = 3) =>
  (await call<EndTxnResponse>(endTxn, s, version, { transactionalId, producerId, producerEpoch, committed }))!;
const describe = async (id: string) => (await call<DescribeTransactionsResponse>(describeTransactions, s, 0, { transactionalIds: [id] }))!.transactionStates[0]!;
const codes = (r: AddPartitionsToTxnResponse) => r.resultsByTopicV3AndBelow.flatMap((t) => t.resultsByPartition.map((p) => p.partitionErrorCode));

test('a transaction over 2 topics commits: Prepare durable before the answer, a marker per partition, then CompleteCommit', async () => {
  const { producerId, producerEpoch } = await init('t1');
  expect(codes(await add('t1', producerId, producerEpoch, [{ name: 'a', partitions: [0, 2] }, { name: 'b', partitions: [0] }]))).toEqual([0, 0, 0]);
  expect(await describe('t1')).toMatchObject({ errorCode: 0, transactionState: 'Ongoing', topics: [{ topic: 'a', partitions: [0, 2] }, { topic: 'b', partitions: [0] }] });
  expect(await end('t1', producerId, producerEpoch, true)).toMatchObject({ errorCode: 0 });
  await s.txns.settled();
  expect(s.txnLog.map((e) => e.record!.state)).toEqual(['Empty', 'Ongoing', 'PrepareCommit', 'CompleteCommit']);
  expect(s.markers.map((m) => [m.slot, m.marker.commit, m.marker.producerId, m.marker.producerEpoch])).toEqual([
    [s.fakePartition('a', 0).handle.slot, true, producerId, producerEpoch],
    [s.fakePartition('a', 2).handle.slot, true, producerId, producerEpoch],
    [s.fakePartition('b', 0).handle.slot, true, producerId, producerEpoch],
  ]);
  expect(await describe('t1')).toMatchObject({ transactionState: 'CompleteCommit', topics: [] });
  // A retried EndTxn of the same result is fine; the other result is INVALID_TXN_STATE.
  expect((await end('t1', producerId, producerEpoch, true)).errorCode).toBe(ErrorCode.NONE);
  expect((await end('t1', producerId, producerEpoch, false)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
});

test('Kafka\'s errors: unknown id, wrong producer, stale epoch (by version), EndTxn with nothing open, bad timeouts, unknown partitions', async () => {
  expect(codes(await add('nope', 1n, 0, [{ name: 'a', partitions: [0] }]))).toEqual([ErrorCode.INVALID_PRODUCER_ID_MAPPING]);
  const { producerId, producerEpoch } = await init('t2');
  expect(codes(await add('t2', producerId + 99n, producerEpoch, [{ name: 'a', partitions: [0] }]))).toEqual([ErrorCode.INVALID_PRODUCER_ID_MAPPING]);
  expect(codes(await add('t2', producerId, producerEpoch - 1, [{ name: 'a', partitions: [0] }]))).toEqual([ErrorCode.PRODUCER_FENCED]);
  expect(codes(await add('t2', producerId, producerEpoch - 1, [{ name: 'a', partitions: [0] }], 1))).toEqual([ErrorCode.INVALID_PRODUCER_EPOCH]);
  expect(codes(await add('t2', producerId, producerEpoch, [{ name: 'a', partitions: [0, 7] }, { name: 'zz', partitions: [0] }]))).toEqual([
    ErrorCode.OPERATION_NOT_ATTEMPTED, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION,
  ]);
  expect((await end('t2', producerId, producerEpoch, true)).errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
  expect((await init('t3', 4, 900_001)).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  expect((await init('t3', 4, 0)).errorCode).toBe(ErrorCode.INVALID_TRANSACTION_TIMEOUT);
  expect((await describe('t3')).errorCode).toBe(ErrorCode.TRANSACTIONAL_ID_NOT_FOUND);
});

test('a second InitProducerId fences an open transaction: abort markers at the bumped epoch, CONCURRENT_TRANSACTIONS, then the next epoch', async () => {
  const first = await init('f');
  await add('f', first.producerId, first.producerEpoch, [{ name: 'a', partitions: [1] }]);
  expect((await init('f')).errorCode).toBe(ErrorCode.CONCURRENT_TRANSACTIONS);
  await s.txns.settled();
  expect(s.markers.map((m) => [m.marker.commit, m.marker.producerEpoch])).toEqual([[false, first.producerEpoch + 1]]);
  const second = await init('f');
  expect(second).toMatchObject({ errorCode: 0, producerId: first.producerId, producerEpoch: first.producerEpoch + 2 });
  // The old producer is fenced: PRODUCER_FENCED at v2+, INVALID_PRODUCER_EPOCH before.
  expect((await end('f', first.producerId, first.producerEpoch, true)).errorCode).toBe(ErrorCode.PRODUCER_FENCED);
  expect((await end('f', first.producerId, first.producerEpoch, true, 1)).errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
  // KIP-360: the current producer may re-initialize with its id and epoch (v3+) and gets the next epoch; a stale one is fenced.
  const recovered = (await call<InitProducerIdResponse>(initProducerId, s, 4, { transactionalId: 'f', transactionTimeoutMs: 1000, producerId: second.producerId, producerEpoch: second.producerEpoch }))!;
  expect(recovered).toMatchObject({ errorCode: 0, producerEpoch: second.producerEpoch + 1 });
  const stale = (await call<InitProducerIdResponse>(initProducerId, s, 4, { transactionalId: 'f', transactionTimeoutMs: 1000, producerId: 12345n, producerEpoch: 0 }))!;
  expect(stale.errorCode).toBe(ErrorCode.PRODUCER_FENCED);
});

test('TxnOffsetCommit offsets are pending until commit, dropped on abort', async () => {
  const { producerId, producerEpoch } = await init('o');
  const commitOffsets = (offset: bigint) => call<TxnOffsetCommitResponse>(txnOffsetCommit, s, 2, {
    transactionalId: 'o', groupId: 'g', producerId, producerEpoch, generationId: -1, memberId: '', groupInstanceId: null, topics: [{ name: 'a', partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, committedMetadata: null }] }],
  });
  // Without AddOffsetsToTxn first the group is not in the transaction.
  expect((await commitOffsets(5n))!.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
  expect((await call<{ errorCode: number }>(addOffsetsToTxn, s, 1, { transactionalId: 'o', producerId, producerEpoch, groupId: 'g' }))!.errorCode).toBe(0);
  expect((await commitOffsets(5n))!.topics[0]!.partitions[0]!.errorCode).toBe(0);
  const fetched = () => s.groups.fetchOffsets('g', [{ name: 'a', partitionIndexes: [0] }]).topics[0]?.partitions[0]?.committedOffset;
  expect(fetched()).toBe(-1n);
  expect(s.txns.hasPendingOffsets('g', 'a', 0)).toBe(true);
  await end('o', producerId, producerEpoch, false);
  await s.txns.settled();
  expect(fetched()).toBe(-1n);
  await call(addOffsetsToTxn, s, 1, { transactionalId: 'o', producerId, producerEpoch, groupId: 'g' });
  await commitOffsets(9n);
  await end('o', producerId, producerEpoch, true);
  await s.txns.settled();
  expect(fetched()).toBe(9n);
  expect(s.txns.hasPendingOffsets('g', 'a', 0)).toBe(false);
});

test('verify-only AddPartitionsToTxn (v4+) and Produce refuse a transactional batch for a partition not in the transaction', async () => {
  const { producerId, producerEpoch } = await init('v');
  await add('v', producerId, producerEpoch, [{ name: 'a', partitions: [0] }]);
  const verify = (await call<AddPartitionsToTxnResponse>(addPartitionsToTxn, s, 5, {
    transactions: [{ transactionalId: 'v', producerId, producerEpoch, verifyOnly: true, topics: [{ name: 'a', partitions: [0, 1] }] }],
  }))!;
  expect(verify.resultsByTransaction[0]!.topicResults[0]!.resultsByPartition.map((p) => p.partitionErrorCode)).toEqual([ErrorCode.NONE, ErrorCode.TRANSACTION_ABORTABLE]);
  const batch = (epoch: number) => buildRecordBatch({ baseTimestamp: 0n, producerId, producerEpoch: epoch, baseSequence: 0, transactional: true, records: [{ key: null, value: Buffer.from('x'), headers: [] }] });
  const res = (await call<ProduceResponse>(produce, s, 9, {
    transactionalId: 'v', acks: -1, timeoutMs: 1000,
    topicData: [{ name: 'a', partitionData: [{ index: 0, records: batch(producerEpoch) }, { index: 1, records: batch(producerEpoch) }] }],
  }))!;
  expect(res.responses[0]!.partitionResponses.map((p) => p.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.INVALID_TXN_STATE]);
  const stale = (await call<ProduceResponse>(produce, s, 9, {
    transactionalId: 'v', acks: -1, timeoutMs: 1000, topicData: [{ name: 'a', partitionData: [{ index: 0, records: batch(producerEpoch - 1) }] }],
  }))!;
  expect(stale.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.INVALID_PRODUCER_EPOCH);
  expect(s.appends.length).toBe(1);
});

test('ListTransactions filters by state and producer id, and reports unknown state names', async () => {
  const a = await init('la');
  await init('lb');
  await add('la', a.producerId, a.producerEpoch, [{ name: 'b', partitions: [0] }]);
  const list = async (req: object, version = 1) => (await call<ListTransactionsResponse>(listTransactions, s, version, req))!;
  expect((await list({ stateFilters: [], producerIdFilters: [] })).transactionStates.map((t) => t.transactionalId).sort()).toEqual(['la', 'lb']);
  expect((await list({ stateFilters: ['Ongoing'], producerIdFilters: [] })).transactionStates.map((t) => [t.transactionalId, t.transactionState])).toEqual([['la', 'Ongoing']]);
  expect((await list({ stateFilters: [], producerIdFilters: [a.producerId] })).transactionStates.map((t) => t.transactionalId)).toEqual(['la']);
  expect(await list({ stateFilters: ['Bogus'], producerIdFilters: [] })).toMatchObject({ errorCode: 0, unknownStateFilters: ['Bogus'], transactionStates: [] });
});

test('OffsetFetch with require_stable answers UNSTABLE_OFFSET_COMMIT for a partition with offsets pending in a transaction', async () => {
  const { producerId, producerEpoch } = await init('st');
  await call(addOffsetsToTxn, s, 1, { transactionalId: 'st', producerId, producerEpoch, groupId: 'sg' });
  await call(txnOffsetCommit, s, 2, {
    transactionalId: 'st', groupId: 'sg', producerId, producerEpoch, generationId: -1, memberId: '', groupInstanceId: null,
    topics: [{ name: 'a', partitions: [{ partitionIndex: 1, committedOffset: 3n, committedLeaderEpoch: -1, committedMetadata: null }] }],
  });
  const fetch = async (requireStable: boolean) => (await call<OffsetFetchResponse>(offsetFetch, s, 7, { groupId: 'sg', topics: [{ name: 'a', partitionIndexes: [0, 1] }], requireStable }))!
    .topics[0]!.partitions.map((p) => [p.partitionIndex, p.errorCode, p.committedOffset]);
  expect(await fetch(true)).toEqual([[0, ErrorCode.NONE, -1n], [1, ErrorCode.UNSTABLE_OFFSET_COMMIT, -1n]]);
  expect(await fetch(false)).toEqual([[0, ErrorCode.NONE, -1n], [1, ErrorCode.NONE, -1n]]);
  await end('st', producerId, producerEpoch, true);
  await s.txns.settled();
  expect(await fetch(true)).toEqual([[0, ErrorCode.NONE, -1n], [1, ErrorCode.NONE, 3n]]);
});
