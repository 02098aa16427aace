// Consumer groups driven at the protocol level with our own client over real TCP: static
// membership, byte-for-byte assignment relay, and the error codes clients rely on.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { KafkaConnection } from '../../src/client/kafka-connection.ts';
import { ApiKey } from '../../src/protocol/generated/index.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import type { BrokerConfig } from '../../src/config.ts';
import type { JoinGroupResponse } from '../../src/protocol/generated/join-group-response.ts';
import type { SyncGroupResponse } from '../../src/protocol/generated/sync-group-response.ts';
import type { HeartbeatResponse } from '../../src/protocol/generated/heartbeat-response.ts';
import type { OffsetCommitResponse } from '../../src/protocol/generated/offset-commit-response.ts';
import type { OffsetFetchResponse } from '../../src/protocol/generated/offset-fetch-response.ts';
import type { DescribeGroupsResponse } from '../../src/protocol/generated/describe-groups-response.ts';
import type { ListGroupsResponse } from '../../src/protocol/generated/list-groups-response.ts';
import type { DeleteGroupsResponse } from '../../src/protocol/generated/delete-groups-response.ts';
import type { OffsetDeleteResponse } from '../../src/protocol/generated/offset-delete-response.ts';
import type { FindCoordinatorResponse } from '../../src/protocol/generated/find-coordinator-response.ts';
import type { LeaveGroupResponse } from '../../src/protocol/generated/leave-group-response.ts';
import type { CreateTopicsResponse } from '../../src/protocol/generated/create-topics-response.ts';

let tb: TestBroker;
const connections: KafkaConnection[] = [];

const SESSION_MS = 1500;

