// The consumer group protocol (KIP-848) in the coordinator, under a fake clock and an in-memory log:
// join, reconciliation (revoke first, then assign), epochs, errors as Kafka sends them, static
// members, session expiry, regex subscriptions, offsets checks, and replay after a restart.
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import pino from 'pino';
import { GroupCoordinator, type ConsumerGroupHeartbeatParams, type ConsumerGroupHeartbeatResult, type GroupCoordinatorSettings } from '../../../src/coordinator/coordinator.ts';
import type { CoordinatorLogEntry, OffsetsStore } from '../../../src/coordinator/offsets-log.ts';
import { decodeConsumerGroupEntry, encodeConsumerGroupEntry, isConsumerGroupEntry } from '../../../src/coordinator/consumer-group-log.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { joinParams } from './fixtures.ts';

class LogStore implements OffsetsStore {
  readonly entries: CoordinatorLogEntry[] = [];
  async append(entries: readonly CoordinatorLogEntry[]): Promise<void> {
    // Through the record codec, as the real log stores them.
    for (const e of entries) {
      if (isConsumerGroupEntry(e)) {
        const r = encodeConsumerGroupEntry(e);
        this.entries.push(decodeConsumerGroupEntry(r.key, r.value)!);
      } else this.entries.push(e);
    }
  }
}

const T1 = '00000000-0000-0000-0000-000000000001';
const T2 = '00000000-0000-0000-0000-000000000002';
const topics = [
  { name: 'orders', topicId: T1, partitions: 4, internal: false },
  { name: 'orders-eu', topicId: T2, partitions: 2, internal: false },
  { name: '__consumer_offsets', topicId: '00000000-0000-0000-0000-000000000009', partitions: 1, internal: true },
];

let store: LogStore;
let coordinator: GroupCoordinator;

function make(settings: Partial<GroupCoordinatorSettings> = {}): GroupCoordinator {
  return new GroupCoordinator({
    store, partitionExists: () => true, log: pino({ level: 'silent' }), topics: () => topics,
    settings: { groupConsumerSessionTimeoutMs: 1000, groupConsumerHeartbeatIntervalMs: 100, groupInitialRebalanceDelayMs: 0, groupMinSessionTimeoutMs: 100, groupConsumerAssignmentIntervalMs: 0, ...settings },
  });
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
  store = new LogStore();
  coordinator = make();
  coordinator.markLoaded();
});

afterEach(async () => {
  await coordinator.close();
  vi.useRealTimers();
});

function hb(over: Partial<ConsumerGroupHeartbeatParams>): Promise<ConsumerGroupHeartbeatResult> {
  return coordinator.consumerGroupHeartbeat({
    groupId: 'g', memberId: '', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 5000,
    subscribedTopicNames: ['orders'], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [],
    clientId: 'c', clientHost: '/127.0.0.1', apiVersion: 1, ...over,
  });
}

/** A regular heartbeat: epoch and the partitions the member owns now, nothing else changed. */
function beat(memberId: string, memberEpoch: number, owned: { topicId: string; partitions: number[] }[] | null): Promise<ConsumerGroupHeartbeatResult> {
  return hb({ memberId, memberEpoch, rebalanceTimeoutMs: -1, subscribedTopicNames: null, topicPartitions: owned });
}

const parts = (r: ConsumerGroupHeartbeatResult) => (r.assignment?.topicPartitions ?? []).flatMap((tp) => tp.partitions.map((p) => `${tp.topicId === T1 ? 'orders' : 'eu'}:${p}`)).sort();

/** No partition is in two members' current assignments. */
function expectNoDoubleOwnership(): void {
  const d = coordinator.consumerGroupDescribe('g');
  const seen = new Set<string>();
  for (const m of d.members) {
    for (const tp of m.assignment.topicPartitions) {
      for (const p of tp.partitions) {
        const key = `${tp.topicId}:${p}`;
        expect(seen.has(key), `${key} owned twice`).toBe(false);
        seen.add(key);
      }
    }
  }
}

test('the first member gets every partition at epoch 2 (a new group starts at 1, as in Kafka 4.4); v0 makes the member id', async () => {
  const r = await hb({ memberId: '', apiVersion: 0 });
  expect(r.errorCode).toBe(ErrorCode.NONE);
  expect(r.memberId).toMatch(/^[A-Za-z0-9_-]{22}$/);
  expect(r.memberEpoch).toBe(2);
  expect(r.heartbeatIntervalMs).toBe(100);
  expect(parts(r)).toEqual(['orders:0', 'orders:1', 'orders:2', 'orders:3']);
  const d = coordinator.consumerGroupDescribe('g');
  expect(d).toMatchObject({ errorCode: 0, groupState: 'Stable', groupEpoch: 2, assignmentEpoch: 2, assignorName: 'uniform' });
  expect(coordinator.listGroups()).toEqual([{ groupId: 'g', state: 'Stable', protocolType: 'consumer', groupType: 'consumer', members: 1 }]);
});

