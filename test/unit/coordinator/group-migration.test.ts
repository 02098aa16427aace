// Online migration between the classic and the consumer group protocol (group-migration.ts): a
// classic group with members is upgraded by the first consumer-protocol member, its classic members
// are served through JoinGroup/SyncGroup/Heartbeat (REBALANCE_IN_PROGRESS drives their revocation),
// and the group is downgraded back when the last consumer-protocol member leaves.
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import pino from 'pino';
import { GroupCoordinator, type ConsumerGroupHeartbeatParams, type GroupCoordinatorSettings } from '../../../src/coordinator/coordinator.ts';
import type { CoordinatorLogEntry, OffsetsStore } from '../../../src/coordinator/offsets-log.ts';
import { decodeConsumerGroupEntry, encodeConsumerGroupEntry, isConsumerGroupEntry } from '../../../src/coordinator/consumer-group-log.ts';
import { encodeConsumerProtocolSubscription } from '../../../src/protocol/generated/consumer-protocol-subscription.ts';
import { decodeConsumerProtocolAssignment, encodeConsumerProtocolAssignment } from '../../../src/protocol/generated/consumer-protocol-assignment.ts';
import { Reader, Writer } from '../../../src/protocol/primitives.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { joinParams } from './fixtures.ts';

class LogStore implements OffsetsStore {
  readonly entries: CoordinatorLogEntry[] = [];
  async append(entries: readonly CoordinatorLogEntry[]): Promise<void> {
    for (const e of entries) {
      if (isConsumerGroupEntry(e)) {
        const r = encodeConsumerGroupEntry(e);
        this.entries.push(decodeConsumerGroupEntry(r.key, r.value)!);
      } else this.entries.push(e);
    }
  }
}

const T1 = '00000000-0000-0000-0000-000000000001';
const topics = [{ name: 'orders', topicId: T1, partitions: 4, internal: false }];
let store: LogStore;
let coordinator: GroupCoordinator;

function make(settings: Partial<GroupCoordinatorSettings> = {}): GroupCoordinator {
  return new GroupCoordinator({
    store, partitionExists: () => true, log: pino({ level: 'silent' }), topics: () => topics,
    settings: {
      groupConsumerSessionTimeoutMs: 1000, groupConsumerHeartbeatIntervalMs: 100, groupInitialRebalanceDelayMs: 0, groupMinSessionTimeoutMs: 100,
      groupConsumerAssignmentIntervalMs: 0, ...settings,
    },
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

function subscription(owned: number[]): Buffer {
  const w = new Writer(64);
  w.int16(3);
  encodeConsumerProtocolSubscription(w, 3, { topics: ['orders'], ownedPartitions: owned.length ? [{ topic: 'orders', partitions: owned }] : [], generationId: -1, rackId: null });
  return w.finish();
}

function assignment(parts: number[]): Buffer {
  const w = new Writer(64);
  w.int16(3);
  encodeConsumerProtocolAssignment(w, 3, { assignedPartitions: [{ topic: 'orders', partitions: parts }] });
  return w.finish();
}

function decoded(bytes: Buffer): number[] {
  const r = new Reader(bytes);
  const v = r.int16();
  return decodeConsumerProtocolAssignment(r, v).assignedPartitions.flatMap((tp) => tp.partitions).sort();
}

function hb(over: Partial<ConsumerGroupHeartbeatParams>) {
  return coordinator.consumerGroupHeartbeat({
    groupId: 'g', memberId: '', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 5000,
    subscribedTopicNames: ['orders'], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [],
    clientId: 'c', clientHost: '/127.0.0.1', apiVersion: 1, ...over,
  });
}

/** One classic member holding all four partitions, Stable at generation 1. */
async function classicGroupOfOne(): Promise<string> {
  const join = await coordinator.joinGroup(joinParams({ requireKnownMemberId: false, protocols: [{ name: 'cooperative-sticky', metadata: subscription([]) }] }));
  expect(join.errorCode).toBe(ErrorCode.NONE);
  const sync = await coordinator.syncGroup({
    groupId: 'g', generationId: join.generationId, memberId: join.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'cooperative-sticky',
    assignments: [{ memberId: join.memberId, assignment: assignment([0, 1, 2, 3]) }],
  });
  expect(sync.errorCode).toBe(ErrorCode.NONE);
  return join.memberId;
}

test('upgrade: a consumer member joins a classic group; the classic member revokes through REBALANCE_IN_PROGRESS and a rejoin, then gets its share', async () => {
  const classicId = await classicGroupOfOne();
  const a = await hb({ memberId: 'a' });
  expect(a.errorCode).toBe(ErrorCode.NONE);
  expect(coordinator.listGroups().map((g) => g.groupType)).toEqual(['consumer']);
  // The classic member still holds all four partitions: the new member gets none yet.
  expect(a.assignment?.topicPartitions.flatMap((tp) => tp.partitions) ?? []).toEqual([]);
  expect(coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: classicId, groupInstanceId: null })).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  // Rejoin still owning everything: it stays at its epoch with its kept partitions.
  const rejoin = await coordinator.joinGroup(joinParams({ memberId: classicId, requireKnownMemberId: false, protocols: [{ name: 'cooperative-sticky', metadata: subscription([0, 1, 2, 3]) }] }));
  expect(rejoin).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, protocolName: 'cooperative-sticky', protocolType: 'consumer' });
  const kept = await coordinator.syncGroup({ groupId: 'g', generationId: 1, memberId: classicId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'cooperative-sticky', assignments: [] });
  expect(kept.errorCode).toBe(ErrorCode.NONE);
  expect(decoded(kept.assignment)).toHaveLength(2);
  // Having revoked, it rejoins owning only what it kept: it reaches the group epoch.
  const owned = decoded(kept.assignment);
  const second = await coordinator.joinGroup(joinParams({ memberId: classicId, requireKnownMemberId: false, protocols: [{ name: 'cooperative-sticky', metadata: subscription(owned) }] }));
  const described = coordinator.consumerGroupDescribe('g');
  expect(second.generationId).toBe(described.groupEpoch);
  expect(coordinator.heartbeat({ groupId: 'g', generationId: second.generationId, memberId: classicId, groupInstanceId: null })).toBe(ErrorCode.NONE);
  // The consumer member now gets the two freed partitions.
  const a2 = await hb({ memberId: 'a', memberEpoch: a.memberEpoch, topicPartitions: [], rebalanceTimeoutMs: -1, subscribedTopicNames: null });
  const mine = a2.assignment?.topicPartitions.flatMap((tp) => tp.partitions) ?? [];
  expect(mine.length + owned.length).toBe(4);
  expect(mine.filter((p) => owned.includes(p))).toEqual([]);
  // A classic member commits with its generation, at any OffsetCommit version.
  const commit = await coordinator.commitOffsets({
    groupId: 'g', generationId: second.generationId, memberId: classicId, groupInstanceId: null, apiVersion: 8,
    topics: [{ name: 'orders', partitions: [{ partitionIndex: owned[0]!, committedOffset: 5n, committedLeaderEpoch: -1, committedMetadata: null }] }],
  });
  expect(commit[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);

  // Downgrade: the consumer member leaves; the classic member is alone, the group is classic again and rebalances.
  const left = await hb({ memberId: 'a', memberEpoch: -1 });
  expect(left.errorCode).toBe(ErrorCode.NONE);
  expect(coordinator.listGroups().map((g) => [g.groupType, g.state])).toEqual([['classic', 'PreparingRebalance']]);
  const back = await coordinator.joinGroup(joinParams({ memberId: classicId, requireKnownMemberId: false, protocols: [{ name: 'cooperative-sticky', metadata: subscription(owned) }] }));
  expect(back.errorCode).toBe(ErrorCode.NONE);
  expect(back.generationId).toBeGreaterThan(second.generationId);
});

