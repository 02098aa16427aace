// Group membership under the classic rebalance protocol: JoinGroup, SyncGroup, Heartbeat, LeaveGroup
// and the read views (DescribeGroups, ListGroups). The GroupCoordinator has checked the group id first.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { GroupCoordinatorSettings } from '../config.ts';
import { ErrorCode } from '../protocol/errors.ts';
import {
  ClassicGroup, EMPTY_BYTES, GroupMember, type GroupState, type JoinGroupParams, type JoinResult, type MemberIdentity,
  type SyncGroupParams, type SyncResult,
} from './classic-group.ts';
import { failedJoin, failedSync, joinResponse, Rebalancer, unrefTimer, type ClassicGroupStore } from './rebalance.ts';
import { classicGroupTombstone, restoreClassicGroup, type ClassicGroupLogEntry } from './classic-group-log.ts';

/** The group fields of an OffsetCommit: who commits, at which generation. */
export interface CommitterIdentity extends MemberIdentity {
  groupId: string;
  generationId: number;
  /** v9+ answers GROUP_ID_NOT_FOUND where older versions get ILLEGAL_GENERATION. */
  apiVersion: number;
}

export interface GroupOverview {
  groupId: string;
  state: GroupState;
  protocolType: string;
  members: number;
}

export interface GroupDescription {
  errorCode: number;
  groupId: string;
  state: GroupState;
  protocolType: string;
  protocolData: string;
  generationId: number;
  members: {
    memberId: string; groupInstanceId: string | null; clientId: string; clientHost: string;
    memberMetadata: Buffer; memberAssignment: Buffer;
  }[];
}

/** How DescribeGroups answers for a group that does not exist, or with `errorCode`. */
export function deadGroup(groupId: string, errorCode: number): GroupDescription {
  return { errorCode, groupId, state: 'Dead', protocolType: '', protocolData: '', generationId: -1, members: [] };
}

export interface GroupMembershipOptions {
  settings: Readonly<GroupCoordinatorSettings>;
  log: Logger;
  now: () => number;
  /** Whether the group still has committed offsets (an empty group without any is forgotten). */
  hasOffsets: (groupId: string) => boolean;
  /** Where group state is made durable, so members keep their generation across a restart; absent: memory only. */
  store?: ClassicGroupStore;
}

export class GroupMembership {
  readonly #settings: Readonly<GroupCoordinatorSettings>;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #groups = new Map<string, ClassicGroup>();
  readonly #rebalance: Rebalancer;