test('a second member gets its partitions only after the first has revoked them', async () => {
  const a = await hb({ memberId: 'a' });
  expect(a.memberEpoch).toBe(2);
  const b = await hb({ memberId: 'b' });
  // The target gives b two partitions, but a still owns them: b waits at epoch 2 with nothing.
  expect(b.memberEpoch).toBe(3);
  expect(parts(b)).toEqual([]);
  expect(coordinator.consumerGroupDescribe('g').groupState).toBe('Reconciling');
  expectNoDoubleOwnership();

  // a is told to keep two (its epoch stays 1 until it has revoked the others).
  const a2 = await beat('a', 2, [{ topicId: T1, partitions: [0, 1, 2, 3] }]);
  expect(a2.memberEpoch).toBe(2);
  expect(parts(a2)).toHaveLength(2);
  const kept = a2.assignment!.topicPartitions[0]!.partitions;
  // b still gets nothing: a has not reported the revocation.
  expect(parts(await beat('b', 3, []))).toEqual([]);
  expectNoDoubleOwnership();

  // a reports it gave them up: it moves to epoch 2; then b gets the freed two.
  const a3 = await beat('a', 2, [{ topicId: T1, partitions: kept }]);
  expect(a3.memberEpoch).toBe(3);
  const b3 = await beat('b', 3, []);
  expect(parts(b3)).toHaveLength(2);
  expect(b3.assignment!.topicPartitions[0]!.partitions.some((p) => kept.includes(p))).toBe(false);
  expectNoDoubleOwnership();
  expect(coordinator.consumerGroupDescribe('g').groupState).toBe('Stable');
});

test('a member subscribed to no topic yet joins (epoch 1, empty assignment), as in Kafka 4.4', async () => {
  expect(await hb({ memberId: 'a', subscribedTopicNames: [] })).toMatchObject({ errorCode: 0, memberEpoch: 1, assignment: { topicPartitions: [] } });
});

test('request checks answer INVALID_REQUEST with Kafka\'s messages', async () => {
  expect(await hb({ groupId: '', memberId: 'a' })).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'GroupId can\'t be empty.' });
  expect(await hb({ memberId: '' })).toMatchObject({ errorCode: ErrorCode.INVALID_REQUEST, errorMessage: 'MemberId can\'t be empty.' });
  expect(await hb({ memberId: 'a', rebalanceTimeoutMs: -1 })).toMatchObject({ errorMessage: 'RebalanceTimeoutMs must be provided in first request.' });
  expect(await hb({ memberId: 'a', topicPartitions: [{ topicId: T1, partitions: [0] }] })).toMatchObject({ errorMessage: 'TopicPartitions must be empty when (re-)joining.' });
  expect(await hb({ memberId: 'a', subscribedTopicNames: null })).toMatchObject({ errorMessage: 'Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.' });
  expect(await hb({ memberId: 'a', memberEpoch: -3 })).toMatchObject({ errorMessage: 'MemberEpoch is invalid.' });
  expect(await hb({ memberId: 'a', memberEpoch: -2 })).toMatchObject({ errorMessage: 'InstanceId can\'t be null.' });
  expect(await hb({ memberId: 'a', instanceId: '' })).toMatchObject({ errorMessage: 'InstanceId can\'t be empty.' });
  expect(await hb({ memberId: 'a', rackId: '' })).toMatchObject({ errorMessage: 'RackId can\'t be empty.' });
  expect((await hb({ memberId: 'a', serverAssignor: 'sticky' })).errorCode).toBe(ErrorCode.UNSUPPORTED_ASSIGNOR);
  expect(coordinator.listGroups()).toEqual([]);
});

