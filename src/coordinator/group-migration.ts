// Online migration between the classic protocol and the consumer group protocol (KIP-848's rolling
// upgrade, group.consumer.migration.policy), as Kafka's GroupMetadataManager, ConsumerGroup and
// ClassicGroup do it:
//
//   upgrade    the first consumer-protocol member joining a non-empty classic group of protocol type
//              "consumer" turns it into a consumer group; the classic members stay in it, at the
//              classic generation as their member epoch, with their last assignment as their target.
//   downgrade  when the last consumer-protocol member leaves (or is fenced) and the rest all use the
//              classic protocol, the group becomes a classic group again, Stable at the group epoch,
//              each member given its target assignment, and a rebalance starts at once.
//
// This is the one place where the broker reads the members' ConsumerProtocol subscriptions and
// assignments (versions 0-3) and writes assignments; anything else keeps them opaque.
import { encodeConsumerProtocolAssignment, decodeConsumerProtocolAssignment } from '../protocol/generated/consumer-protocol-assignment.ts';
import { decodeConsumerProtocolSubscription, type ConsumerProtocolSubscription } from '../protocol/generated/consumer-protocol-subscription.ts';
import { Reader, Writer } from '../protocol/primitives.ts';
import type { Assignment } from './consumer-assignors.ts';
import { ClassicGroup, GroupMember, type MemberProtocol } from './classic-group.ts';
import { ConsumerGroup, type ConsumerGroupMember, newMember } from './consumer-group.ts';

export const CONSUMER_PROTOCOL_TYPE = 'consumer';

/** Topic names and ids as the conversion needs them. */
export interface TopicNames {
  idOf: (name: string) => string | undefined;
  nameOf: (topicId: string) => string | undefined;
}

/** A ConsumerProtocol subscription (version prefix, then the body); throws on anything malformed. */
export function decodeSubscription(bytes: Buffer): ConsumerProtocolSubscription {
  const r = new Reader(bytes);
  const version = r.int16();
  if (version < 0) throw new RangeError(`subscription version ${version}`);
  // A newer version than 3 is read as 3 (its fields come first), as Kafka's ConsumerProtocol does.
  return decodeConsumerProtocolSubscription(r, Math.min(version, 3));
}

/** The version prefix of a ConsumerProtocol message, bounded to the versions we write (0-3). */
export function protocolVersion(bytes: Buffer): number {
  if (bytes.length < 2) throw new RangeError('no version');
  return Math.max(0, Math.min(bytes.readInt16BE(0), 3));
}

/** A ConsumerProtocol assignment to topic ids (topics unknown here are dropped, as Kafka does). */
export function decodeAssignment(bytes: Buffer, topics: TopicNames): Assignment {
  const out: Assignment = new Map();
  // A member that joined but was never given an assignment has none (empty bytes).
  if (bytes.length === 0) return out;
  const r = new Reader(bytes);
  const version = r.int16();
  if (version < 0) throw new RangeError(`assignment version ${version}`);
  for (const tp of decodeConsumerProtocolAssignment(r, Math.min(version, 3)).assignedPartitions) {
    const id = topics.idOf(tp.topic);
    if (id === undefined) continue;
    const s = out.get(id) ?? new Set<number>();
    for (const p of tp.partitions) s.add(p);
    out.set(id, s);
  }
  return out;
}

export function encodeAssignment(a: Assignment, version: number, topics: TopicNames): Buffer {
  const w = new Writer(64);
  w.int16(version);
  const assignedPartitions = [...a].flatMap(([id, parts]) => {
    const topic = topics.nameOf(id);
    return topic === undefined ? [] : [{ topic, partitions: [...parts].sort((x, y) => x - y) }];
  });
  encodeConsumerProtocolAssignment(w, version, { assignedPartitions, userData: null });
  return w.finish();
}

