// OffsetFetch: committed offsets, -1 for none, and the error placement of each version range.
import { afterEach, beforeEach, expect, test } from 'vitest';
import offsetFetch from '../../../../src/acceptor/handlers/09-offset-fetch.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { OffsetFetchResponse } from '../../../../src/protocol/generated/offset-fetch-response.ts';
import { call, errorResponseOf, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
beforeEach(async () => {
  s = fakeServices();
  s.addTopic('t', 2);
  await s.groups.commitOffsets({ groupId: 'g', generationId: -1, memberId: '', groupInstanceId: null, apiVersion: 8, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: 0, committedMetadata: null }] }] });
});
afterEach(() => s.close());

test('v7 answers committed offsets and -1 where nothing was committed', async () => {
  const res = await call<OffsetFetchResponse>(offsetFetch, s, 7, { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 1] }], requireStable: false });
  expect(res!.errorCode).toBe(ErrorCode.NONE);
  expect(res!.topics[0]!.partitions.map((p) => [p.partitionIndex, p.committedOffset])).toEqual([[0, 5n], [1, -1n]]);
});

test('v8+ answers per group', async () => {
  const res = await call<OffsetFetchResponse>(offsetFetch, s, 8, { groups: [{ groupId: 'g', topics: null }, { groupId: 'other', topics: [{ name: 't', partitionIndexes: [0] }] }], requireStable: false });
  expect(res!.groups.map((g) => g.groupId)).toEqual(['g', 'other']);
  expect(res!.groups[0]!.topics[0]!.partitions[0]!.committedOffset).toBe(5n);
  expect(res!.groups[1]!.topics[0]!.partitions[0]!.committedOffset).toBe(-1n);
});

test('v0-1 carry a group-level error on every partition', () => {
  const res = errorResponseOf<OffsetFetchResponse>(offsetFetch, s, 1, { groupId: 'g', topics: [{ name: 't', partitionIndexes: [0, 1] }] });
  expect(res!.topics[0]!.partitions.map((p) => p.errorCode)).toEqual([ErrorCode.UNKNOWN_SERVER_ERROR, ErrorCode.UNKNOWN_SERVER_ERROR]);
});
