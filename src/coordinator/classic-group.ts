// One consumer group of the classic rebalance protocol: its members, generation, selected protocol
// and state. Pure bookkeeping; the GroupCoordinator drives the transitions and owns the timers.
// Member metadata and assignments are opaque bytes, stored and relayed untouched (DESIGN.md §7);
// only the online migration to and from a consumer group (group-migration.ts) decodes them, as Kafka does.
//
//            join (first member)            all members joined / rebalance timeout
//   Empty ────────────────────▶ Preparing ──────────────────────────────────▶ Completing
//     ▲                         Rebalance ◀───── join, leave, expiry ──────── Rebalance
//     │  last member gone          ▲   ▲                                          │ leader's
//     └────────────────────────────┘   └───── join (leader / new metadata), ─── Stable ◀┘ SyncGroup
//                                             leave, expiry
//   Dead: deleted (DeleteGroups, offsets expired); a Dead group is no longer in the coordinator.
import { decodeConsumerProtocolSubscription } from '../protocol/generated/consumer-protocol-subscription.ts';
import { Reader } from '../protocol/primitives.ts';

export type GroupState = 'Empty' | 'PreparingRebalance' | 'CompletingRebalance' | 'Stable' | 'Dead';

export const EMPTY_BYTES: Buffer = Buffer.alloc(0);

export interface MemberProtocol {
  name: string;
  metadata: Buffer;
}

export interface JoinMemberInfo {
  memberId: string;
  groupInstanceId: string | null;
  metadata: Buffer;
}

export interface JoinGroupParams {
  groupId: string;
  memberId: string;
  groupInstanceId: string | null;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: MemberProtocol[];
  clientId: string;
  clientHost: string;
  /** v4+: a first join without a member id gets MEMBER_ID_REQUIRED. */
  requireKnownMemberId: boolean;
  /** v9+: a static leader that rejoins gets the members with skipAssignment instead of none. */
  supportsSkipAssignment: boolean;
}

export interface SyncGroupParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  protocolType: string | null;
  protocolName: string | null;
  assignments: { memberId: string; assignment: Buffer }[];
}

export interface MemberIdentity {
  memberId: string;
  groupInstanceId: string | null;
}

/** What a JoinGroup is answered with (the handler maps it to the version asked). */
export interface JoinResult {
  errorCode: number;
  generationId: number;
  protocolType: string | null;
  protocolName: string | null;
  leader: string;
  skipAssignment: boolean;
  memberId: string;
  members: JoinMemberInfo[];
}

export interface SyncResult {
  errorCode: number;
  protocolType: string | null;
  protocolName: string | null;
  assignment: Buffer;
}

export class GroupMember {
  memberId: string;
  readonly groupInstanceId: string | null;
  clientId: string;
  clientHost: string;
  sessionTimeoutMs: number;
  rebalanceTimeoutMs: number;
  protocolType: string;
  protocols: MemberProtocol[];
  assignment: Buffer = EMPTY_BYTES;
  /** Set while the member's JoinGroup waits for the rebalance to complete. */
  awaitingJoin: ((result: JoinResult) => void) | null = null;
  /** Set while the member's SyncGroup waits for the leader's assignment. */
  awaitingSync: ((result: SyncResult) => void) | null = null;
  /** True until the member has been part of a completed join. */
  isNew = true;
  sessionTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(init: {
    memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string;
    sessionTimeoutMs: number; rebalanceTimeoutMs: number; protocolType: string; protocols: MemberProtocol[];
  }) {
    this.memberId = init.memberId;
    this.groupInstanceId = init.groupInstanceId;
    this.clientId = init.clientId;
    this.clientHost = init.clientHost;
    this.sessionTimeoutMs = init.sessionTimeoutMs;
    this.rebalanceTimeoutMs = init.rebalanceTimeoutMs;
    this.protocolType = init.protocolType;
    this.protocols = init.protocols;
  }

  /** Takes what the member sent when it joined again: protocols, timeouts and client. */
  rejoinedWith(p: { protocols: MemberProtocol[]; sessionTimeoutMs: number; rebalanceTimeoutMs: number; clientId: string; clientHost: string }): void {
    this.protocols = p.protocols;
    this.sessionTimeoutMs = p.sessionTimeoutMs;
    this.rebalanceTimeoutMs = p.rebalanceTimeoutMs;
    this.clientId = p.clientId;
    this.clientHost = p.clientHost;
  }

  metadataFor(protocolName: string | null): Buffer {
    return this.protocols.find((p) => p.name === protocolName)?.metadata ?? EMPTY_BYTES;
  }

  /** Same protocols, in the same order, with byte-identical metadata. */
  matches(protocols: readonly MemberProtocol[]): boolean {
    if (protocols.length !== this.protocols.length) return false;
    return protocols.every((p, i) => p.name === this.protocols[i]!.name && p.metadata.equals(this.protocols[i]!.metadata));
  }
}