beforeAll(async () => {
  tb = await startBroker({ groupMinSessionTimeoutMs: 500, groupInitialRebalanceDelayMs: 200 } as Partial<BrokerConfig>);
  const admin = await connect();
  const created = await admin.request<CreateTopicsResponse>(ApiKey.CreateTopics, 5, {
    topics: [{ name: 'orders', numPartitions: 4, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000, validateOnly: false,
  });
  expect(created.topics[0]!.errorCode).toBe(ErrorCode.NONE);
});

afterAll(async () => {
  for (const c of connections) c.close();
  await tb?.destroy();
});

async function connect(): Promise<KafkaConnection> {
  const c = await KafkaConnection.connect('127.0.0.1', tb.port, { clientId: 'groups-protocol-test' });
  connections.push(c);
  return c;
}

/** One group member on its own connection (a pending JoinGroup holds later responses on a connection). */
class Member {
  readonly c: KafkaConnection;
  memberId = '';
  generationId = -1;
  leader = '';
  members: JoinGroupResponse['members'] = [];
  readonly groupId: string;
  readonly instanceId: string | null;
  metadata: Buffer;

  constructor(c: KafkaConnection, groupId: string, instanceId: string | null, metadata: Buffer = randomBytes(24)) {
    this.c = c;
    this.groupId = groupId;
    this.instanceId = instanceId;
    this.metadata = metadata;
  }

  static async create(groupId: string, instanceId: string | null = null, metadata: Buffer = randomBytes(24)): Promise<Member> {
    return new Member(await connect(), groupId, instanceId, metadata);
  }

  async joinOnce(protocolType = 'consumer', version = 9): Promise<JoinGroupResponse> {
    const r = await this.c.request<JoinGroupResponse>(ApiKey.JoinGroup, version, {
      groupId: this.groupId, sessionTimeoutMs: SESSION_MS, rebalanceTimeoutMs: 3000, memberId: this.memberId,
      groupInstanceId: this.instanceId, protocolType, protocols: [{ name: 'range', metadata: this.metadata }], reason: null,
    });
    if (r.memberId) this.memberId = r.memberId;
    if (r.errorCode === ErrorCode.NONE) {
      this.generationId = r.generationId;
      this.leader = r.leader;
      this.members = r.members;
    }
    return r;
  }

  async join(): Promise<JoinGroupResponse> {
    let r = await this.joinOnce();
    if (r.errorCode === ErrorCode.MEMBER_ID_REQUIRED) r = await this.joinOnce();
    expect(r.errorCode).toBe(ErrorCode.NONE);
    return r;
  }

  sync(assignments: { memberId: string; assignment: Buffer }[] = []): Promise<SyncGroupResponse> {
    return this.c.request<SyncGroupResponse>(ApiKey.SyncGroup, 5, {
      groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.instanceId,
      protocolType: 'consumer', protocolName: 'range', assignments,
    });
  }

  async heartbeat(): Promise<number> {
    const r = await this.c.request<HeartbeatResponse>(ApiKey.Heartbeat, 4, {
      groupId: this.groupId, generationId: this.generationId, memberId: this.memberId, groupInstanceId: this.instanceId,
    });
    return r.errorCode;
  }

  commit(offsets: { topic: string; partition: number; offset: bigint }[], generationId = this.generationId): Promise<OffsetCommitResponse> {
    return this.c.request<OffsetCommitResponse>(ApiKey.OffsetCommit, 9, {
      groupId: this.groupId, generationIdOrMemberEpoch: generationId, memberId: this.memberId, groupInstanceId: this.instanceId,
      topics: offsets.map((o) => ({ name: o.topic, partitions: [{ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: 0, committedMetadata: 'm' }] })),
    });
  }
}

async function describe(c: KafkaConnection, groupId: string) {
  const r = await c.request<DescribeGroupsResponse>(ApiKey.DescribeGroups, 5, { groups: [groupId], includeAuthorizedOperations: false });
  return r.groups[0]!;
}

/** Two members form a stable group (joining together within the initial rebalance delay); the leader hands out the given assignment bytes. */
async function stableGroup(groupId: string, a: Member, b: Member, assignments: Map<string, Buffer>) {
  const [ja, jb] = await Promise.all([a.join(), b.join()]);
  expect(ja.generationId).toBe(jb.generationId);
  const leader = a.memberId === ja.leader ? a : b;
  const follower = leader === a ? b : a;
  expect(leader.members.map((m) => m.memberId).sort()).toEqual([a.memberId, b.memberId].sort());
  const byRole = [...assignments.values()];
  const chosen = new Map([[leader.memberId, byRole[0]!], [follower.memberId, byRole[1]!]]);
  const [sl, sf] = await Promise.all([
    leader.sync([...chosen].map(([memberId, assignment]) => ({ memberId, assignment }))),
    follower.sync(),
  ]);
  expect(sl.errorCode).toBe(ErrorCode.NONE);
  expect(sf.errorCode).toBe(ErrorCode.NONE);
  return { leader, follower, chosen, leaderAssignment: sl.assignment, followerAssignment: sf.assignment };
}

test('FindCoordinator answers this broker for groups and transactional ids (batched from v4)', async () => {
  const c = await connect();
  const v3 = await c.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 3, { key: 'g', keyType: 0 });
  expect([v3.errorCode, v3.nodeId, v3.port]).toEqual([ErrorCode.NONE, tb.config.nodeId, tb.port]);
  const v4 = await c.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: ['a', 'b'] });
  expect(v4.coordinators.map((x) => [x.key, x.errorCode, x.port])).toEqual([['a', 0, tb.port], ['b', 0, tb.port]]);
  const txn = await c.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, 4, { keyType: 1, coordinatorKeys: ['t'] });
  expect(txn.coordinators.map((x) => [x.key, x.errorCode, x.port])).toEqual([['t', 0, tb.port]]);
  // KIP-848 (issue 16): the consumer group protocol is advertised, every version of the definitions.
  expect(c.brokerVersions.get(ApiKey.ConsumerGroupHeartbeat)).toEqual({ min: 0, max: 1 });
  expect(c.brokerVersions.get(ApiKey.ConsumerGroupDescribe)).toEqual({ min: 0, max: 0 });
});

