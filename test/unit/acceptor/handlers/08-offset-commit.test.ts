// OffsetCommit: simple commits stored through the coordinator, unknown partitions, versions.
import { afterEach, beforeEach, expect, test } from 'vitest';
import offsetCommit from '../../../../src/acceptor/handlers/08-offset-commit.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { OffsetCommitResponse } from '../../../../src/protocol/generated/offset-commit-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); s.addTopic('t', 1); });
afterEach(() => s.close());

const commit = (version: number, generation: number, partitions: number[]) => call<OffsetCommitResponse>(offsetCommit, s, version, {
  groupId: 'g', generationIdOrMemberEpoch: generation, memberId: '', groupInstanceId: null,
  topics: [{ name: 't', partitions: partitions.map((partitionIndex) => ({ partitionIndex, committedOffset: 7n, committedLeaderEpoch: 0, committedMetadata: 'm' })) }],
});

test('a simple commit (generation -1) is stored; a partition that does not exist is refused', async () => {
  const res = await commit(8, -1, [0, 3]);
  expect(res!.topics[0]!.partitions.map((p) => [p.partitionIndex, p.errorCode])).toEqual([[0, ErrorCode.NONE], [3, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
  expect(s.groups.committedOffsets('g').map((c) => [c.topic, c.partition, c.offset])).toEqual([['t', 0, 7n]]);
});

test('a generation for a group with no members is ILLEGAL_GENERATION before v9 and GROUP_ID_NOT_FOUND from v9', async () => {
  expect((await commit(8, 3, [0]))!.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
  expect((await commit(9, 3, [0]))!.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
});

test('v0 has no generation: the commit is simple whatever the field holds', async () => {
  expect((await commit(0, 3, [0]))!.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
});