test('epochs: a greater or unknown epoch is fenced, the previous one is accepted with a subset of the assignment', async () => {
  await hb({ memberId: 'a' });
  expect((await beat('a', 5, [])).errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
  expect((await beat('nobody', 1, [])).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  expect((await beat('a', 2, [{ topicId: T1, partitions: [0, 1, 2, 3] }])).errorCode).toBe(ErrorCode.NONE);
  await hb({ memberId: 'b' });
  const a = await beat('a', 2, [{ topicId: T1, partitions: [0, 1, 2, 3] }]);
  const keep = a.assignment!.topicPartitions[0]!.partitions;
  expect((await beat('a', 2, [{ topicId: T1, partitions: keep }])).memberEpoch).toBe(3);
  // The epoch-2 answer was "lost": epoch 1 again, owning a subset, is accepted.
  expect((await beat('a', 2, [{ topicId: T1, partitions: keep }])).errorCode).toBe(ErrorCode.NONE);
  expect((await beat('a', 2, [{ topicId: T1, partitions: [0, 1, 2, 3] }])).errorCode).toBe(ErrorCode.FENCED_MEMBER_EPOCH);
  expect((await hb({ groupId: 'nope', memberId: 'a', memberEpoch: 3, topicPartitions: null })).errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);
});

test('a member that stops heartbeating is fenced after the session timeout and its partitions move', async () => {
  await hb({ memberId: 'a' });
  const b = await hb({ memberId: 'b' });
  let a = await beat('a', 2, [{ topicId: T1, partitions: [0, 1, 2, 3] }]);
  a = await beat('a', 2, a.assignment!.topicPartitions);
  await beat('b', b.memberEpoch, []);
  // Only b keeps heartbeating.
  for (let i = 0; i < 12; i++) {
    await vi.advanceTimersByTimeAsync(100);
    await beat('b', coordinator.consumerGroupDescribe('g').members.find((m) => m.memberId === 'b')!.memberEpoch, null);
  }
  const d = coordinator.consumerGroupDescribe('g');
  expect(d.members.map((m) => m.memberId)).toEqual(['b']);
  expect(d.members[0]!.assignment.topicPartitions[0]!.partitions).toEqual([0, 1, 2, 3]);
  expect((await beat('a', a.memberEpoch, [])).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
});

test('leaving with epoch -1 hands the partitions over; the last member leaving empties the group', async () => {
  await hb({ memberId: 'a' });
  await hb({ memberId: 'b' });
  expect(await beat('a', -1, null)).toMatchObject({ errorCode: 0, memberId: 'a', memberEpoch: -1 });
  const b = await beat('b', 3, []);
  expect(parts(b)).toEqual(['orders:0', 'orders:1', 'orders:2', 'orders:3']);
  await beat('b', -1, null);
  expect(coordinator.consumerGroupDescribe('g').groupState).toBe('Empty');
  expect((await coordinator.deleteGroups(['g']))[0]!.errorCode).toBe(ErrorCode.NONE);
  expect(coordinator.consumerGroupDescribe('g')).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: 'Group g not found.' });
});

test('static members: -2 keeps the partitions for the next incarnation; a second one gets UNRELEASED_INSTANCE_ID', async () => {
  const a = await hb({ memberId: 'a1', instanceId: 'i-a' });
  expect(parts(a)).toHaveLength(4);
  expect((await hb({ memberId: 'a2', instanceId: 'i-a' })).errorCode).toBe(ErrorCode.UNRELEASED_INSTANCE_ID);
  // As Kafka 4.4: even the member id holding the instance id cannot join again while it holds it.
  expect(await hb({ memberId: 'a1', instanceId: 'i-a' })).toMatchObject({
    errorCode: ErrorCode.UNRELEASED_INSTANCE_ID, errorMessage: 'Static member a1 with instance id i-a cannot join the group because the instance id is owned by a1 member.',
  });
  expect((await hb({ memberId: 'x', memberEpoch: 1, instanceId: 'i-a', topicPartitions: null })).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
  expect(await hb({ memberId: 'a1', memberEpoch: -2, instanceId: 'i-a', topicPartitions: null })).toMatchObject({ errorCode: 0, memberEpoch: -2 });
  const epochBefore = coordinator.consumerGroupDescribe('g').groupEpoch;
  const again = await hb({ memberId: 'a2', instanceId: 'i-a' });
  expect(again.errorCode).toBe(ErrorCode.NONE);
  expect(parts(again)).toEqual(['orders:0', 'orders:1', 'orders:2', 'orders:3']);
  expect(coordinator.consumerGroupDescribe('g').groupEpoch).toBe(epochBefore);
  expect(coordinator.consumerGroupDescribe('g').members.map((m) => m.memberId)).toEqual(['a2']);
});

test('group.consumer.assignment.interval.ms: a join within the interval waits for the next computation (Assigning), as in Kafka 4.4', async () => {
  await coordinator.close();
  coordinator = make({ groupConsumerAssignmentIntervalMs: 1000, groupConsumerSessionTimeoutMs: 10_000 });
  coordinator.markLoaded();
  expect((await hb({ memberId: 'a' })).memberEpoch).toBe(2);
  // Kafka 4.4 answered the same: group epoch 3, assignment epoch still 2, b at 2 with nothing.
  expect(await hb({ memberId: 'b' })).toMatchObject({ memberEpoch: 2, assignment: { topicPartitions: [] } });
  expect(coordinator.consumerGroupDescribe('g')).toMatchObject({ groupEpoch: 3, assignmentEpoch: 2, groupState: 'Assigning' });
  await vi.advanceTimersByTimeAsync(1000);
  expect(coordinator.consumerGroupDescribe('g')).toMatchObject({ groupEpoch: 3, assignmentEpoch: 3, groupState: 'Reconciling' });
  const a = await beat('a', 2, [{ topicId: T1, partitions: [0, 1, 2, 3] }]);
  expect(parts(a)).toHaveLength(2);
});

test('GROUP_MAX_SIZE_REACHED once the group is full', async () => {
  await coordinator.close();
  coordinator = make({ groupConsumerMaxSize: 1 });
  coordinator.markLoaded();
  await hb({ memberId: 'a' });
  expect(await hb({ memberId: 'b' })).toMatchObject({ errorCode: ErrorCode.GROUP_MAX_SIZE_REACHED, errorMessage: 'The consumer group has reached its maximum capacity of 1 members.' });
});

test('regex subscriptions match whole topic names (RE2 syntax), never internal topics; a bad one is INVALID_REGULAR_EXPRESSION', async () => {
  const r = await hb({ memberId: 'a', subscribedTopicNames: null, subscribedTopicRegex: 'orders.*|__.*' });
  expect(parts(r)).toEqual(['eu:0', 'eu:1', 'orders:0', 'orders:1', 'orders:2', 'orders:3']);
  // The messages Kafka 4.4 sent for the same patterns.
  expect(await hb({ memberId: 'b', subscribedTopicNames: null, subscribedTopicRegex: 'a(' })).toMatchObject({
    errorCode: ErrorCode.INVALID_REGULAR_EXPRESSION, errorMessage: 'SubscribedTopicRegex `a(` is not a valid regular expression: missing closing ).',
  });
  expect(await hb({ memberId: 'b', subscribedTopicNames: null, subscribedTopicRegex: '(?<=x)y' })).toMatchObject({
    errorCode: ErrorCode.INVALID_REGULAR_EXPRESSION, errorMessage: 'SubscribedTopicRegex `(?<=x)y` is not a valid regular expression: invalid named capture.',
  });
});

test('a pattern that makes backtracking engines explode is matched in linear time', async () => {
  const many = Array.from({ length: 200 }, (_, i) => ({ name: `${'a'.repeat(240)}${i}`, topicId: `00000000-0000-0000-0001-${String(i).padStart(12, '0')}`, partitions: 1, internal: false }));
  await coordinator.close();
  coordinator = new GroupCoordinator({ store, partitionExists: () => true, log: pino({ level: 'silent' }), topics: () => many, settings: { groupConsumerSessionTimeoutMs: 1000, groupConsumerHeartbeatIntervalMs: 100 } });
  coordinator.markLoaded();
  // A backtracking engine would not finish this within the test's timeout (2^240 paths per name).
  const r = await hb({ memberId: 'a', subscribedTopicNames: null, subscribedTopicRegex: '(a+)+b' });
  expect(r.errorCode).toBe(ErrorCode.NONE);
  expect(parts(r)).toEqual([]);
});

test('group.consumer.migration.policy=disabled: a non-empty classic group is not a consumer group; an empty one is converted; a classic join must speak the consumer protocol', async () => {
  await coordinator.close();
  coordinator = make({ groupConsumerMigrationPolicy: 'disabled' });
  coordinator.markLoaded();
  const first = await coordinator.joinGroup(joinParams({ requireKnownMemberId: false }));
  expect(first.errorCode).toBe(ErrorCode.NONE);
  expect(await hb({ memberId: 'a' })).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: 'Group g is not a consumer group.' });
  await coordinator.leaveGroup('g', [{ memberId: first.memberId, groupInstanceId: null }]);
  expect((await hb({ memberId: 'a' })).errorCode).toBe(ErrorCode.NONE);
  expect(coordinator.listGroups().map((g) => g.groupType)).toEqual(['consumer']);
  expect((await coordinator.joinGroup(joinParams({ requireKnownMemberId: false, protocolType: 'other' }))).errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  // Kafka reads the classic member's subscription: bytes that are not ConsumerProtocol fail the join.
  expect((await coordinator.joinGroup(joinParams({ requireKnownMemberId: false }))).errorCode).toBe(ErrorCode.UNKNOWN_SERVER_ERROR);
  expect(coordinator.describeGroup('g').state).toBe('Dead');
  expect(coordinator.consumerGroupDescribe('other')).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: 'Group other not found.' });
});