test('the leader\'s assignment bytes, user data included, reach each member byte for byte', async () => {
  const a = await Member.create('relay');
  const b = await Member.create('relay');
  // Arbitrary bytes: not a valid ConsumerProtocolAssignment, so nothing could re-encode them.
  const bytes = new Map([['first', randomBytes(300)], ['second', Buffer.concat([Buffer.from([0xff, 0xff, 0, 0]), randomBytes(70_000)])]]);
  const g = await stableGroup('relay', a, b, bytes);
  expect(g.leaderAssignment.equals(g.chosen.get(g.leader.memberId)!)).toBe(true);
  expect(g.followerAssignment.equals(g.chosen.get(g.follower.memberId)!)).toBe(true);
  // The member metadata the leader got is what each member sent.
  const sent = new Map([[a.memberId, a.metadata], [b.memberId, b.metadata]]);
  for (const m of g.leader.members) expect(m.metadata.equals(sent.get(m.memberId)!)).toBe(true);
  const d = await describe(a.c, 'relay');
  expect(d.groupState).toBe('Stable');
  expect(d.protocolData).toBe('range');
  for (const m of d.members) {
    expect(m.memberMetadata.equals(sent.get(m.memberId)!)).toBe(true);
    expect(m.memberAssignment.equals(g.chosen.get(m.memberId)!)).toBe(true);
  }
});

test('a static member that restarts within its session gets its assignment back without a rebalance', async () => {
  const metadataA = randomBytes(16);
  const a = await Member.create('static', 'instance-a', metadataA);
  const b = await Member.create('static', 'instance-b');
  const g = await stableGroup('static', a, b, new Map([['x', randomBytes(40)], ['y', randomBytes(50)]]));
  const generation = a.generationId;
  const assignmentOfA = g.chosen.get(a.memberId)!;
  const oldMemberIdOfA = a.memberId;
  a.c.close();

  // Restart: a new connection, no member id, the same instance id and metadata.
  const restarted = await Member.create('static', 'instance-a', metadataA);
  const join = await restarted.joinOnce();
  expect(join.errorCode).toBe(ErrorCode.NONE);
  expect(join.memberId).not.toBe(oldMemberIdOfA);
  expect(join.generationId).toBe(generation);
  const sync = await restarted.sync();
  expect(sync.errorCode).toBe(ErrorCode.NONE);
  expect(sync.assignment.equals(assignmentOfA)).toBe(true);
  // The other member was not asked to rebalance and keeps its generation.
  expect(await b.heartbeat()).toBe(ErrorCode.NONE);
  expect(await restarted.heartbeat()).toBe(ErrorCode.NONE);
  const d = await describe(b.c, 'static');
  expect(d.groupState).toBe('Stable');
  expect(d.members.map((m) => m.memberId).sort()).toEqual([restarted.memberId, b.memberId].sort());

  // The old incarnation is fenced.
  const stale = new Member(await connect(), 'static', 'instance-a');
  stale.memberId = oldMemberIdOfA;
  stale.generationId = generation;
  expect(await stale.heartbeat()).toBe(ErrorCode.FENCED_INSTANCE_ID);
  expect((await stale.sync()).errorCode).toBe(ErrorCode.FENCED_INSTANCE_ID);
});