test('upgrade refused under group.consumer.migration.policy=downgrade, and for a malformed embedded protocol', async () => {
  await coordinator.close();
  coordinator = make({ groupConsumerMigrationPolicy: 'downgrade' });
  coordinator.markLoaded();
  await classicGroupOfOne();
  expect(await hb({ memberId: 'a' })).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: 'Group g is not a consumer group.' });

  await coordinator.close();
  coordinator = make();
  coordinator.markLoaded();
  const join = await coordinator.joinGroup(joinParams({ requireKnownMemberId: false }));
  expect(join.errorCode).toBe(ErrorCode.NONE);
  expect(await hb({ memberId: 'a' })).toMatchObject({
    errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: 'Cannot upgrade the classic group g to consumer group because the embedded consumer protocol is malformed.',
  });
});

test('classic members inside a consumer group survive a restart', async () => {
  const classicId = await classicGroupOfOne();
  await hb({ memberId: 'a' });
  await coordinator.close();
  coordinator = make();
  await coordinator.load(async (apply) => { for (const e of store.entries) apply(e); });
  const d = coordinator.consumerGroupDescribe('g');
  expect(d.members.map((m) => m.memberId).sort()).toEqual(['a', classicId].sort());
  // The classic member is still served as one: its generation is its epoch.
  expect(coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: classicId, groupInstanceId: null })).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  expect(coordinator.heartbeat({ groupId: 'g', generationId: 1, memberId: 'a', groupInstanceId: null })).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
});

test('group.consumer.migration.policy: Kafka\'s four names in any case, bidirectional by default, from flag or environment', async () => {
  const { loadConfig } = await import('../../../src/config.ts');
  expect(loadConfig({}, {}).groupConsumerMigrationPolicy).toBe('bidirectional');
  expect(loadConfig({ groupConsumerMigrationPolicy: 'UPGRADE' }, {}).groupConsumerMigrationPolicy).toBe('UPGRADE');
  expect(loadConfig({}, { HIGHWATER_GROUP_CONSUMER_MIGRATION_POLICY: 'disabled' }).groupConsumerMigrationPolicy).toBe('disabled');
  expect(() => loadConfig({ groupConsumerMigrationPolicy: 'sideways' }, {})).toThrow(/--group-consumer-migration-policy must be one of bidirectional, upgrade, downgrade, disabled/);
});
