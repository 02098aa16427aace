// The group coordinator's state machine under a fake clock, with an in-memory offsets store:
// rebalance and session timeouts, the initial rebalance delay, static members, commit checks,
// loading, expiry.
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import pino from 'pino';
import { GroupCoordinator, type GroupCoordinatorSettings, type JoinGroupParams } from '../../../src/coordinator/coordinator.ts';
import type { JoinResult } from '../../../src/coordinator/classic-group.ts';
import { decodeOffsetEntry, encodeOffsetEntry, type OffsetLogEntry } from '../../../src/coordinator/offsets-log.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { joinParams, MemoryStore } from './fixtures.ts';

let store: MemoryStore;
let coordinator: GroupCoordinator;

function make(settings: Partial<GroupCoordinatorSettings> = {}): GroupCoordinator {
  const c = new GroupCoordinator({
    store,
    partitionExists: (topic, partition) => topic === 't' && partition >= 0 && partition < 4,
    log: pino({ level: 'silent' }),
    settings: { groupMinSessionTimeoutMs: 100, groupInitialRebalanceDelayMs: 0, ...settings },
  });
  return c;
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
  store = new MemoryStore();
  coordinator = make();
  coordinator.markLoaded();
});

afterEach(async () => {
  await coordinator.close();
  vi.useRealTimers();
});

const params = joinParams;

/** The first JoinGroup of a v4+ dynamic member: MEMBER_ID_REQUIRED and the id to use. */
async function reserveMemberId(over: Partial<JoinGroupParams> = {}): Promise<string> {
  const first = await coordinator.joinGroup(params(over));
  expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  return first.memberId;
}

/** Two dynamic members that reserved their ids first, so the join waits for both. */
async function joinTwo(): Promise<[{ memberId: string; response: Promise<JoinResult> }, { memberId: string; response: Promise<JoinResult> }]> {
  const a = await reserveMemberId();
  const b = await reserveMemberId();
  return [
    { memberId: a, response: coordinator.joinGroup(params({ memberId: a })) },
    { memberId: b, response: coordinator.joinGroup(params({ memberId: b })) },
  ];
}

async function stableOfTwo() {
  const [a, b] = await joinTwo();
  const [ja, jb] = await Promise.all([a.response, b.response]);
  expect(ja.generationId).toBe(1);
  expect(jb.generationId).toBe(1);
  const leader = ja.leader === a.memberId ? a.memberId : b.memberId;
  const follower = leader === a.memberId ? b.memberId : a.memberId;
  const [sl, sf] = await Promise.all([
    coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: leader, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [{ memberId: leader, assignment: Buffer.from('L') }, { memberId: follower, assignment: Buffer.from('F') }] }),
    coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: follower, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] }),
  ]);
  expect([sl.assignment.toString(), sf.assignment.toString()]).toEqual(['L', 'F']);
  expect(coordinator.describeGroup('g').state).toBe('Stable');
  return { leader, follower };
}

const hb = (memberId: string, generationId: number) => coordinator.heartbeat({ groupId: 'g', generationId, memberId, groupInstanceId: null });