export class ClassicGroup {
  readonly groupId: string;
  state: GroupState = 'Empty';
  /** When the group entered its current state (ms since the epoch): offsets retention counts from Empty. */
  stateSince: number;
  generationId = 0;
  protocolType: string | null = null;
  protocolName: string | null = null;
  leaderId: string | null = null;
  readonly members = new Map<string, GroupMember>();
  /** group.instance.id -> the member id currently holding it. */
  readonly staticMembers = new Map<string, string>();
  /** Member ids handed out with MEMBER_ID_REQUIRED, not yet rejoined; each expires on its own timer. */
  readonly pendingMembers = new Map<string, ReturnType<typeof setTimeout>>();
  /** Members of this generation that have not sent SyncGroup yet. */
  readonly pendingSync = new Set<string>();
  rebalanceTimer: ReturnType<typeof setTimeout> | undefined;
  syncTimer: ReturnType<typeof setTimeout> | undefined;
  /** Whether the coordinator's log holds a record of this group (classic-group-log.ts) that a deletion must tombstone. */
  persisted = false;
  /** Set while the first rebalance of an empty group waits for more members (group.initial.rebalance.delay.ms). */
  initialDelay: { remainingMs: number; newMemberAdded: boolean } | null = null;
  #subscribedTopics: { generation: number; topics: Set<string> | 'unknown' } | null = null;

  constructor(groupId: string, now: number) {
    this.groupId = groupId;
    this.stateSince = now;
  }

  transitionTo(state: GroupState, now: number): void {
    this.state = state;
    this.stateSince = now;
  }

  get isEmptyOfMembers(): boolean {
    return this.members.size === 0;
  }

  canRebalance(): boolean {
    return this.state === 'Stable' || this.state === 'CompletingRebalance' || this.state === 'Empty';
  }

  isLeader(memberId: string): boolean {
    return this.leaderId === memberId;
  }

  add(member: GroupMember): void {
    if (this.members.size === 0) this.protocolType = member.protocolType;
    this.members.set(member.memberId, member);
    if (member.groupInstanceId !== null) this.staticMembers.set(member.groupInstanceId, member.memberId);
    this.leaderId ??= member.memberId;
  }

  remove(memberId: string): GroupMember | undefined {
    const member = this.members.get(memberId);
    if (!member) return undefined;
    this.members.delete(memberId);
    this.pendingSync.delete(memberId);
    if (member.groupInstanceId !== null && this.staticMembers.get(member.groupInstanceId) === memberId) {
      this.staticMembers.delete(member.groupInstanceId);
    }
    if (this.leaderId === memberId) this.leaderId = this.members.keys().next().value ?? null;
    return member;
  }

  /** Moves a static member to a new member id, keeping its assignment and leadership. */
  replaceStaticMember(oldMemberId: string, newMemberId: string): GroupMember {
    const member = this.members.get(oldMemberId)!;
    this.members.delete(oldMemberId);
    member.memberId = newMemberId;
    this.members.set(newMemberId, member);
    if (this.pendingSync.delete(oldMemberId)) this.pendingSync.add(newMemberId);
    if (this.leaderId === oldMemberId) this.leaderId = newMemberId;
    this.staticMembers.set(member.groupInstanceId!, newMemberId);
    return member;
  }

  hasAllMembersJoined(): boolean {
    if (this.pendingMembers.size > 0) return false;
    for (const m of this.members.values()) if (!m.awaitingJoin) return false;
    return true;
  }

  rebalanceTimeoutMs(): number {
    let max = 0;
    for (const m of this.members.values()) max = Math.max(max, m.rebalanceTimeoutMs);
    return max;
  }

  /** Kafka's rule: an empty group takes any protocol type; otherwise same type and a protocol every member has. */
  supportsProtocols(protocolType: string, protocolNames: readonly string[]): boolean {
    if (this.members.size === 0) return protocolType.length > 0 && protocolNames.length > 0;
    if (protocolType !== this.protocolType) return false;
    return protocolNames.some((name) => [...this.members.values()].every((m) => m.protocols.some((p) => p.name === name)));
  }

  /** Every member votes for its most preferred protocol among those all members support. */
  selectProtocol(): string | null {
    const members = [...this.members.values()];
    if (members.length === 0) return null;
    const candidates = members[0]!.protocols.map((p) => p.name)
      .filter((name) => members.every((m) => m.protocols.some((p) => p.name === name)));
    if (candidates.length === 0) return null;
    const votes = new Map<string, number>(candidates.map((c) => [c, 0]));
    for (const m of members) {
      const choice = m.protocols.find((p) => votes.has(p.name))!.name;
      votes.set(choice, votes.get(choice)! + 1);
    }
    let best = candidates[0]!;
    for (const c of candidates) if (votes.get(c)! > votes.get(best)!) best = c;
    return best;
  }

  /**
   * Topics the members subscribe to, for OffsetDelete's GROUP_SUBSCRIBED_TO_TOPIC. The subscriptions
   * are only read here, never re-encoded; 'unknown' (not the consumer protocol, or unreadable bytes)
   * makes OffsetDelete refuse, where Kafka would allow the deletion.
   */
  subscribedTopics(): Set<string> | 'unknown' {
    if (this.#subscribedTopics?.generation === this.generationId) return this.#subscribedTopics.topics;
    let topics: Set<string> | 'unknown' = new Set();
    if (this.protocolType !== 'consumer') topics = 'unknown';
    else {
      for (const m of this.members.values()) {
        try {
          const r = new Reader(m.metadataFor(this.protocolName));
          const version = r.int16();
          for (const t of decodeConsumerProtocolSubscription(r, Math.min(version, 3)).topics) topics.add(t);
        } catch {
          topics = 'unknown';
          break;
        }
      }
    }
    this.#subscribedTopics = { generation: this.generationId, topics };
    return topics;
  }
}
