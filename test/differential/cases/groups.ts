// Differential cases for consumer groups: FindCoordinator, the classic membership APIs (one
// member through join, sync, heartbeat and leave at every version), committed offsets,
// DescribeGroups, ListGroups, DeleteGroups and OffsetDelete; the consumer group protocol (KIP-848):
// ConsumerGroupHeartbeat's checks, epochs, static members and leave, ConsumerGroupDescribe, and
// how ListGroups, DescribeGroups, OffsetCommit, OffsetFetch and JoinGroup treat a consumer group.
import { ApiKey } from '../../../src/protocol/generated/index.ts';
import type { Case, CaseContext } from './case.ts';

const PROTOCOL_METADATA = Buffer.from([0, 3, 0, 0, 0, 1, 0, 6, 0x67, 0x72, 0x6f, 0x75, 0x70, 0x73, 0, 0, 0, 0, 0, 0, 0, 0]);

async function joinOnce(c: CaseContext, label: string, v: number, groupId: string): Promise<{ memberId: string; generationId: number } | undefined> {
  const body = (memberId: string) => ({
    groupId, sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 5_000, memberId, groupInstanceId: null, protocolType: 'consumer',
    protocols: [{ name: 'range', metadata: PROTOCOL_METADATA }], reason: null,
  });
  let res = await c.call(`${label} join`, ApiKey.JoinGroup, v, body(''));
  // v4+: the first join of a new member is answered MEMBER_ID_REQUIRED with the id to use (KIP-394).
  if (res?.errorCode === 79) res = await c.call(`${label} join with id`, ApiKey.JoinGroup, v, body(res.memberId));
  return res && res.errorCode === 0 ? { memberId: res.memberId, generationId: res.generationId } : undefined;
}

async function commit(c: CaseContext, label: string, v: number, groupId: string, topic: string, offset: bigint, member = { memberId: '', generationId: -1 }) {
  return c.call(label, ApiKey.OffsetCommit, v, {
    groupId, generationIdOrMemberEpoch: member.generationId, memberId: member.memberId, groupInstanceId: null, retentionTimeMs: -1n,
    topics: [{ name: topic, partitions: [{ partitionIndex: 0, committedOffset: offset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: 'm' }] }],
  });
}


/** A ConsumerGroupHeartbeat body: a first join (epoch 0) unless `over` says otherwise. */
function heartbeatBody(groupId: string, over: object = {}) {
  return {
    groupId, memberId: 'cg-m1', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000, subscribedTopicNames: ['cgp'],
    subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [], ...over,
  };
}
const STEADY = { rebalanceTimeoutMs: -1, subscribedTopicNames: null, topicPartitions: null };

