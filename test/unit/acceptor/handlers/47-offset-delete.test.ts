// OffsetDelete: a group's committed offsets removed per partition; unknown groups refused.
import { afterEach, beforeEach, expect, test } from 'vitest';
import offsetDelete from '../../../../src/acceptor/handlers/47-offset-delete.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { OffsetDeleteResponse } from '../../../../src/protocol/generated/offset-delete-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); s.addTopic('t', 2); });
afterEach(() => s.close());

test('the offsets of an empty group are deleted; an unknown group is GROUP_ID_NOT_FOUND', async () => {
  await s.groups.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, apiVersion: 8, topics: [{ name: 't', partitions: [0, 1].map((partitionIndex) => ({ partitionIndex, committedOffset: 3n, committedLeaderEpoch: 0, committedMetadata: null })) }] });
  const res = await call<OffsetDeleteResponse>(offsetDelete, s, 0, { groupId: 'g', topics: [{ name: 't', partitions: [{ partitionIndex: 0 }] }] });
  expect(res!.errorCode).toBe(ErrorCode.NONE);
  expect(res!.topics[0]!.partitions).toEqual([{ partitionIndex: 0, errorCode: ErrorCode.NONE }]);
  expect(s.groups.committedOffsets('g').map((c) => c.partition)).toEqual([1]);
  expect((await call<OffsetDeleteResponse>(offsetDelete, s, 0, { groupId: 'nope', topics: [] }))!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
});
