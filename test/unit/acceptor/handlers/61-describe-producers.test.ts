// DescribeProducers: each partition's active producers from its owning shard, no transaction fields.
import { afterEach, beforeEach, expect, test } from 'vitest';
import describeProducers from '../../../../src/acceptor/handlers/61-describe-producers.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { DescribeProducersResponse } from '../../../../src/protocol/generated/describe-producers-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); s.addTopic('t', 2); });
afterEach(() => s.close());

test('active producers per partition, coordinator epoch and transaction start -1; unknown partitions refused', async () => {
  const slot = s.fakePartition('t', 1).handle.slot;
  s.activeProducers.set(slot, [{ producerId: 42n, producerEpoch: 3, lastSequence: 9, lastTimestamp: 1_700_000_000_000n }]);
  const res = await call<DescribeProducersResponse>(describeProducers, s, 0, { topics: [{ name: 't', partitionIndexes: [0, 1, 5] }, { name: 'nope', partitionIndexes: [0] }] });
  const [t, nope] = res!.topics;
  expect(t!.partitions.map((p) => [p.partitionIndex, p.errorCode, p.activeProducers.length])).toEqual([
    [0, ErrorCode.NONE, 0], [1, ErrorCode.NONE, 1], [5, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, 0],
  ]);
  expect(t!.partitions[1]!.activeProducers[0]).toEqual({
    producerId: 42n, producerEpoch: 3, lastSequence: 9, lastTimestamp: 1_700_000_000_000n, coordinatorEpoch: -1, currentTxnStartOffset: -1n,
  });
  expect(nope!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
});