const consumerGroupCase: Case = {
  name: 'consumer-group-protocol',
  async run(c) {
    await c.session.createTopic('cgp', 3);
    // Kafka creates and loads the group's offsets partition on first use: wait as a client would.
    for (const g of ['cgp-g', 'cgp-v0', 'cgp-static', 'cgp-none']) {
      await c.session.warmUp(ApiKey.FindCoordinator, 4, { keyType: 0, coordinatorKeys: [g] }, (r) => (r as { coordinators: { errorCode: number }[] }).coordinators[0]!.errorCode);
      await c.session.warmUp(ApiKey.ConsumerGroupDescribe, 0, { groupIds: [g], includeAuthorizedOperations: false }, (r) => {
        const code = (r as { groups: { errorCode: number }[] }).groups[0]!.errorCode;
        return [14, 15, 16].includes(code) ? code : 0;
      });
    }
    const hb = (label: string, v: number, body: object) => c.call(label, ApiKey.ConsumerGroupHeartbeat, v, body);
    await hb('v1 empty member id', 1, heartbeatBody('cgp-g', { memberId: '' }));
    await hb('no subscription', 1, heartbeatBody('cgp-g', { subscribedTopicNames: null }));
    await hb('bad regex', 1, heartbeatBody('cgp-g', { subscribedTopicNames: null, subscribedTopicRegex: 'a(' }));
    await hb('bad assignor', 1, heartbeatBody('cgp-g', { serverAssignor: 'sticky' }));
    await hb('bad epoch', 1, heartbeatBody('cgp-g', { memberEpoch: -3 }));
    await hb('v0 join names the member', 0, heartbeatBody('cgp-v0', { memberId: '' }));
    const joined = await hb('join', 1, heartbeatBody('cgp-g'));
    const epoch = typeof joined?.memberEpoch === 'number' ? joined.memberEpoch as number : 1;
    await hb('heartbeat', 1, heartbeatBody('cgp-g', { memberEpoch: epoch, ...STEADY }));
    await hb('greater epoch', 1, heartbeatBody('cgp-g', { memberEpoch: 5, ...STEADY }));
    await hb('unknown member', 1, heartbeatBody('cgp-g', { memberId: 'cg-nobody', memberEpoch: epoch, ...STEADY }));
    await hb('unknown group', 1, heartbeatBody('cgp-none', { memberEpoch: 1, ...STEADY }));
    await c.call('describe', ApiKey.ConsumerGroupDescribe, 0, { groupIds: ['cgp-g', 'cgp-none'], includeAuthorizedOperations: true });
    await c.call('describe groups', ApiKey.DescribeGroups, 5, { groups: ['cgp-g'], includeAuthorizedOperations: false });
    await c.call('list consumer groups', ApiKey.ListGroups, 5, { statesFilter: [], typesFilter: ['Consumer'] });
    const offset = (generationIdOrMemberEpoch: number) => ({
      groupId: 'cgp-g', generationIdOrMemberEpoch, memberId: 'cg-m1', groupInstanceId: null, retentionTimeMs: -1n,
      topics: [{ name: 'cgp', partitions: [{ partitionIndex: 0, committedOffset: 0n, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null }] }],
    });
    await c.call('commit at the epoch', ApiKey.OffsetCommit, 9, offset(epoch));
    await c.call('commit at a newer epoch', ApiKey.OffsetCommit, 9, offset(epoch + 7));
    await c.call('commit below v9', ApiKey.OffsetCommit, 8, offset(epoch));
    await c.call('fetch at the epoch', ApiKey.OffsetFetch, 9, { groups: [{ groupId: 'cgp-g', memberId: 'cg-m1', memberEpoch: epoch, topics: null }], requireStable: false });
    await c.call('fetch stale epoch', ApiKey.OffsetFetch, 9, { groups: [{ groupId: 'cgp-g', memberId: 'cg-m1', memberEpoch: 7, topics: null }], requireStable: false });
    await c.call('fetch unknown member', ApiKey.OffsetFetch, 9, { groups: [{ groupId: 'cgp-g', memberId: 'cg-nobody', memberEpoch: epoch, topics: null }], requireStable: false });
    await hb('static join', 1, heartbeatBody('cgp-static', { memberId: 'cg-s1', instanceId: 'i-1' }));
    await hb('static other member', 1, heartbeatBody('cgp-static', { memberId: 'cg-s2', instanceId: 'i-1' }));
    await hb('static same member again', 1, heartbeatBody('cgp-static', { memberId: 'cg-s1', instanceId: 'i-1' }));
    await hb('static leave for now', 1, heartbeatBody('cgp-static', { memberId: 'cg-s1', instanceId: 'i-1', memberEpoch: -2, ...STEADY }));
    await hb('static replaced', 1, heartbeatBody('cgp-static', { memberId: 'cg-s2', instanceId: 'i-1' }));
    // Kafka hands the classic member an id (online migration, not served here); only the error is
    // compared, so that id does not renumber the member ids of later cases.
    await c.call('classic join to the consumer group', ApiKey.JoinGroup, 9, {
      groupId: 'cgp-g', sessionTimeoutMs: 30_000, rebalanceTimeoutMs: 5_000, memberId: '', groupInstanceId: null, protocolType: 'consumer',
      protocols: [{ name: 'range', metadata: PROTOCOL_METADATA }], reason: null,
    }, (r) => ({ errorCode: (r as { errorCode: number } | undefined)?.errorCode }));
    await hb('leave', 1, heartbeatBody('cgp-g', { memberEpoch: -1, ...STEADY }));
    await hb('leave again', 1, heartbeatBody('cgp-g', { memberEpoch: -1, ...STEADY }));
    await c.call('list after leave', ApiKey.ListGroups, 5, { statesFilter: ['empty'], typesFilter: ['consumer'] });
  },
};

