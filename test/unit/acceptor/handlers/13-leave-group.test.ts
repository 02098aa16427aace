// LeaveGroup: one member at the top level (v0-2), a batch answered per member (v3+).
import { afterEach, beforeEach, expect, test } from 'vitest';
import leaveGroup from '../../../../src/acceptor/handlers/13-leave-group.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { LeaveGroupResponse } from '../../../../src/protocol/generated/leave-group-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';
import { joinedMember } from './group-fixture.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); });
afterEach(() => s.close());

test('v1: the member leaves and the group is empty; a stranger gets UNKNOWN_MEMBER_ID at the top level', async () => {
  const { memberId } = await joinedMember(s, 'g');
  expect((await call<LeaveGroupResponse>(leaveGroup, s, 1, { groupId: 'g', memberId }))!.errorCode).toBe(ErrorCode.NONE);
  expect(s.groups.describeGroup('g').state).toBe('Empty');
  expect((await call<LeaveGroupResponse>(leaveGroup, s, 1, { groupId: 'g', memberId: 'stranger' }))!.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
});

test('v3+: each member of the batch is answered', async () => {
  const { memberId } = await joinedMember(s, 'g');
  const res = await call<LeaveGroupResponse>(leaveGroup, s, 4, { groupId: 'g', members: [{ memberId, groupInstanceId: null }, { memberId: 'stranger', groupInstanceId: null }] });
  expect(res!.errorCode).toBe(ErrorCode.NONE);
  expect(res!.members.map((m) => [m.memberId, m.errorCode])).toEqual([[memberId, ErrorCode.NONE], ['stranger', ErrorCode.UNKNOWN_MEMBER_ID]]);
});
