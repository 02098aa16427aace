// Records of the consumer groups (KIP-848) in the coordinator's internal log, beside the committed
// offsets (offsets-log.ts): one record per group and one per member, the last per key wins, null
// deletes. Replay rebuilds the groups with their epochs, so members continue after a restart.
//
// Record layout (format CONSUMER_GROUP_LOG_FORMAT; a change bumps it):
//
//   key   = JSON [CONSUMER_GROUP_LOG_FORMAT, "cg-group", group]
//   value = JSON { groupEpoch, assignmentEpoch, subscriptionSignature } | null (group deleted)
//
//   key   = JSON [CONSUMER_GROUP_LOG_FORMAT, "cg-member", group, memberId]
//   value = JSON { instanceId, rackId, clientId, clientHost, rebalanceTimeoutMs, serverAssignor,
//                  subscribedTopicNames, subscribedTopicRegex, memberEpoch, previousMemberEpoch,
//                  state, assigned, pendingRevocation, target,
//                  assignmentEpochs: [["topicId:partition", epoch], ...],
//                  classic: null | { sessionTimeoutMs, protocols: [[name, base64 metadata], ...] } }
//           | null (member removed); classic is set for a member using the classic protocol
//           inside the consumer group (rolling upgrade), absent in older records (= null)
//           where an assignment is [[topicId, [partition, ...]], ...]
import type { RecordInput } from '../protocol/records.ts';
import type { Assignment } from './consumer-assignors.ts';
import type { ClassicMemberMetadata, ConsumerGroupMember, MemberState } from './consumer-group.ts';

export const CONSUMER_GROUP_LOG_FORMAT = 1;

export interface ConsumerGroupRecordValue {
  groupEpoch: number;
  assignmentEpoch: number;
  subscriptionSignature: string;
}

export type ConsumerGroupLogEntry =
  | { kind: 'cg-group'; group: string; value: ConsumerGroupRecordValue | null }
  | { kind: 'cg-member'; group: string; memberId: string; value: { member: ConsumerGroupMember; target: Assignment } | null };

type WireAssignment = [string, number[]][];

function toWire(a: Assignment): WireAssignment {
  return [...a].map(([t, s]) => [t, [...s].sort((x, y) => x - y)]);
}

function fromWire(w: unknown): Assignment {
  if (!Array.isArray(w)) return new Map();
  return new Map((w as WireAssignment).map(([t, ps]) => [String(t), new Set(ps.map(Number))]));
}

function decodeClassic(v: unknown): ClassicMemberMetadata | null {
  if (v === null || typeof v !== 'object') return null;
  const c = v as { sessionTimeoutMs?: unknown; protocols?: unknown };
  const protocols = Array.isArray(c.protocols) ? (c.protocols as [string, string][]).map(([name, b64]) => ({ name: String(name), metadata: Buffer.from(String(b64), 'base64') })) : [];
  return { sessionTimeoutMs: Number(c.sessionTimeoutMs), protocols };
}

export function isConsumerGroupEntry(entry: object): entry is ConsumerGroupLogEntry {
  return 'kind' in entry && (entry.kind === 'cg-group' || entry.kind === 'cg-member');
}

export function encodeConsumerGroupEntry(entry: ConsumerGroupLogEntry): RecordInput {
  if (entry.kind === 'cg-group') {
    const key = Buffer.from(JSON.stringify([CONSUMER_GROUP_LOG_FORMAT, 'cg-group', entry.group]));
    return { key, value: entry.value === null ? null : Buffer.from(JSON.stringify(entry.value)), headers: [] };
  }
  const key = Buffer.from(JSON.stringify([CONSUMER_GROUP_LOG_FORMAT, 'cg-member', entry.group, entry.memberId]));
  if (entry.value === null) return { key, value: null, headers: [] };
  const { member: m, target } = entry.value;
  const value = Buffer.from(JSON.stringify({
    instanceId: m.instanceId, rackId: m.rackId, clientId: m.clientId, clientHost: m.clientHost, rebalanceTimeoutMs: m.rebalanceTimeoutMs,
    serverAssignor: m.serverAssignor, subscribedTopicNames: m.subscribedTopicNames, subscribedTopicRegex: m.subscribedTopicRegex,
    memberEpoch: m.memberEpoch, previousMemberEpoch: m.previousMemberEpoch, state: m.state,
    assigned: toWire(m.assigned), pendingRevocation: toWire(m.pendingRevocation), target: toWire(target),
    assignmentEpochs: [...m.assignmentEpochs],
    classic: m.classic === null ? null : { sessionTimeoutMs: m.classic.sessionTimeoutMs, protocols: m.classic.protocols.map((x) => [x.name, x.metadata.toString('base64')]) },
  }));
  return { key, value, headers: [] };
}

/** undefined when the record is not a consumer-group record of this format. */
export function decodeConsumerGroupEntry(key: Buffer | null, value: Buffer | null): ConsumerGroupLogEntry | undefined {
  if (key === null) return undefined;
  let k: unknown;
  try {
    k = JSON.parse(key.toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(k) || k[0] !== CONSUMER_GROUP_LOG_FORMAT) return undefined;
  if (k[1] === 'cg-group' && typeof k[2] === 'string') {
    if (value === null) return { kind: 'cg-group', group: k[2], value: null };
    const v = JSON.parse(value.toString('utf8')) as ConsumerGroupRecordValue;
    return { kind: 'cg-group', group: k[2], value: { groupEpoch: v.groupEpoch, assignmentEpoch: v.assignmentEpoch, subscriptionSignature: v.subscriptionSignature ?? '' } };
  }
  if (k[1] === 'cg-member' && typeof k[2] === 'string' && typeof k[3] === 'string') {
    const memberId = k[3];
    if (value === null) return { kind: 'cg-member', group: k[2], memberId, value: null };
    const v = JSON.parse(value.toString('utf8')) as Record<string, unknown>;
    const member: ConsumerGroupMember = {
      memberId,
      instanceId: (v.instanceId as string | null) ?? null,
      rackId: (v.rackId as string | null) ?? null,
      clientId: String(v.clientId ?? ''),
      clientHost: String(v.clientHost ?? ''),
      rebalanceTimeoutMs: Number(v.rebalanceTimeoutMs ?? -1),
      serverAssignor: (v.serverAssignor as string | null) ?? null,
      subscribedTopicNames: Array.isArray(v.subscribedTopicNames) ? v.subscribedTopicNames.map(String) : [],
      subscribedTopicRegex: (v.subscribedTopicRegex as string | null) ?? null,
      memberEpoch: Number(v.memberEpoch),
      previousMemberEpoch: Number(v.previousMemberEpoch),
      state: (v.state as MemberState) ?? 'stable',
      assigned: fromWire(v.assigned),
      pendingRevocation: fromWire(v.pendingRevocation),
      assignmentEpochs: new Map(Array.isArray(v.assignmentEpochs) ? (v.assignmentEpochs as [string, number][]).map(([k, e]) => [String(k), Number(e)]) : []),
      classic: decodeClassic(v.classic),
    };
    return { kind: 'cg-member', group: k[2], memberId, value: { member, target: fromWire(v.target) } };
  }
  return undefined;
}
