// DeleteRecords: handed to the owning shard; unknown partitions refused without a shard call.
import { afterEach, beforeEach, expect, test } from 'vitest';
import deleteRecords from '../../../../src/acceptor/handlers/21-delete-records.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { DeleteRecordsResponse } from '../../../../src/protocol/generated/delete-records-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); s.addTopic('t', 2); s.appendRecords('t', 0, 10); });
afterEach(() => s.close());

test('the owning shard moves the log start offset; past the HWM is OFFSET_OUT_OF_RANGE; unknown partitions are refused', async () => {
  const res = await call<DeleteRecordsResponse>(deleteRecords, s, 2, {
    topics: [{ name: 't', partitions: [{ partitionIndex: 0, offset: 4n }, { partitionIndex: 1, offset: 5n }, { partitionIndex: 9, offset: 1n }] }], timeoutMs: 1000,
  });
  expect(res!.topics[0]!.partitions.map((p) => [p.partitionIndex, p.errorCode, p.lowWatermark])).toEqual([
    [0, ErrorCode.NONE, 4n], [1, ErrorCode.OFFSET_OUT_OF_RANGE, -1n], [9, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, -1n],
  ]);
  const h0 = s.fakePartition('t', 0).handle;
  expect(s.deleteRecordsCalls.map((c) => [c.shard, c.slot, c.offset])).toEqual([[h0.shard, h0.slot, 4n], [s.fakePartition('t', 1).handle.shard, s.fakePartition('t', 1).handle.slot, 5n]]);
});
