// One group of the consumer group protocol (KIP-848): its members with their subscriptions and
// epochs, the group epoch, the target assignment and its epoch, and which member epoch owns each
// partition now. Pure bookkeeping; consumer-groups.ts drives it. Follows Kafka's ConsumerGroup
// and CurrentAssignmentBuilder (read in Kafka's group-coordinator module).
//
//   group epoch      bumped when a subscription, a member or the subscribed topics' metadata change
//   assignment epoch the group epoch the target assignment was computed for
//   member epoch     the epoch a member's current assignment belongs to; it reaches the assignment
//                    epoch once the member has revoked what it must give up (reconciliation)
//
// A partition is given to a member only when no other member still owns it (partitionEpochs has
// no entry for it): a member revokes first, the next owner gets the partition on a later heartbeat.
import { type Assignment, emptyAssignment } from './consumer-assignors.ts';

export type MemberState = 'stable' | 'unrevoked_partitions' | 'unreleased_partitions';
export type ConsumerGroupState = 'Empty' | 'Assigning' | 'Reconciling' | 'Stable';

/** The epoch of a static member that left temporarily (KIP-848): it keeps its place until its session expires. */
export const LEAVE_GROUP_STATIC_MEMBER_EPOCH = -2;
export const LEAVE_GROUP_MEMBER_EPOCH = -1;

export interface OwnedTopicPartitions {
  topicId: string;
  partitions: number[];
}

/**
 * A member that speaks the classic protocol inside a consumer group (a rolling upgrade, KIP-848's
 * migration): what it sent in its last JoinGroup. Kafka keeps the same in the member record's
 * classic_member_metadata.
 */
export interface ClassicMemberMetadata {
  sessionTimeoutMs: number;
  protocols: { name: string; metadata: Buffer }[];
}

export interface ConsumerGroupMember {
  memberId: string;
  instanceId: string | null;
  rackId: string | null;
  clientId: string;
  clientHost: string;
  rebalanceTimeoutMs: number;
  serverAssignor: string | null;
  subscribedTopicNames: string[];
  subscribedTopicRegex: string | null;
  memberEpoch: number;
  previousMemberEpoch: number;
  state: MemberState;
  assigned: Assignment;
  pendingRevocation: Assignment;
  /**
   * "topicId:partition" -> the member epoch at which the member got the partition (KIP-1251): a
   * commit at an older epoch is still accepted for a partition the member has held since then.
   */
  assignmentEpochs: Map<string, number>;
  /** Set when the member uses the classic protocol (JoinGroup/SyncGroup/Heartbeat), null otherwise. */
  classic: ClassicMemberMetadata | null;
}

export function newMember(memberId: string): ConsumerGroupMember {
  return {
    memberId, instanceId: null, rackId: null, clientId: '', clientHost: '', rebalanceTimeoutMs: -1, serverAssignor: null,
    subscribedTopicNames: [], subscribedTopicRegex: null, memberEpoch: 0, previousMemberEpoch: 0, state: 'stable',
    assigned: emptyAssignment(), pendingRevocation: emptyAssignment(), assignmentEpochs: new Map(), classic: null,
  };
}

export function copyAssignment(a: Assignment): Assignment {
  return new Map([...a].map(([t, s]) => [t, new Set(s)]));
}

export function sameAssignment(a: Assignment, b: Assignment): boolean {
  if (a.size !== b.size) return false;
  for (const [t, s] of a) {
    const o = b.get(t);
    if (!o || o.size !== s.size) return false;
    for (const p of s) if (!o.has(p)) return false;
  }
  return true;
}

export function isReconciledTo(member: ConsumerGroupMember, epoch: number): boolean {
  return member.state === 'stable' && member.memberEpoch === epoch;
}

export class ConsumerGroup {
  readonly groupId: string;
  groupEpoch = 0;
  assignmentEpoch = 0;
  readonly members = new Map<string, ConsumerGroupMember>();
  /** instance id -> member id of the static member holding it. */
  readonly staticMembers = new Map<string, string>();
  /** member id -> its partitions in the target assignment. */
  readonly targetAssignment = new Map<string, Assignment>();
  /** "topicId:partition" -> epoch of the member owning it (assigned or still to revoke). */
  readonly partitionEpochs = new Map<string, number>();
  /** What the group's subscribed topics looked like when the group epoch was last bumped. */
  subscriptionSignature = '';
  /** When the group last changed state (offsets retention of an empty group counts from here). */
  stateSince: number;

  constructor(groupId: string, now: number) {
    this.groupId = groupId;
    this.stateSince = now;
  }

  get state(): ConsumerGroupState {
    if (this.members.size === 0) return 'Empty';
    if (this.groupEpoch > this.assignmentEpoch) return 'Assigning';
    for (const m of this.members.values()) if (!isReconciledTo(m, this.assignmentEpoch)) return 'Reconciling';
    return 'Stable';
  }

  currentPartitionEpoch(topicId: string, partition: number): number {
    return this.partitionEpochs.get(`${topicId}:${partition}`) ?? -1;
  }

  targetOf(memberId: string): Assignment {
    return this.targetAssignment.get(memberId) ?? emptyAssignment();
  }

  /** Puts a member (new or changed) in place, keeping the partition owners in step. */
  updateMember(member: ConsumerGroupMember): void {
    const old = this.members.get(member.memberId);
    if (old) this.#releasePartitions(old);
    this.members.set(member.memberId, member);
    if (member.instanceId !== null) this.staticMembers.set(member.instanceId, member.memberId);
    this.#claimPartitions(member);
  }

