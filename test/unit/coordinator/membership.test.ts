// Group membership on its own, under a fake clock, with the coordinator's checks left out: a
// member's way from MEMBER_ID_REQUIRED to Stable, OffsetCommit's member check, and when an empty
// group is forgotten (only without committed offsets).
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import pino from 'pino';
import { DEFAULT_GROUP_COORDINATOR_SETTINGS } from '../../../src/config.ts';
import { GroupMembership } from '../../../src/coordinator/membership.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { joinParams } from './fixtures.ts';

let withOffsets: Set<string>;
let membership: GroupMembership;

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
  withOffsets = new Set();
  membership = new GroupMembership({
    settings: { ...DEFAULT_GROUP_COORDINATOR_SETTINGS, groupMinSessionTimeoutMs: 100, groupInitialRebalanceDelayMs: 0 },
    log: pino({ level: 'silent' }),
    now: Date.now,
    hasOffsets: (groupId) => withOffsets.has(groupId),
  });
});

afterEach(() => {
  membership.clearTimers();
  vi.useRealTimers();
});

const params = joinParams;

/** One dynamic member, joined and synced: generation 1, Stable. */
async function stableOfOne(): Promise<string> {
  const first = await membership.join(params());
  expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  const joined = await membership.join(params({ memberId: first.memberId }));
  expect([joined.errorCode, joined.generationId, joined.leader, joined.protocolName]).toEqual([ErrorCode.NONE, 1, first.memberId, 'range']);
  expect(joined.members).toEqual([{ memberId: first.memberId, groupInstanceId: null, metadata: Buffer.from('m') }]);
  const synced = await membership.sync({ groupId: 'g', generationId: 1, memberId: first.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range', assignments: [{ memberId: first.memberId, assignment: Buffer.from('A') }] });
  expect([synced.errorCode, synced.assignment.toString()]).toEqual([ErrorCode.NONE, 'A']);
  return first.memberId;
}

test('a member joins, syncs and is described only once stable with its metadata and assignment', async () => {
  const id = await stableOfOne();
  expect(membership.describe('g')).toMatchObject({
    errorCode: ErrorCode.NONE, state: 'Stable', protocolType: 'consumer', protocolData: 'range', generationId: 1,
    members: [{ memberId: id, clientId: 'c', clientHost: '/127.0.0.1', memberMetadata: Buffer.from('m'), memberAssignment: Buffer.from('A') }],
  });
  expect(membership.list()).toEqual([{ groupId: 'g', state: 'Stable', protocolType: 'consumer', members: 1 }]);
  expect(membership.describe('none')).toMatchObject({ errorCode: ErrorCode.NONE, state: 'Dead', generationId: -1, members: [] });
  expect(membership.heartbeat({ groupId: 'g', generationId: 2, memberId: id, groupInstanceId: null })).toBe(ErrorCode.ILLEGAL_GENERATION);
  expect(membership.leave('g', [{ memberId: id, groupInstanceId: null }, { memberId: 'x', groupInstanceId: null }]).members.map((m) => m.errorCode))
    .toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID]);
  // The only member left: the rebalance completes at once with nobody, and the group is Empty.
  expect(membership.describe('g').state).toBe('Empty');
});

test("OffsetCommit's member check, in Kafka's order; an accepted commit counts as a heartbeat", async () => {
  const who = (generationId: number, memberId: string, apiVersion = 8) => ({ groupId: 'g', generationId, memberId, groupInstanceId: null, apiVersion });
  expect(membership.acceptCommit(who(-1, ''))).toBe(ErrorCode.NONE);
  expect(membership.acceptCommit(who(1, 'x'))).toBe(ErrorCode.ILLEGAL_GENERATION);
  expect(membership.acceptCommit(who(1, 'x', 9))).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  const id = await stableOfOne();
  expect(membership.acceptCommit(who(-1, ''))).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  expect(membership.acceptCommit(who(1, 'stranger'))).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  expect(membership.acceptCommit(who(0, id))).toBe(ErrorCode.ILLEGAL_GENERATION);
  // Commits every 600 ms keep the member past its 1 s session without a heartbeat.
  for (let i = 0; i < 3; i++) {
    await vi.advanceTimersByTimeAsync(600);
    expect(membership.acceptCommit(who(1, id))).toBe(ErrorCode.NONE);
  }
  expect(membership.describe('g').members.length).toBe(1);
  await vi.advanceTimersByTimeAsync(1100);
  expect(membership.describe('g').state).toBe('Empty');
});

test('an unused pending member id expires; the empty group is forgotten only if it has no committed offsets', async () => {
  withOffsets.add('kept');
  for (const groupId of ['kept', 'gone']) expect((await membership.join(params({ groupId }))).errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  expect(membership.list().map((g) => g.groupId)).toEqual(['kept', 'gone']);
  await vi.advanceTimersByTimeAsync(1100);
  expect(membership.list().map((g) => [g.groupId, g.state])).toEqual([['kept', 'Empty']]);
  // forget() drops an empty group, never one with members.
  const id = await stableOfOne();
  membership.forget(membership.group('g')!);
  expect(membership.group('g')?.members.has(id)).toBe(true);
  membership.forget(membership.group('kept')!);
  expect(membership.group('kept')).toBeUndefined();
});
