// Records of the classic groups in the coordinator's internal log, beside the committed offsets
// (offsets-log.ts): one record per group, the last per key wins, null deletes. They hold what
// Kafka's GroupMetadataValue holds (protocol type, generation, selected protocol, leader, and
// each member's ids, timeouts, subscription and assignment), written when a generation's
// assignment is set (the leader's SyncGroup), when a static member takes a new member id
// without a rebalance, and when a generation ends empty. Replay rebuilds each group as Kafka's
// ClassicGroup.fromRecord does: Stable with its members, or Empty without any.
//
// Record layout (format CLASSIC_GROUP_LOG_FORMAT; a change bumps it):
//
//   key   = JSON [CLASSIC_GROUP_LOG_FORMAT, "classic-group", group]
//   value = JSON { protocolType, generationId, protocolName, leaderId, stateTimestamp,
//                  members: [{ memberId, groupInstanceId, clientId, clientHost,
//                              sessionTimeoutMs, rebalanceTimeoutMs,
//                              subscription: base64, assignment: base64 }, ...] }
//         | null (group deleted)
//   where subscription is the member's metadata for the selected protocol, as Kafka keeps it.
import type { RecordInput } from '../protocol/records.ts';
import { ClassicGroup, GroupMember } from './classic-group.ts';

export const CLASSIC_GROUP_LOG_FORMAT = 1;

export interface ClassicGroupMemberRecord {
  memberId: string;
  groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  subscription: Buffer;
  assignment: Buffer;
}

export interface ClassicGroupRecordValue {
  protocolType: string | null;
  generationId: number;
  protocolName: string | null;
  leaderId: string | null;
  /** When the group entered its state (ms since the epoch): offsets retention of an Empty group counts from it. */
  stateTimestamp: number;
  members: ClassicGroupMemberRecord[];
}

export interface ClassicGroupLogEntry {
  kind: 'classic-group';
  group: string;
  value: ClassicGroupRecordValue | null;
}

export function isClassicGroupEntry(entry: object): entry is ClassicGroupLogEntry {
  return 'kind' in entry && entry.kind === 'classic-group';
}

/** The record of `group` as it is, with `assignments` (by member id) as each member's assignment. */
export function classicGroupEntry(group: ClassicGroup, assignments: ReadonlyMap<string, Buffer>): ClassicGroupLogEntry {
  return {
    kind: 'classic-group',
    group: group.groupId,
    value: {
      protocolType: group.protocolType,
      generationId: group.generationId,
      protocolName: group.protocolName,
      leaderId: group.leaderId,
      stateTimestamp: group.stateSince,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
        sessionTimeoutMs: m.sessionTimeoutMs, rebalanceTimeoutMs: m.rebalanceTimeoutMs,
        subscription: m.metadataFor(group.protocolName), assignment: assignments.get(m.memberId) ?? m.assignment,
      })),
    },
  };
}

export function classicGroupTombstone(groupId: string): ClassicGroupLogEntry {
  return { kind: 'classic-group', group: groupId, value: null };
}

export function encodeClassicGroupEntry(entry: ClassicGroupLogEntry): RecordInput {
  const key = Buffer.from(JSON.stringify([CLASSIC_GROUP_LOG_FORMAT, 'classic-group', entry.group]));
  const v = entry.value;
  if (v === null) return { key, value: null, headers: [] };
  const value = Buffer.from(JSON.stringify({
    ...v,
    members: v.members.map((m) => ({ ...m, subscription: m.subscription.toString('base64'), assignment: m.assignment.toString('base64') })),
  }));
  return { key, value, headers: [] };
}

/** undefined when the record is not a classic-group record of this format. */
export function decodeClassicGroupEntry(key: Buffer | null, value: Buffer | null): ClassicGroupLogEntry | undefined {
  if (key === null) return undefined;
  let k: unknown;
  try {
    k = JSON.parse(key.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(k) || k[0] !== CLASSIC_GROUP_LOG_FORMAT || k[1] !== 'classic-group' || typeof k[2] !== 'string') return undefined;
  if (value === null) return { kind: 'classic-group', group: k[2], value: null };
  const v = JSON.parse(value.toString('utf8')) as Record<string, unknown>;
  const members = Array.isArray(v.members) ? (v.members as Record<string, unknown>[]) : [];
  return {
    kind: 'classic-group',
    group: k[2],
    value: {
      protocolType: (v.protocolType as string | null) ?? null,
      generationId: Number(v.generationId ?? 0),
      protocolName: (v.protocolName as string | null) ?? null,
      leaderId: (v.leaderId as string | null) ?? null,
      stateTimestamp: Number(v.stateTimestamp ?? 0),
      members: members.map((m) => ({
        memberId: String(m.memberId),
        groupInstanceId: (m.groupInstanceId as string | null) ?? null,
        clientId: String(m.clientId ?? ''),
        clientHost: String(m.clientHost ?? ''),
        sessionTimeoutMs: Number(m.sessionTimeoutMs),
        rebalanceTimeoutMs: Number(m.rebalanceTimeoutMs),
        subscription: Buffer.from(String(m.subscription ?? ''), 'base64'),
        assignment: Buffer.from(String(m.assignment ?? ''), 'base64'),
      })),
    },
  };
}

/**
 * The group a record describes, as Kafka's ClassicGroup.fromRecord rebuilds it: Stable with its
 * members (each supporting only the selected protocol, with the subscription it was assigned
 * from) or Empty. Sessions are not started here: the coordinator starts them once loaded.
 */
export function restoreClassicGroup(groupId: string, v: ClassicGroupRecordValue): ClassicGroup {
  const group = new ClassicGroup(groupId, v.stateTimestamp);
  group.generationId = v.generationId;
  for (const m of v.members) {
    const member = new GroupMember({
      memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
      sessionTimeoutMs: m.sessionTimeoutMs, rebalanceTimeoutMs: m.rebalanceTimeoutMs, protocolType: v.protocolType ?? '',
      protocols: [{ name: v.protocolName ?? '', metadata: m.subscription }],
    });
    member.assignment = m.assignment;
    member.isNew = false;
    group.add(member);
  }
  group.protocolType = v.protocolType;
  group.protocolName = v.members.length > 0 ? v.protocolName : null;
  group.leaderId = v.members.length > 0 && v.leaderId !== null && group.members.has(v.leaderId) ? v.leaderId : (group.members.keys().next().value ?? null);
  group.state = v.members.length > 0 ? 'Stable' : 'Empty';
  return group;
}