  removeMember(memberId: string): ConsumerGroupMember | undefined {
    const old = this.members.get(memberId);
    if (!old) return undefined;
    this.#releasePartitions(old);
    this.members.delete(memberId);
    this.targetAssignment.delete(memberId);
    if (old.instanceId !== null && this.staticMembers.get(old.instanceId) === memberId) this.staticMembers.delete(old.instanceId);
    return old;
  }

  staticMember(instanceId: string): ConsumerGroupMember | undefined {
    const id = this.staticMembers.get(instanceId);
    return id === undefined ? undefined : this.members.get(id);
  }

  #claimPartitions(m: ConsumerGroupMember): void {
    for (const a of [m.assigned, m.pendingRevocation]) {
      for (const [t, parts] of a) for (const p of parts) this.partitionEpochs.set(`${t}:${p}`, m.memberEpoch);
    }
  }

  #releasePartitions(m: ConsumerGroupMember): void {
    for (const a of [m.assigned, m.pendingRevocation]) {
      for (const [t, parts] of a) for (const p of parts) this.partitionEpochs.delete(`${t}:${p}`);
    }
  }
}

/** Whether the member reports owning any partition of `revoking` (null: it did not say, so it may). */
function ownsAnyOf(owned: readonly OwnedTopicPartitions[] | null, revoking: Assignment): boolean {
  if (owned === null) return true;
  for (const tp of owned) {
    const s = revoking.get(tp.topicId);
    if (!s) continue;
    for (const p of tp.partitions) if (s.has(p)) return true;
  }
  return false;
}

/**
 * One step of reconciliation (Kafka's CurrentAssignmentBuilder): moves a member towards the target
 * assignment of `targetEpoch`. Partitions it must give up are kept pending revocation, at its current
 * epoch, until it stops reporting them; partitions another member still owns are withheld
 * (unreleased) until they are free. Returns the member itself when nothing can move.
 */
export function reconcile(
  member: ConsumerGroupMember,
  targetEpoch: number,
  target: Assignment,
  currentPartitionEpoch: (topicId: string, partition: number) => number,
  owned: readonly OwnedTopicPartitions[] | null,
): ConsumerGroupMember {
  switch (member.state) {
    case 'stable':
      if (member.memberEpoch === targetEpoch) return member;
      return nextAssignment(member, member.memberEpoch, targetEpoch, target, currentPartitionEpoch, owned);
    case 'unrevoked_partitions':
      if (ownsAnyOf(owned, member.pendingRevocation)) return member;
      return nextAssignment(member, member.memberEpoch + 1, targetEpoch, target, currentPartitionEpoch, owned);
    case 'unreleased_partitions':
      return nextAssignment(member, member.memberEpoch, targetEpoch, target, currentPartitionEpoch, owned);
  }
}

function withEpoch(member: ConsumerGroupMember, epoch: number): Pick<ConsumerGroupMember, 'memberEpoch' | 'previousMemberEpoch'> {
  // As Kafka's updateMemberEpoch: the previous epoch is the one the member had before this step.
  return { memberEpoch: epoch, previousMemberEpoch: member.memberEpoch };
}

/** The assignment epochs of the partitions in `keep`, as the member had them. */
function keptEpochs(member: ConsumerGroupMember, keep: Assignment[]): Map<string, number> {
  const out = new Map<string, number>();
  for (const a of keep) {
    for (const [t, parts] of a) {
      for (const p of parts) out.set(`${t}:${p}`, member.assignmentEpochs.get(`${t}:${p}`) ?? Math.max(member.memberEpoch, 0));
    }
  }
  return out;
}

function nextAssignment(
  member: ConsumerGroupMember,
  memberEpoch: number,
  targetEpoch: number,
  target: Assignment,
  currentPartitionEpoch: (topicId: string, partition: number) => number,
  owned: readonly OwnedTopicPartitions[] | null,
): ConsumerGroupMember {
  let unreleased = false;
  const assigned: Assignment = new Map();
  const revoking: Assignment = new Map();
  const adding: Assignment = new Map();
  const topicIds = new Set([...target.keys(), ...member.assigned.keys()]);
  for (const t of topicIds) {
    const want = target.get(t) ?? new Set<number>();
    const have = member.assigned.get(t) ?? new Set<number>();
    const keep = new Set([...have].filter((p) => want.has(p)));
    const drop = new Set([...have].filter((p) => !keep.has(p)));
    const add = new Set<number>();
    for (const p of want) {
      if (keep.has(p)) continue;
      if (currentPartitionEpoch(t, p) !== -1) unreleased = true;
      else add.add(p);
    }
    if (keep.size > 0) assigned.set(t, keep);
    if (drop.size > 0) revoking.set(t, drop);
    if (add.size > 0) adding.set(t, add);
  }
  if (revoking.size > 0 && ownsAnyOf(owned, revoking)) {
    // Revoke first: the member stays at its epoch until it reports the partitions gone.
    return {
      ...member, ...withEpoch(member, memberEpoch), state: 'unrevoked_partitions', assigned, pendingRevocation: revoking,
      assignmentEpochs: keptEpochs(member, [assigned, revoking]),
    };
  }
  const assignmentEpochs = keptEpochs(member, [assigned]);
  for (const [t, parts] of adding) {
    const s = assigned.get(t) ?? new Set<number>();
    for (const p of parts) {
      s.add(p);
      assignmentEpochs.set(`${t}:${p}`, targetEpoch);
    }
    assigned.set(t, s);
  }
  return {
    ...member, ...withEpoch(member, targetEpoch), state: unreleased ? 'unreleased_partitions' : 'stable', assigned, pendingRevocation: new Map(),
    assignmentEpochs,
  };
}