export const groupCases: Case[] = [
  consumerGroupCase,
  {
    name: 'find-coordinator',
    async run(c) {
      for (const v of c.versions(ApiKey.FindCoordinator)) {
        await c.call(`v${v} group`, ApiKey.FindCoordinator, v, { key: 'fc-group', keyType: 0, coordinatorKeys: ['fc-group', 'fc-other'] });
      }
    },
  },
  {
    name: 'group-lifecycle',
    async run(c) {
      await c.session.createTopic('groups-topic', 1);
      for (const v of c.versions(ApiKey.JoinGroup)) {
        const groupId = `lifecycle-${v}`;
        const member = await joinOnce(c, `v${v}`, v, groupId);
        if (!member) continue;
        const syncV = Math.min(v, Math.max(...c.versions(ApiKey.SyncGroup)));
        await c.call(`v${v} sync`, ApiKey.SyncGroup, syncV, {
          groupId, generationId: member.generationId, memberId: member.memberId, groupInstanceId: null, protocolType: 'consumer', protocolName: 'range',
          assignments: [{ memberId: member.memberId, assignment: Buffer.from([0, 3, 0, 0, 0, 0, 0, 0, 0, 0]) }],
        });
        const hbV = Math.min(v, Math.max(...c.versions(ApiKey.Heartbeat)));
        await c.call(`v${v} heartbeat`, ApiKey.Heartbeat, hbV, { groupId, generationId: member.generationId, memberId: member.memberId, groupInstanceId: null });
        await c.call(`v${v} heartbeat stale generation`, ApiKey.Heartbeat, hbV, { groupId, generationId: member.generationId + 5, memberId: member.memberId, groupInstanceId: null });
        await c.call(`v${v} heartbeat unknown member`, ApiKey.Heartbeat, hbV, { groupId, generationId: member.generationId, memberId: 'nobody', groupInstanceId: null });
        const commitV = Math.min(Math.max(...c.versions(ApiKey.OffsetCommit)), 9);
        await commit(c, `v${v} commit as member`, commitV, groupId, 'groups-topic', 3n, member);
        const describeV = Math.max(...c.versions(ApiKey.DescribeGroups));
        await c.call(`v${v} describe stable`, ApiKey.DescribeGroups, describeV, { groups: [groupId], includeAuthorizedOperations: false });
        const leaveV = Math.min(v, Math.max(...c.versions(ApiKey.LeaveGroup)));
        await c.call(`v${v} leave`, ApiKey.LeaveGroup, leaveV, { groupId, memberId: member.memberId, members: [{ memberId: member.memberId, groupInstanceId: null, reason: null }] });
        await c.call(`v${v} describe empty`, ApiKey.DescribeGroups, describeV, { groups: [groupId], includeAuthorizedOperations: false });
      }
    },
  },
  {
    name: 'offset-commit-fetch',
    async run(c) {
      await c.session.createTopic('commits', 1);
      for (const v of c.versions(ApiKey.OffsetCommit)) {
        const groupId = `commit-${v}`;
        await commit(c, `v${v} commit`, v, groupId, 'commits', 7n);
        await commit(c, `v${v} commit unknown topic`, v, groupId, 'commits-nope', 1n);
        await commit(c, `v${v} commit with a generation`, v, groupId, 'commits', 7n, { memberId: 'ghost', generationId: 3 });
      }
      for (const v of c.versions(ApiKey.OffsetFetch)) {
        const groupId = 'commit-9';
        if (v < 8) {
          await c.call(`v${v} fetch`, ApiKey.OffsetFetch, v, { groupId, topics: [{ name: 'commits', partitionIndexes: [0, 5] }, { name: 'commits-nope', partitionIndexes: [0] }] });
          if (v >= 2) await c.call(`v${v} fetch all`, ApiKey.OffsetFetch, v, { groupId, topics: null });
          await c.call(`v${v} fetch unknown group`, ApiKey.OffsetFetch, v, { groupId: 'no-such-group', topics: [{ name: 'commits', partitionIndexes: [0] }] });
        } else {
          await c.call(`v${v} fetch groups`, ApiKey.OffsetFetch, v, {
            groups: [
              { groupId, memberId: null, memberEpoch: -1, topics: [{ name: 'commits', partitionIndexes: [0, 5] }] },
              { groupId: 'no-such-group', memberId: null, memberEpoch: -1, topics: null },
            ],
            requireStable: true,
          });
        }
      }
    },
  },
  {
    name: 'list-describe-delete-groups',
    async run(c) {
      await c.session.createTopic('ldd', 1);
      await commit(c, 'commit a', 8, 'ldd-a', 'ldd', 1n);
      await commit(c, 'commit b', 8, 'ldd-b', 'ldd', 2n);
      for (const v of c.versions(ApiKey.ListGroups)) {
        // Only this case's groups: the other cases' groups depend on which of their versions each broker serves.
        const own = (r: { groups: { groupId: string }[] }) => ({ ...r, groups: r.groups.filter((g) => g.groupId.startsWith('ldd-')) });
        await c.call(`v${v} list`, ApiKey.ListGroups, v, { statesFilter: [], typesFilter: [] }, own);
        if (v >= 4) await c.call(`v${v} list stable only`, ApiKey.ListGroups, v, { statesFilter: ['Stable'], typesFilter: [] }, own);
        if (v >= 5) await c.call(`v${v} list classic only`, ApiKey.ListGroups, v, { statesFilter: [], typesFilter: ['classic'] }, own);
      }
      for (const v of c.versions(ApiKey.DescribeGroups)) {
        await c.call(`v${v} describe`, ApiKey.DescribeGroups, v, { groups: ['ldd-a', 'ldd-missing'], includeAuthorizedOperations: v >= 3 });
      }
      await c.call('offset delete', ApiKey.OffsetDelete, 0, { groupId: 'ldd-a', topics: [{ name: 'ldd', partitions: [{ partitionIndex: 0 }] }] });
      await c.call('offset delete unknown group', ApiKey.OffsetDelete, 0, { groupId: 'ldd-missing', topics: [{ name: 'ldd', partitions: [{ partitionIndex: 0 }] }] });
      await c.call('offset delete unknown topic', ApiKey.OffsetDelete, 0, { groupId: 'ldd-b', topics: [{ name: 'ldd-nope', partitions: [{ partitionIndex: 0 }] }] });
      for (const v of c.versions(ApiKey.DeleteGroups)) {
        await commit(c, `v${v} commit before delete`, 8, `ldd-del-${v}`, 'ldd', 1n);
        await c.call(`v${v} delete`, ApiKey.DeleteGroups, v, { groupsNames: [`ldd-del-${v}`, 'ldd-missing'] });
      }
    },
  },
];