test('OffsetCommit and OffsetFetch take the member epoch as the generation', async () => {
  const a = await hb({ memberId: 'a' });
  const commit = (generationId: number, memberId: string, apiVersion = 9) => coordinator.commitOffsets({
    groupId: 'g', generationId, memberId, groupInstanceId: null, apiVersion,
    topics: [{ name: 'orders', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null }] }],
  }).then((r) => r[0]!.partitions[0]!.errorCode);
  expect(await commit(a.memberEpoch, 'a')).toBe(ErrorCode.NONE);
  expect(await commit(a.memberEpoch + 1, 'a')).toBe(ErrorCode.STALE_MEMBER_EPOCH);
  expect(await commit(a.memberEpoch, 'b')).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  expect(await commit(a.memberEpoch, 'a', 8)).toBe(ErrorCode.UNSUPPORTED_VERSION);
  expect(coordinator.fetchOffsets('g', null, { memberId: 'a', memberEpoch: 7 }).errorCode).toBe(ErrorCode.STALE_MEMBER_EPOCH);
  expect(coordinator.fetchOffsets('g', null, { memberId: 'zz', memberEpoch: 1 }).errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  const ok = coordinator.fetchOffsets('g', null, { memberId: 'a', memberEpoch: a.memberEpoch });
  expect(ok.topics).toEqual([{ name: 'orders', partitions: [expect.objectContaining({ partitionIndex: 0, committedOffset: 5n })] }]);
  expect(coordinator.fetchOffsets('g', null, { memberId: null, memberEpoch: -1 }).errorCode).toBe(ErrorCode.NONE);
  expect(coordinator.listGroups().map((g) => g.groupType)).toEqual(['consumer']);
});