  constructor(options: GroupMembershipOptions) {
    this.#settings = options.settings;
    this.#log = options.log;
    this.#now = options.now;
    this.#rebalance = new Rebalancer({
      groups: this.#groups, settings: options.settings, log: options.log, now: options.now, hasOffsets: options.hasOffsets, store: options.store,
    });
  }

  // ---- loading (the coordinator's log replayed at start-up) ----

  /** Applies one classic-group record of the log; the last per group wins, null deletes. */
  restore(entry: ClassicGroupLogEntry): void {
    if (entry.value === null) {
      this.#groups.delete(entry.group);
      return;
    }
    const group = restoreClassicGroup(entry.group, entry.value);
    group.persisted = true;
    this.#groups.set(entry.group, group);
  }

  /**
   * Every record replayed: as Kafka's GroupMetadataManager.onLoaded, each restored member's session
   * starts now, so a member that does not heartbeat (or rejoin) within it is removed and the group
   * rebalances, while one that does carries on in its generation.
   */
  loaded(): void {
    let groups = 0;
    let members = 0;
    for (const group of this.#groups.values()) {
      for (const member of group.members.values()) this.#rebalance.scheduleSession(group, member);
      if (group.members.size > 0) groups++;
      members += group.members.size;
    }
    if (groups > 0) this.#log.info({ groups, members }, 'classic groups loaded with their members');
  }

  /** Drops a restored group whose id a consumer group (KIP-848) holds: its records win. */
  discardRestored(groupId: string): void {
    const group = this.#groups.get(groupId);
    if (!group) return;
    this.#rebalance.clearTimers(group);
    this.#groups.delete(groupId);
  }

  group(groupId: string): ClassicGroup | undefined {
    return this.#groups.get(groupId);
  }

  groups(): IterableIterator<ClassicGroup> {
    return this.#groups.values();
  }

  groupOrCreate(groupId: string): ClassicGroup {
    let group = this.#groups.get(groupId);
    if (!group) {
      group = new ClassicGroup(groupId, this.#now());
      this.#groups.set(groupId, group);
    }
    return group;
  }

  /** Deletes an empty group (DeleteGroups, expired offsets); a group with members stays. */
  forget(group: ClassicGroup): void {
    this.#rebalance.forget(group);
  }

  clearTimers(): void {
    for (const group of this.#groups.values()) this.#rebalance.clearTimers(group);
  }

  /**
   * Online upgrade (group-migration.ts): the group leaves the classic protocol. Members waiting in
   * JoinGroup or SyncGroup get REBALANCE_IN_PROGRESS (they rejoin into the consumer group), as
   * Kafka's convertToConsumerGroup; returns its tombstone when the log holds a record of it.
   */
  detachForUpgrade(group: ClassicGroup): ClassicGroupLogEntry[] {
    for (const m of group.members.values()) {
      const join = m.awaitingJoin;
      const sync = m.awaitingSync;
      m.awaitingJoin = null;
      m.awaitingSync = null;
      join?.(failedJoin(ErrorCode.REBALANCE_IN_PROGRESS, m.memberId));
      sync?.(failedSync(ErrorCode.REBALANCE_IN_PROGRESS));
    }
    this.#rebalance.clearTimers(group);
    if (this.#groups.get(group.groupId) === group) this.#groups.delete(group.groupId);
    const entries = group.persisted ? [classicGroupTombstone(group.groupId)] : [];
    group.persisted = false;
    return entries;
  }

  /** Online downgrade (group-migration.ts): the converted group takes over and rebalances at once. */
  adoptDowngraded(group: ClassicGroup): void {
    this.#groups.set(group.groupId, group);
    group.persisted = true;
    for (const m of group.members.values()) this.#rebalance.scheduleSession(group, m);
    this.#rebalance.prepareRebalance(group, `Downgrade group ${group.groupId} from consumer to classic.`);
  }

  // ---- JoinGroup ----

  join(p: JoinGroupParams): Promise<JoinResult> {
    const { groupMinSessionTimeoutMs: min, groupMaxSessionTimeoutMs: max } = this.#settings;
    if (p.sessionTimeoutMs < min || p.sessionTimeoutMs > max) return Promise.resolve(failedJoin(ErrorCode.INVALID_SESSION_TIMEOUT, p.memberId));
    const isUnknownMember = p.memberId === '';
    let group = this.#groups.get(p.groupId);
    if (!group) {
      if (!isUnknownMember) return Promise.resolve(failedJoin(ErrorCode.UNKNOWN_MEMBER_ID, p.memberId));
      group = this.groupOrCreate(p.groupId);
    }
    if (!group.supportsProtocols(p.protocolType, p.protocols.map((x) => x.name))) {
      return Promise.resolve(failedJoin(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, p.memberId));
    }
    return new Promise<JoinResult>((respond) => {
      if (isUnknownMember) this.#joinNewMember(group, p, respond);
      else this.#joinExistingMember(group, p, respond);
    });
  }

  #joinNewMember(group: ClassicGroup, p: JoinGroupParams, respond: (r: JoinResult) => void): void {
    const newMemberId = `${p.groupInstanceId ?? p.clientId}-${randomUUID()}`;
    if (p.groupInstanceId !== null) {
      const existing = group.staticMembers.get(p.groupInstanceId);
      if (existing !== undefined) this.#rejoinStaticMember(group, existing, newMemberId, p, respond);
      else this.#addMemberAndRebalance(group, newMemberId, p, respond);
      return;
    }
    if (p.requireKnownMemberId) {
      // KIP-394: the member id is handed out first and only a rejoin with it counts as a member, so
      // clients that give up mid-join do not leave phantom members in the group.
      group.pendingMembers.set(newMemberId, unrefTimer(() => this.#rebalance.expirePendingMember(group, newMemberId), p.sessionTimeoutMs));
      respond(failedJoin(ErrorCode.MEMBER_ID_REQUIRED, newMemberId));
      return;
    }
    this.#addMemberAndRebalance(group, newMemberId, p, respond);
  }

  #joinExistingMember(group: ClassicGroup, p: JoinGroupParams, respond: (r: JoinResult) => void): void {
    const pendingTimer = group.pendingMembers.get(p.memberId);
    if (pendingTimer !== undefined) {
      if (p.groupInstanceId !== null) {
        respond(failedJoin(ErrorCode.UNKNOWN_MEMBER_ID, p.memberId));
        return;
      }
      clearTimeout(pendingTimer);
      group.pendingMembers.delete(p.memberId);
      this.#addMemberAndRebalance(group, p.memberId, p, respond);
      return;
    }
    const memberError = validateMember(group, p.memberId, p.groupInstanceId);
    if (memberError !== ErrorCode.NONE) {
      respond(failedJoin(memberError, p.memberId));
      return;
    }
    const member = group.members.get(p.memberId)!;
    switch (group.state) {
      case 'PreparingRebalance':
        this.#updateMemberAndRebalance(group, member, p, respond);
        return;
      case 'CompletingRebalance':
        // The member lost its JoinGroup response: same metadata gets this generation again.
        if (member.matches(p.protocols)) {
          this.#rebalance.scheduleSession(group, member);
          respond(joinResponse(group, member, group.isLeader(member.memberId)));
        } else this.#updateMemberAndRebalance(group, member, p, respond);
        return;
      case 'Stable':
        if (group.isLeader(member.memberId) || !member.matches(p.protocols)) this.#updateMemberAndRebalance(group, member, p, respond);
        else {
          this.#rebalance.scheduleSession(group, member);
          respond(joinResponse(group, member, false));
        }
        return;
      default:
        respond(failedJoin(ErrorCode.UNKNOWN_MEMBER_ID, p.memberId));
    }
  }

  #addMemberAndRebalance(group: ClassicGroup, memberId: string, p: JoinGroupParams, respond: (r: JoinResult) => void): void {
    const member = new GroupMember({
      memberId, groupInstanceId: p.groupInstanceId, clientId: p.clientId, clientHost: p.clientHost,
      sessionTimeoutMs: p.sessionTimeoutMs, rebalanceTimeoutMs: p.rebalanceTimeoutMs, protocolType: p.protocolType, protocols: p.protocols,
    });
    member.awaitingJoin = respond;
    group.add(member);
    if (group.initialDelay) group.initialDelay.newMemberAdded = true;
    this.#rebalance.scheduleSession(group, member);
    this.#rebalance.maybePrepareRebalanceOrCompleteJoin(group, `member ${memberId} joined`);
  }

  #updateMemberAndRebalance(group: ClassicGroup, member: GroupMember, p: JoinGroupParams, respond: (r: JoinResult) => void): void {
    // A second JoinGroup from the same member supersedes the first; its response would be stale.
    member.awaitingJoin?.(failedJoin(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId));
    member.rejoinedWith(p);
    member.protocolType = p.protocolType;
    member.awaitingJoin = respond;
    this.#rebalance.scheduleSession(group, member);
    this.#rebalance.maybePrepareRebalanceOrCompleteJoin(group, `member ${member.memberId} rejoined`);
  }

  /** A static member restarted: it takes over its old member id's place (KIP-345). */
  #rejoinStaticMember(group: ClassicGroup, oldMemberId: string, newMemberId: string, p: JoinGroupParams, respond: (r: JoinResult) => void): void {
    const old = group.members.get(oldMemberId)!;
    old.awaitingJoin?.(failedJoin(ErrorCode.FENCED_INSTANCE_ID, oldMemberId));
    old.awaitingJoin = null;
    old.awaitingSync?.(failedSync(ErrorCode.FENCED_INSTANCE_ID));
    old.awaitingSync = null;
    // The subscription the group was assigned from: a member restored after a broker restart only
    // knows the selected protocol's (as Kafka's), so only that one is compared.
    const metadataUnchanged = group.protocolName !== null
      && p.protocols.some((x) => x.name === group.protocolName && x.metadata.equals(old.metadataFor(group.protocolName)));
    const previous = { protocols: old.protocols, sessionTimeoutMs: old.sessionTimeoutMs, rebalanceTimeoutMs: old.rebalanceTimeoutMs, clientId: old.clientId, clientHost: old.clientHost };
    const member = group.replaceStaticMember(oldMemberId, newMemberId);
    member.rejoinedWith(p);
    this.#rebalance.scheduleSession(group, member);
    switch (group.state) {
      case 'Stable':
        if (metadataUnchanged && group.selectProtocol() === group.protocolName) {
          // Nothing the others were assigned from has changed: no rebalance. The new member id is
          // made durable first (as Kafka), then the member syncs at this generation and gets its
          // assignment back.
          const generation = group.generationId;
          this.#rebalance.persist(group).then(() => {
            const isLeader = group.isLeader(newMemberId);
            if (isLeader && p.supportsSkipAssignment) respond(joinResponse(group, member, true, true));
            else respond(joinResponse(group, member, false));
          }, (err: unknown) => {
            this.#log.warn({ err, group: group.groupId, instance: p.groupInstanceId }, 'static member replacement could not be written; reverted');
            if (group.members.get(newMemberId) === member && group.generationId === generation) {
              group.replaceStaticMember(newMemberId, oldMemberId);
              member.rejoinedWith(previous);
              this.#rebalance.scheduleSession(group, member);
            }
            respond(failedJoin(ErrorCode.COORDINATOR_NOT_AVAILABLE, ''));
          });
          return;
        }
        member.awaitingJoin = respond;
        this.#rebalance.prepareRebalance(group, `static member ${p.groupInstanceId} rejoined with new metadata`);
        return;
      case 'CompletingRebalance':
        // The old member id may already be in the leader's assignment: rebalance so that it matches.
        member.awaitingJoin = respond;
        this.#rebalance.prepareRebalance(group, `static member ${p.groupInstanceId} rejoined while completing a rebalance`);
        return;
      default:
        member.awaitingJoin = respond;
        this.#rebalance.maybeCompleteJoin(group);
    }
  }

  // ---- SyncGroup ----

  sync(p: SyncGroupParams): Promise<SyncResult> {
    const group = this.#groups.get(p.groupId);
    if (!group) return Promise.resolve(failedSync(ErrorCode.UNKNOWN_MEMBER_ID));
    const memberError = validateMember(group, p.memberId, p.groupInstanceId);
    if (memberError !== ErrorCode.NONE) return Promise.resolve(failedSync(memberError));
    if (p.generationId !== group.generationId) return Promise.resolve(failedSync(ErrorCode.ILLEGAL_GENERATION));
    if ((p.protocolType !== null && p.protocolType !== group.protocolType) || (p.protocolName !== null && p.protocolName !== group.protocolName)) {
      return Promise.resolve(failedSync(ErrorCode.INCONSISTENT_GROUP_PROTOCOL));
    }
    const member = group.members.get(p.memberId)!;
    switch (group.state) {
      case 'PreparingRebalance':
        return Promise.resolve(failedSync(ErrorCode.REBALANCE_IN_PROGRESS));
      case 'CompletingRebalance':
        return new Promise<SyncResult>((respond) => {
          member.awaitingSync?.(failedSync(ErrorCode.REBALANCE_IN_PROGRESS));
          member.awaitingSync = respond;
          group.pendingSync.delete(member.memberId);
          this.#rebalance.scheduleSession(group, member);
          if (group.isLeader(member.memberId)) this.#applyLeaderAssignment(group, p.assignments);
        });
      case 'Stable':
        group.pendingSync.delete(member.memberId);
        this.#rebalance.scheduleSession(group, member);
        return Promise.resolve({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
      default:
        return Promise.resolve(failedSync(ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  /**
   * The leader's assignments, byte for byte; members it left out get empty bytes, as in Kafka.
   * As Kafka's classicGroupSync, the group with them is made durable before anyone is answered, and
   * only if the group is still completing this generation does it become Stable; if the write
   * fails, every waiting member gets the error and the group rebalances.
   */
  #applyLeaderAssignment(group: ClassicGroup, assignments: { memberId: string; assignment: Buffer }[]): void {
    const byMember = new Map(assignments.map((a) => [a.memberId, a.assignment]));
    const assignment = new Map([...group.members.keys()].map((id) => [id, byMember.get(id) ?? EMPTY_BYTES]));
    const generation = group.generationId;
    const current = () => group.state === 'CompletingRebalance' && group.generationId === generation && this.#groups.get(group.groupId) === group;
    this.#rebalance.persist(group, assignment).then(() => {
      if (!current()) return;
      for (const m of group.members.values()) m.assignment = assignment.get(m.memberId) ?? EMPTY_BYTES;
      group.transitionTo('Stable', this.#now());
      for (const m of group.members.values()) {
        const respond = m.awaitingSync;
        m.awaitingSync = null;
        respond?.({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: m.assignment });
      }
      this.#log.debug({ group: group.groupId, generation: group.generationId }, 'group stable');
    }, (err: unknown) => {
      if (!current()) return;
      this.#log.error({ err, group: group.groupId, generation }, 'group assignment could not be written');
      for (const m of group.members.values()) {
        m.assignment = EMPTY_BYTES;
        const respond = m.awaitingSync;
        m.awaitingSync = null;
        respond?.(failedSync(ErrorCode.COORDINATOR_NOT_AVAILABLE));
      }
      this.#rebalance.maybePrepareRebalanceOrCompleteJoin(group, 'the group assignment could not be written');
    });
  }

  // ---- Heartbeat, LeaveGroup ----

  heartbeat(p: { groupId: string; generationId: number; memberId: string; groupInstanceId: string | null }): number {
    const group = this.#groups.get(p.groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    const memberError = validateMember(group, p.memberId, p.groupInstanceId);
    if (memberError !== ErrorCode.NONE) return memberError;
    if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    const member = group.members.get(p.memberId)!;
    switch (group.state) {
      case 'PreparingRebalance':
        this.#rebalance.scheduleSession(group, member);
        return ErrorCode.REBALANCE_IN_PROGRESS;
      case 'CompletingRebalance':
      case 'Stable':
        this.#rebalance.scheduleSession(group, member);
        return ErrorCode.NONE;
      default:
        return ErrorCode.UNKNOWN_MEMBER_ID;
    }
  }

  /** Returns the group-level error and one error per member asked for. */
  leave(groupId: string, leaving: MemberIdentity[]): { errorCode: number; members: (MemberIdentity & { errorCode: number })[] } {
    const group = this.#groups.get(groupId);
    if (!group) return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID, members: [] };
    const results: (MemberIdentity & { errorCode: number })[] = [];
    let removedAny = false;
    for (const who of leaving) {
      let memberId = who.memberId;
      if (memberId === '' && who.groupInstanceId !== null) memberId = group.staticMembers.get(who.groupInstanceId) ?? '';
      const pendingTimer = group.pendingMembers.get(memberId);
      if (pendingTimer !== undefined && who.groupInstanceId === null) {
        clearTimeout(pendingTimer);
        group.pendingMembers.delete(memberId);
        results.push({ ...who, errorCode: ErrorCode.NONE });
        continue;
      }
      const error = memberId === '' ? ErrorCode.UNKNOWN_MEMBER_ID : validateMember(group, memberId, who.groupInstanceId);
      results.push({ ...who, errorCode: error });
      if (error !== ErrorCode.NONE) continue;
      this.#rebalance.removeMember(group, group.members.get(memberId)!, ErrorCode.UNKNOWN_MEMBER_ID);
      removedAny = true;
    }
    if (removedAny && (group.state === 'Stable' || group.state === 'CompletingRebalance')) this.#rebalance.prepareRebalance(group, 'members left the group');
    else this.#rebalance.maybeCompleteJoin(group);
    return { errorCode: ErrorCode.NONE, members: results };
  }

  // ---- OffsetCommit's member check ----

  /**
   * Kafka's ClassicGroup.validateOffsetCommit, in its order. An accepted commit from a member
   * counts as a heartbeat.
   */
  acceptCommit(p: CommitterIdentity): number {
    const group = this.#groups.get(p.groupId);
    if (!group) {
      if (p.generationId < 0) return ErrorCode.NONE;
      return p.apiVersion >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION;
    }
    // Without a generation the commit comes from the admin client or a consumer that manages its
    // own partitions: accepted while the group has no members.
    if (p.generationId < 0 && group.state === 'Empty') return ErrorCode.NONE;
    let member: GroupMember | undefined;
    if (p.generationId >= 0 || p.memberId !== '' || p.groupInstanceId !== null) {
      const memberError = validateMember(group, p.memberId, p.groupInstanceId);
      if (memberError !== ErrorCode.NONE) return memberError;
      if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
      member = group.members.get(p.memberId);
    } else if (group.state !== 'Empty') {
      return ErrorCode.UNKNOWN_MEMBER_ID;
    }
    if (group.state === 'CompletingRebalance') return ErrorCode.REBALANCE_IN_PROGRESS;
    if (member) this.#rebalance.scheduleSession(group, member);
    return ErrorCode.NONE;
  }

  // ---- DescribeGroups, ListGroups ----

  describe(groupId: string): GroupDescription {
    const group = this.#groups.get(groupId);
    if (!group) return deadGroup(groupId, ErrorCode.NONE);
    const stable = group.state === 'Stable';
    return {
      errorCode: ErrorCode.NONE,
      groupId,
      state: group.state,
      protocolType: group.protocolType ?? '',
      protocolData: stable ? group.protocolName ?? '' : '',
      generationId: group.generationId,
      // As Kafka: metadata and assignments are described only once the group is stable.
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId, groupInstanceId: m.groupInstanceId, clientId: m.clientId, clientHost: m.clientHost,
        memberMetadata: stable ? m.metadataFor(group.protocolName) : EMPTY_BYTES,
        memberAssignment: stable ? m.assignment : EMPTY_BYTES,
      })),
    };
  }

  list(): GroupOverview[] {
    return [...this.#groups.values()].map((g) => ({ groupId: g.groupId, state: g.state, protocolType: g.protocolType ?? '', members: g.members.size }));
  }
}

function validateMember(group: ClassicGroup, memberId: string, groupInstanceId: string | null): number {
  if (groupInstanceId === null) return group.members.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
  const holder = group.staticMembers.get(groupInstanceId);
  if (holder === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
  return holder === memberId ? ErrorCode.NONE : ErrorCode.FENCED_INSTANCE_ID;
}
