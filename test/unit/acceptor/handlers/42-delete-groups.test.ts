// DeleteGroups: empty groups go with their offsets; groups with members and unknown groups stay.
import { afterEach, beforeEach, expect, test } from 'vitest';
import deleteGroups from '../../../../src/acceptor/handlers/42-delete-groups.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { DeleteGroupsResponse } from '../../../../src/protocol/generated/delete-groups-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';
import { joinedMember } from './group-fixture.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); s.addTopic('t', 1); });
afterEach(() => s.close());

test('an empty group is deleted, a group with members is NON_EMPTY_GROUP, an unknown one GROUP_ID_NOT_FOUND', async () => {
  await s.groups.commitOffsets({ groupId: 'idle', generationId: -1, memberId: '', groupInstanceId: null, apiVersion: 8, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 1n, committedLeaderEpoch: 0, committedMetadata: null }] }] });
  await joinedMember(s, 'busy');
  const res = await call<DeleteGroupsResponse>(deleteGroups, s, 2, { groupsNames: ['idle', 'busy', 'nope'] });
  expect(res!.results.map((r) => [r.groupId, r.errorCode])).toEqual([['idle', ErrorCode.NONE], ['busy', ErrorCode.NON_EMPTY_GROUP], ['nope', ErrorCode.GROUP_ID_NOT_FOUND]]);
  expect(s.groups.committedOffsets('idle')).toEqual([]);
});