/** Owned partitions a classic member reports in its subscription (v1+), as topic ids. */
export function ownedPartitions(sub: ConsumerProtocolSubscription, topics: TopicNames): { topicId: string; partitions: number[] }[] {
  const out: { topicId: string; partitions: number[] }[] = [];
  for (const tp of sub.ownedPartitions) {
    const id = topics.idOf(tp.topic);
    if (id !== undefined) out.push({ topicId: id, partitions: [...tp.partitions] });
  }
  return out;
}

/**
 * Kafka's ConsumerGroup.fromClassicGroup: every classic member becomes a classic member of the new
 * consumer group, Stable at the classic generation, its last assignment as both current and target.
 * Throws when a subscription or an assignment does not decode.
 */
export function consumerGroupFromClassic(classic: ClassicGroup, topics: TopicNames, now: number): ConsumerGroup {
  const group = new ConsumerGroup(classic.groupId, now);
  group.groupEpoch = classic.generationId;
  group.assignmentEpoch = classic.generationId;
  for (const m of classic.members.values()) {
    const sub = decodeSubscription(m.metadataFor(classic.protocolName));
    const assigned = decodeAssignment(m.assignment, topics);
    const epochs = new Map<string, number>();
    for (const [t, parts] of assigned) for (const p of parts) epochs.set(`${t}:${p}`, classic.generationId);
    const member: ConsumerGroupMember = {
      ...newMember(m.memberId),
      instanceId: m.groupInstanceId,
      rackId: sub.rackId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      rebalanceTimeoutMs: m.rebalanceTimeoutMs,
      subscribedTopicNames: [...sub.topics],
      memberEpoch: classic.generationId,
      previousMemberEpoch: classic.generationId,
      state: 'stable',
      assigned,
      assignmentEpochs: epochs,
      classic: { sessionTimeoutMs: m.sessionTimeoutMs, protocols: m.protocols.map((x) => ({ name: x.name, metadata: x.metadata })) },
    };
    group.targetAssignment.set(m.memberId, new Map([...assigned].map(([t, s]) => [t, new Set(s)])));
    group.updateMember(member);
  }
  return group;
}

/**
 * Kafka's ClassicGroup.fromConsumerGroup: the remaining (classic) members, Stable at the group
 * epoch, protocol selected as the classic group would, each given its target assignment encoded in
 * the version of its own subscription. The caller starts a rebalance.
 */
export function classicGroupFromConsumer(group: ConsumerGroup, leavingMemberId: string, topics: TopicNames, now: number): ClassicGroup {
  const classic = new ClassicGroup(group.groupId, now);
  classic.generationId = group.groupEpoch;
  classic.protocolType = CONSUMER_PROTOCOL_TYPE;
  for (const m of group.members.values()) {
    if (m.memberId === leavingMemberId || m.classic === null) continue;
    classic.add(new GroupMember({
      memberId: m.memberId, groupInstanceId: m.instanceId, clientId: m.clientId, clientHost: m.clientHost,
      sessionTimeoutMs: m.classic.sessionTimeoutMs, rebalanceTimeoutMs: m.rebalanceTimeoutMs, protocolType: CONSUMER_PROTOCOL_TYPE,
      protocols: m.classic.protocols.map((x): MemberProtocol => ({ name: x.name, metadata: x.metadata })),
    }));
  }
  classic.protocolName = classic.selectProtocol();
  for (const cm of classic.members.values()) {
    cm.isNew = false;
    cm.assignment = encodeAssignment(group.targetOf(cm.memberId), protocolVersion(cm.metadataFor(classic.protocolName)), topics);
  }
  classic.transitionTo('Stable', now);
  return classic;
}

/** Whether every member but `except` uses the classic protocol (Kafka's allMembersUseClassicProtocolExcept). */
export function allClassicExcept(group: ConsumerGroup, except: string): boolean {
  for (const m of group.members.values()) if (m.memberId !== except && m.classic === null) return false;
  return true;
}
