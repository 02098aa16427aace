// Differential cases for consumer groups: FindCoordinator, the classic membership APIs (one
// member through join, sync, heartbeat and leave at every version), committed offsets,
// DescribeGroups, ListGroups, DeleteGroups and OffsetDelete.
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

export const groupCases: Case[] = [
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