test('KIP-1251: a commit at an older epoch is accepted for the partitions held since then, STALE_MEMBER_EPOCH for the others', async () => {
  await hb({ memberId: 'a' });
  await hb({ memberId: 'b' });
  const a1 = await beat('a', 2, [{ topicId: T1, partitions: [0, 1, 2, 3] }]);
  const kept = a1.assignment!.topicPartitions[0]!.partitions;
  const gone = [0, 1, 2, 3].filter((x) => !kept.includes(x));
  expect((await beat('a', 2, [{ topicId: T1, partitions: kept }])).memberEpoch).toBe(3);
  // The client has not seen epoch 3 yet and commits at 2.
  const r = await coordinator.commitOffsets({
    groupId: 'g', generationId: 2, memberId: 'a', groupInstanceId: null, apiVersion: 9,
    topics: [{ name: 'orders', partitions: [kept[0]!, gone[0]!].map((partitionIndex) => ({ partitionIndex, committedOffset: 7n, committedLeaderEpoch: -1, committedMetadata: null })) }],
  });
  expect(r).toEqual([{ name: 'orders', partitions: [{ partitionIndex: kept[0], errorCode: ErrorCode.NONE }, { partitionIndex: gone[0], errorCode: ErrorCode.STALE_MEMBER_EPOCH }] }]);
  expect(coordinator.committedOffsets('g').map((c) => c.partition)).toEqual([kept[0]]);
});

test('after a restart the group is back with its epochs: members carry on without a rebalance', async () => {
  await hb({ memberId: 'a' });
  await hb({ memberId: 'b' });
  const a = await beat('a', 2, [{ topicId: T1, partitions: [0, 1, 2, 3] }]);
  expect((await beat('a', 2, a.assignment!.topicPartitions)).memberEpoch).toBe(3);
  const b = await beat('b', 3, []);
  const before = coordinator.consumerGroupDescribe('g');
  await coordinator.close();

  coordinator = make();
  await coordinator.load(async (apply) => { for (const e of store.entries) apply(e); });
  const after = coordinator.consumerGroupDescribe('g');
  expect(after).toEqual(before);
  const b2 = await beat('b', b.memberEpoch, b.assignment!.topicPartitions);
  expect(b2).toMatchObject({ errorCode: 0, memberEpoch: b.memberEpoch });
  expect(coordinator.consumerGroupDescribe('g').groupEpoch).toBe(before.groupEpoch);
});