test('a member that stops heartbeating is evicted after its session timeout and the group rebalances', async () => {
  const a = await Member.create('evict');
  const b = await Member.create('evict');
  await stableGroup('evict', a, b, new Map([['x', Buffer.from('a')], ['y', Buffer.from('b')]]));
  const generation = a.generationId;
  b.c.close();
  // a keeps heartbeating; b is silent.
  const deadline = Date.now() + 5000;
  let code: number = ErrorCode.NONE;
  while (Date.now() < deadline) {
    code = await a.heartbeat();
    if (code !== ErrorCode.NONE) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  expect(code).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  const rejoin = await a.join();
  expect(rejoin.generationId).toBe(generation + 1);
  expect(rejoin.members.map((m) => m.memberId)).toEqual([a.memberId]);
  expect((await a.sync([{ memberId: a.memberId, assignment: Buffer.from('all') }])).assignment.toString()).toBe('all');
});

test('bad input gets Kafka\'s error codes and does not disturb another group', async () => {
  const healthyA = await Member.create('healthy');
  const healthyB = await Member.create('healthy');
  await stableGroup('healthy', healthyA, healthyB, new Map([['x', Buffer.from('1')], ['y', Buffer.from('2')]]));

  const m = await Member.create('bad');
  await m.join();
  expect((await m.sync([{ memberId: m.memberId, assignment: Buffer.from('x') }])).errorCode).toBe(ErrorCode.NONE);

  // A commit for an unknown topic, next to a good one.
  const mixed = await m.commit([{ topic: 'orders', partition: 0, offset: 5n }, { topic: 'no-such-topic', partition: 0, offset: 1n }, { topic: 'orders', partition: 99, offset: 1n }]);
  expect(mixed.topics.map((t) => t.partitions[0]!.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  // A stale generation.
  const stale = await m.commit([{ topic: 'orders', partition: 1, offset: 7n }], m.generationId - 1);
  expect(stale.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
  // An unknown member.
  const stranger = new Member(m.c, 'bad', null);
  stranger.memberId = 'nobody';
  stranger.generationId = m.generationId;
  expect((await stranger.commit([{ topic: 'orders', partition: 1, offset: 7n }])).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  expect(await stranger.heartbeat()).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
  // A generation given for a group that does not exist: GROUP_ID_NOT_FOUND at v9.
  const ghost = new Member(m.c, 'ghost-group', null);
  ghost.memberId = 'x';
  ghost.generationId = 3;
  expect((await ghost.commit([{ topic: 'orders', partition: 0, offset: 1n }])).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.GROUP_ID_NOT_FOUND);

  // A JoinGroup with another protocol type than the group's.
  const intruder = await Member.create('bad');
  let r = await intruder.joinOnce('connect');
  if (r.errorCode === ErrorCode.MEMBER_ID_REQUIRED) r = await intruder.joinOnce('connect');
  expect(r.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  // A session timeout below the minimum.
  const impatient = await connect();
  const tooShort = await impatient.request<JoinGroupResponse>(ApiKey.JoinGroup, 9, {
    groupId: 'bad', sessionTimeoutMs: 10, rebalanceTimeoutMs: 1000, memberId: '', groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: Buffer.alloc(0) }], reason: null,
  });
  expect(tooShort.errorCode).toBe(ErrorCode.INVALID_SESSION_TIMEOUT);
  // SyncGroup v5 with the wrong protocol name.
  const wrongName = await m.c.request<SyncGroupResponse>(ApiKey.SyncGroup, 5, {
    groupId: 'bad', generationId: m.generationId, memberId: m.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'roundrobin', assignments: [],
  });
  expect(wrongName.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
  // DeleteGroups refuses a group with members and an unknown group.
  const del = await m.c.request<DeleteGroupsResponse>(ApiKey.DeleteGroups, 2, { groupsNames: ['bad', 'never-was'] });
  expect(del.results.map((x) => x.errorCode)).toEqual([ErrorCode.NON_EMPTY_GROUP, ErrorCode.GROUP_ID_NOT_FOUND]);

  // The healthy group was not disturbed, and the good commit is there.
  expect(await healthyA.heartbeat()).toBe(ErrorCode.NONE);
  expect(await healthyB.heartbeat()).toBe(ErrorCode.NONE);
  const fetched = await m.c.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 8, {
    groups: [{ groupId: 'bad', topics: [{ name: 'orders', partitionIndexes: [0, 1] }] }], requireStable: false,
  });
  expect(fetched.groups[0]!.topics[0]!.partitions.map((p) => [p.committedOffset, p.metadata])).toEqual([[5n, 'm'], [-1n, '']]);
});

test('simple commits, OffsetFetch of all topics, ListGroups filters, OffsetDelete and DeleteGroups of an empty group', async () => {
  const c = await connect();
  const commit = await c.request<OffsetCommitResponse>(ApiKey.OffsetCommit, 2, {
    groupId: 'simple', generationIdOrMemberEpoch: -1, memberId: '', retentionTimeMs: -1n,
    topics: [{ name: 'orders', partitions: [0, 1, 2].map((i) => ({ partitionIndex: i, committedOffset: BigInt(10 + i), committedMetadata: null })) }],
  });
  expect(commit.topics[0]!.partitions.every((p) => p.errorCode === ErrorCode.NONE)).toBe(true);
  const all = await c.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 7, { groupId: 'simple', topics: null, requireStable: true });
  expect(all.errorCode).toBe(ErrorCode.NONE);
  expect(all.topics.map((t) => [t.name, t.partitions.map((p) => p.committedOffset)])).toEqual([['orders', [10n, 11n, 12n]]]);
  const v1 = await c.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 1, { groupId: 'simple', topics: [{ name: 'orders', partitionIndexes: [2, 3] }] });
  expect(v1.topics[0]!.partitions.map((p) => p.committedOffset)).toEqual([12n, -1n]);

  const empty = await c.request<ListGroupsResponse>(ApiKey.ListGroups, 5, { statesFilter: ['empty'], typesFilter: [] });
  expect(empty.groups.map((g) => g.groupId)).toContain('simple');
  expect(empty.groups.every((g) => g.groupState === 'Empty' && g.groupType === 'classic')).toBe(true);
  const stable = await c.request<ListGroupsResponse>(ApiKey.ListGroups, 4, { statesFilter: ['Stable'] });
  expect(stable.groups.map((g) => g.groupId)).not.toContain('simple');

  const deleted = await c.request<OffsetDeleteResponse>(ApiKey.OffsetDelete, 0, { groupId: 'simple', topics: [{ name: 'orders', partitions: [{ partitionIndex: 0 }] }] });
  expect([deleted.errorCode, deleted.topics[0]!.partitions[0]!.errorCode]).toEqual([ErrorCode.NONE, ErrorCode.NONE]);
  const after = await c.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 7, { groupId: 'simple', topics: null, requireStable: false });
  expect(after.topics[0]!.partitions.map((p) => p.partitionIndex)).toEqual([1, 2]);

  const gone = await c.request<DeleteGroupsResponse>(ApiKey.DeleteGroups, 2, { groupsNames: ['simple'] });
  expect(gone.results[0]!.errorCode).toBe(ErrorCode.NONE);
  const none = await c.request<OffsetFetchResponse>(ApiKey.OffsetFetch, 7, { groupId: 'simple', topics: null, requireStable: false });
  expect(none.topics).toEqual([]);
  expect((await describe(c, 'simple')).groupState).toBe('Dead');
});

test('OffsetDelete refuses topics a live consumer group subscribes to; LeaveGroup v3 removes members in a batch', async () => {
  const subscription = Buffer.from([0, 0, 0, 0, 0, 1, 0, 6, ...Buffer.from('orders'), 0xff, 0xff, 0xff, 0xff]);
  const m = await Member.create('subscribed', 'solo', subscription);
  await m.join();
  await m.sync([{ memberId: m.memberId, assignment: Buffer.alloc(0) }]);
  expect((await m.commit([{ topic: 'orders', partition: 0, offset: 1n }])).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
  const refused = await m.c.request<OffsetDeleteResponse>(ApiKey.OffsetDelete, 0, { groupId: 'subscribed', topics: [{ name: 'orders', partitions: [{ partitionIndex: 0 }] }] });
  expect(refused.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
  const left = await m.c.request<LeaveGroupResponse>(ApiKey.LeaveGroup, 5, {
    groupId: 'subscribed', members: [{ memberId: '', groupInstanceId: 'solo', reason: 'test' }, { memberId: 'nobody', groupInstanceId: null, reason: null }],
  });
  expect(left.errorCode).toBe(ErrorCode.NONE);
  expect(left.members.map((x) => x.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.UNKNOWN_MEMBER_ID]);
  // The group empties once the pending rebalance completes.
  const deadline = Date.now() + 3000;
  while ((await describe(m.c, 'subscribed')).groupState !== 'Empty' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect((await describe(m.c, 'subscribed')).groupState).toBe('Empty');
  const allowed = await m.c.request<OffsetDeleteResponse>(ApiKey.OffsetDelete, 0, { groupId: 'subscribed', topics: [{ name: 'orders', partitions: [{ partitionIndex: 0 }] }] });
  expect(allowed.topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
});
