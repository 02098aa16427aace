// DescribeGroups: a stable group with its member; an unknown group described as Dead.
import { afterEach, beforeEach, expect, test } from 'vitest';
import describeGroups from '../../../../src/acceptor/handlers/15-describe-groups.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { DescribeGroupsResponse } from '../../../../src/protocol/generated/describe-groups-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';
import { joinedMember } from './group-fixture.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); });
afterEach(() => s.close());

test('each group is described; the unknown one is Dead with no error', async () => {
  const { memberId } = await joinedMember(s, 'g');
  const res = await call<DescribeGroupsResponse>(describeGroups, s, 5, { groups: ['g', 'nope'], includeAuthorizedOperations: false });
  const [g, nope] = res!.groups;
  expect(g).toMatchObject({ groupId: 'g', errorCode: ErrorCode.NONE, groupState: 'Stable', protocolType: 'consumer', protocolData: 'range' });
  expect(g!.members.map((m) => m.memberId)).toEqual([memberId]);
  expect(Buffer.from(g!.members[0]!.memberAssignment).toString()).toBe('assigned');
  expect(nope).toMatchObject({ groupId: 'nope', errorCode: ErrorCode.NONE, groupState: 'Dead', members: [] });
});

test('v3+ include_authorized_operations: every group operation Kafka defines, with no authorizer', async () => {
  await joinedMember(s, 'ops');
  const res = await call<DescribeGroupsResponse>(describeGroups, s, 5, { groups: ['ops'], includeAuthorizedOperations: true });
  // READ, DESCRIBE, DELETE, DESCRIBE_CONFIGS, ALTER_CONFIGS: bits 3, 6, 8, 10, 11.
  expect(res!.groups[0]!.authorizedOperations).toBe(3400);
  const off = await call<DescribeGroupsResponse>(describeGroups, s, 5, { groups: ['ops'], includeAuthorizedOperations: false });
  expect(off!.groups[0]!.authorizedOperations).toBe(-2147483648);
});