test('a silent member is evicted after its session timeout and the other is told to rejoin', async () => {
  const { leader, follower } = await stableOfTwo();
  await vi.advanceTimersByTimeAsync(500);
  expect(hb(leader, 1)).toBe(ErrorCode.NONE);
  await vi.advanceTimersByTimeAsync(600);
  // The follower has been silent for 1.1 s > its 1 s session.
  expect(hb(leader, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  expect(coordinator.describeGroup('g').members.map((m) => m.memberId)).toEqual([leader]);
  expect(coordinator.describeGroup('g').state).toBe('PreparingRebalance');
  expect(hb(follower, 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
});

test('members that do not rejoin within the rebalance timeout are removed', async () => {
  const { leader, follower } = await stableOfTwo();
  const rejoin = coordinator.joinGroup(params({ memberId: leader }));
  expect(coordinator.describeGroup('g').state).toBe('PreparingRebalance');
  // The follower keeps heartbeating but never rejoins.
  for (let i = 0; i < 4; i++) {
    await vi.advanceTimersByTimeAsync(400);
    expect(hb(follower, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  }
  await vi.advanceTimersByTimeAsync(400);
  const r = await rejoin;
  expect([r.errorCode, r.generationId, r.members.map((m) => m.memberId)]).toEqual([ErrorCode.NONE, 2, [leader]]);
  expect(hb(follower, 1)).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
});

test('the initial rebalance delay gathers members that join close together into one generation', async () => {
  await coordinator.close();
  coordinator = make({ groupInitialRebalanceDelayMs: 300 });
  coordinator.markLoaded();
  const a = { response: coordinator.joinGroup(params({ memberId: await reserveMemberId() })) };
  await vi.advanceTimersByTimeAsync(200);
  const b = { response: coordinator.joinGroup(params({ memberId: await reserveMemberId() })) };
  let done = false;
  void Promise.all([a.response, b.response]).then(() => { done = true; });
  await vi.advanceTimersByTimeAsync(250);
  expect(done).toBe(false); // extended by b's arrival
  await vi.advanceTimersByTimeAsync(400);
  const [ja, jb] = await Promise.all([a.response, b.response]);
  expect([ja.generationId, jb.generationId]).toEqual([1, 1]);
  expect(ja.members.length + jb.members.length).toBe(2);
});

test('a pending member id that is never used expires', async () => {
  const first = await coordinator.joinGroup(params());
  expect(first.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  await vi.advanceTimersByTimeAsync(1500);
  const late = await coordinator.joinGroup(params({ memberId: first.memberId }));
  expect(late.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
});

test('leaving during CompletingRebalance voids the generation: waiting syncs get REBALANCE_IN_PROGRESS', async () => {
  const [a, b] = await joinTwo();
  const [ja] = await Promise.all([a.response, b.response]);
  const follower = ja.leader === a.memberId ? b.memberId : a.memberId;
  const leader = ja.leader;
  const waiting = coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: follower, groupInstanceId: null, protocolType: null, protocolName: null, assignments: [] });
  expect((await coordinator.leaveGroup('g', [{ memberId: leader, groupInstanceId: null }])).members[0]!.errorCode).toBe(ErrorCode.NONE);
  expect((await waiting).errorCode).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
});

test('static member: rejoin while stable keeps generation and assignment; the old id is fenced; changed metadata rebalances', async () => {
  // a joins alone (generation 1); b's arrival rebalances; a rejoins: generation 2 with both.
  const ja = await coordinator.joinGroup(params({ groupInstanceId: 'a' }));
  expect([ja.errorCode, ja.generationId, ja.leader]).toEqual([ErrorCode.NONE, 1, ja.memberId]);
  const pb = coordinator.joinGroup(params({ groupInstanceId: 'b' }));
  const ja2 = await coordinator.joinGroup(params({ groupInstanceId: 'a', memberId: ja.memberId }));
  const jb = await pb;
  const generation = 2;
  expect([ja2.generationId, jb.generationId, ja2.members.length, jb.members.length]).toEqual([2, 2, 2, 0]);
  const leaderId = ja.memberId;
  const other = jb.memberId;
  const sync = (memberId: string, inst: string, assignments: { memberId: string; assignment: Buffer }[] = []) => coordinator.syncGroup({ groupId: 'g', generationId: generation, memberId, groupInstanceId: inst, protocolType: 'consumer', protocolName: 'range', assignments });
  const assignments = [{ memberId: leaderId, assignment: Buffer.from('for-a') }, { memberId: other, assignment: Buffer.from('for-b') }];
  const [s1, s2] = await Promise.all([sync(leaderId, 'a', assignments), sync(other, 'b', assignments)]);
  expect([s1.errorCode, s2.errorCode]).toEqual([0, 0]);

  const rejoined = await coordinator.joinGroup(params({ groupInstanceId: 'b' }));
  expect(rejoined.errorCode).toBe(ErrorCode.NONE);
  expect(rejoined.generationId).toBe(generation);
  expect(rejoined.memberId).not.toBe(other);
  expect(coordinator.describeGroup('g').state).toBe('Stable');
  const back = await sync(rejoined.memberId, 'b');
  expect(back.assignment.toString()).toBe(s2.assignment.toString());
  expect(coordinator.heartbeat({ groupId: 'g', generationId: generation, memberId: other, groupInstanceId: 'b' })).toBe(ErrorCode.FENCED_INSTANCE_ID);

  // New metadata from a static member does rebalance.
  void coordinator.joinGroup(params({ groupInstanceId: 'b', protocols: [{ name: 'range', metadata: Buffer.from('changed') }] }));
  expect(coordinator.describeGroup('g').state).toBe('PreparingRebalance');
});

test('offset commit checks follow Kafka: generation, member, rebalance, unknown partitions, metadata size', async () => {
  const commit = (generationId: number, memberId: string, partition = 0, metadata: string | null = null, apiVersion = 8) => coordinator.commitOffsets({
    groupId: 'g', generationId, memberId, groupInstanceId: null, apiVersion,
    topics: [{ name: 't', partitions: [{ partitionIndex: partition, committedOffset: 42n, committedLeaderEpoch: 3, committedMetadata: metadata }] }],
  }).then((r) => r[0]!.partitions[0]!.errorCode);
  expect(await commit(1, 'x')).toBe(ErrorCode.ILLEGAL_GENERATION); // no such group, v8
  expect(await commit(1, 'x', 0, null, 9)).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
  expect(await commit(-1, '')).toBe(ErrorCode.NONE); // simple commit creates an empty group
  const { leader } = await stableOfTwo();
  expect(await commit(-1, '')).toBe(ErrorCode.UNKNOWN_MEMBER_ID); // simple commit while members are there
  expect(await commit(0, leader)).toBe(ErrorCode.ILLEGAL_GENERATION);
  expect(await commit(1, 'stranger')).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  expect(await commit(1, leader, 9)).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  expect(await commit(1, leader, 1, 'x'.repeat(5000))).toBe(ErrorCode.OFFSET_METADATA_TOO_LARGE);
  expect(await commit(1, leader, 1, 'meta')).toBe(ErrorCode.NONE);
  // The follower does not rejoin: its session (1 s) ends, and the join completes without it.
  void coordinator.joinGroup(params({ memberId: leader }));
  await vi.advanceTimersByTimeAsync(1100);
  expect(coordinator.describeGroup('g').state).toBe('CompletingRebalance');
  expect(await commit(2, leader, 1)).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  const fetched = coordinator.fetchOffsets('g', [{ name: 't', partitionIndexes: [1, 2] }]);
  expect(fetched.topics[0]!.partitions).toEqual([
    { partitionIndex: 1, committedOffset: 42n, committedLeaderEpoch: 3, metadata: 'meta', errorCode: 0 },
    { partitionIndex: 2, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: 0 },
  ]);
});

test('a commit that cannot be written is not acknowledged and not visible', async () => {
  store.fail = true;
  const r = await coordinator.commitOffsets({ groupId: 's', generationId: -1, memberId: '', groupInstanceId: null, apiVersion: 8, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
  expect(r[0]!.partitions[0]!.errorCode).toBe(ErrorCode.COORDINATOR_NOT_AVAILABLE);
  expect(coordinator.committedOffsets('s')).toEqual([]);
});

test('while loading every group request gets COORDINATOR_LOAD_IN_PROGRESS; replayed entries fold last-wins', async () => {
  const loading = make();
  expect((await loading.joinGroup(params())).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  expect(loading.fetchOffsets('g', null).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  expect(loading.describeGroup('g').errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  const log: OffsetLogEntry[] = [
    { group: 'a', topic: 't', partition: 0, value: { offset: 1n, leaderEpoch: -1, metadata: null, commitTimestamp: 1n } },
    { group: 'a', topic: 't', partition: 0, value: { offset: 9n, leaderEpoch: 2, metadata: 'x', commitTimestamp: 2n } },
    { group: 'b', topic: 't', partition: 1, value: { offset: 3n, leaderEpoch: -1, metadata: null, commitTimestamp: 1n } },
    { group: 'b', topic: 't', partition: 1, value: null },
  ];
  // Through the record codec, as the offsets log stores them.
  const encoded = log.map(encodeOffsetEntry);
  await loading.load(async (apply) => { for (const r of encoded) apply(decodeOffsetEntry(r.key, r.value)!); });
  expect(loading.fetchOffsets('a', null).topics).toEqual([{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 9n, committedLeaderEpoch: 2, metadata: 'x', errorCode: 0 }] }]);
  expect(loading.committedOffsets('b')).toEqual([]);
  expect(loading.listGroups().map((g) => [g.groupId, g.state])).toEqual([['a', 'Empty']]);
  await loading.close();
});

test('offsets of an empty group expire after the retention, with tombstones', async () => {
  await coordinator.close();
  coordinator = make({ offsetsRetentionMs: 60_000, offsetsRetentionCheckIntervalMs: 10_000 });
  await coordinator.load(async () => undefined);
  await coordinator.commitOffsets({ groupId: 'old', generationId: -1, memberId: '', groupInstanceId: null, apiVersion: 8, topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null }] }] });
  await vi.advanceTimersByTimeAsync(30_000);
  expect(coordinator.committedOffsets('old').length).toBe(1);
  await vi.advanceTimersByTimeAsync(40_000);
  expect(coordinator.committedOffsets('old')).toEqual([]);
  expect(store.entries.at(-1)).toEqual({ group: 'old', topic: 't', partition: 0, value: null });
  expect(coordinator.describeGroup('old').state).toBe('Dead');
});

test('JoinGroup protocol checks: another protocol type, no common protocol, bad session timeout', async () => {
  const { leader } = await stableOfTwo();
  expect((await coordinator.joinGroup(params({ protocolType: 'connect' }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  expect((await coordinator.joinGroup(params({ protocols: [{ name: 'sticky', metadata: Buffer.alloc(0) }] }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  expect((await coordinator.joinGroup(params({ sessionTimeoutMs: 10 }))).errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
  expect((await coordinator.joinGroup(params({ groupId: '' }))).errorCode).toBe(ErrorCode.INVALID_GROUP_ID);
  expect(hb(leader, 1)).toBe(ErrorCode.NONE);
});
