// The timed half of the classic rebalance protocol: preparing a rebalance, the initial delay,
// completing the join, the sync and session timeouts, and removing members. Follows Kafka's GroupMetadataManager.
import type { Logger } from 'pino';
import type { GroupCoordinatorSettings } from '../config.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { type ClassicGroup, EMPTY_BYTES, type GroupMember, type JoinResult, type SyncResult } from './classic-group.ts';
import { classicGroupEntry, classicGroupTombstone, type ClassicGroupLogEntry } from './classic-group-log.ts';

/** Where classic group state is made durable (the coordinator's log); absent: kept in memory only. */
export interface ClassicGroupStore {
  /** Resolves once the entries are durable; rejects when they could not be written. */
  append(entries: readonly ClassicGroupLogEntry[]): Promise<void>;
}

export function failedJoin(errorCode: number, memberId = ''): JoinResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

export function failedSync(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}

export function unrefTimer(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
  const t = setTimeout(fn, Math.max(0, ms));
  t.unref?.();
  return t;
}

/** A successful JoinGroup answer; only the leader gets the members (`withMembers`). */
export function joinResponse(group: ClassicGroup, member: GroupMember, withMembers: boolean, skipAssignment = false): JoinResult {
  return {
    errorCode: ErrorCode.NONE,
    generationId: group.generationId,
    protocolType: group.protocolType,
    protocolName: group.protocolName,
    leader: group.leaderId ?? '',
    skipAssignment,
    memberId: member.memberId,
    members: withMembers
      ? [...group.members.values()].map((m) => ({ memberId: m.memberId, groupInstanceId: m.groupInstanceId, metadata: m.metadataFor(group.protocolName) }))
      : [],
  };
}

export interface RebalancerOptions {
  /** The live groups, shared with GroupMembership: a group no longer in it has been deleted. */
  groups: Map<string, ClassicGroup>;
  settings: Readonly<Pick<GroupCoordinatorSettings, 'groupInitialRebalanceDelayMs'>>;
  log: Logger;
  now: () => number;
  /** Whether the group still has committed offsets (an empty group without any is forgotten). */
  hasOffsets: (groupId: string) => boolean;
  store?: ClassicGroupStore;
}

export class Rebalancer {
  readonly #groups: Map<string, ClassicGroup>;
  readonly #settings: Readonly<Pick<GroupCoordinatorSettings, 'groupInitialRebalanceDelayMs'>>;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #hasOffsets: (groupId: string) => boolean;
  readonly #store: ClassicGroupStore | undefined;

  constructor(options: RebalancerOptions) {
    this.#store = options.store;
    this.#groups = options.groups;
    this.#settings = options.settings;
    this.#log = options.log;
    this.#now = options.now;
    this.#hasOffsets = options.hasOffsets;
  }

  maybePrepareRebalanceOrCompleteJoin(group: ClassicGroup, reason: string): void {
    if (group.canRebalance()) this.prepareRebalance(group, reason);
    else this.maybeCompleteJoin(group);
  }

  prepareRebalance(group: ClassicGroup, reason: string): void {
    if (group.state === 'CompletingRebalance') {
      // Assignments of the generation being completed are void: whoever waits for one retries.
      for (const m of group.members.values()) {
        m.assignment = EMPTY_BYTES;
        const waiting = m.awaitingSync;
        m.awaitingSync = null;
        waiting?.(failedSync(ErrorCode.REBALANCE_IN_PROGRESS));
      }
    }
    clearTimeout(group.syncTimer);
    group.syncTimer = undefined;
    group.pendingSync.clear();
    clearTimeout(group.rebalanceTimer);
    const delay = this.#settings.groupInitialRebalanceDelayMs;
    if (group.state === 'Empty' && delay > 0) {
      group.initialDelay = { remainingMs: Math.max(group.rebalanceTimeoutMs() - delay, 0), newMemberAdded: false };
      group.rebalanceTimer = unrefTimer(() => this.#onInitialDelayElapsed(group), delay);
    } else {
      group.initialDelay = null;
      group.rebalanceTimer = unrefTimer(() => this.#completeJoin(group), group.rebalanceTimeoutMs());
    }
    group.transitionTo('PreparingRebalance', this.#now());
    this.#log.debug({ group: group.groupId, generation: group.generationId, reason }, 'preparing to rebalance group');
    this.maybeCompleteJoin(group);
  }

  #onInitialDelayElapsed(group: ClassicGroup): void {
    const d = group.initialDelay;
    if (d && d.newMemberAdded && d.remainingMs > 0) {
      // Kafka extends the wait while members keep arriving, up to the rebalance timeout.
      const next = Math.min(this.#settings.groupInitialRebalanceDelayMs, d.remainingMs);
      group.initialDelay = { remainingMs: d.remainingMs - next, newMemberAdded: false };
      group.rebalanceTimer = unrefTimer(() => this.#onInitialDelayElapsed(group), next);
      return;
    }
    this.#completeJoin(group);
  }

  maybeCompleteJoin(group: ClassicGroup): void {
    if (group.state !== 'PreparingRebalance' || group.initialDelay) return;
    if (group.hasAllMembersJoined()) this.#completeJoin(group);
  }

  #completeJoin(group: ClassicGroup): void {
    if (group.state !== 'PreparingRebalance' || this.#groups.get(group.groupId) !== group) return;
    clearTimeout(group.rebalanceTimer);
    group.rebalanceTimer = undefined;
    group.initialDelay = null;
    // Dynamic members that did not rejoin in time are gone; static ones stay until their session expires.
    for (const m of [...group.members.values()]) {
      if (!m.awaitingJoin && m.groupInstanceId === null) this.removeMember(group, m, ErrorCode.UNKNOWN_MEMBER_ID);
    }
    const joined = [...group.members.values()].filter((m) => m.awaitingJoin);
    if (joined.length === 0 && group.members.size > 0) {
      // Only static members that have not rejoined are left: wait for them, or for their sessions to end.
      group.rebalanceTimer = unrefTimer(() => this.#completeJoin(group), group.rebalanceTimeoutMs());
      return;
    }
    if (group.leaderId !== null && !group.members.get(group.leaderId)?.awaitingJoin && joined.length > 0) {
      group.leaderId = joined[0]!.memberId;
    }
    group.generationId++;
    const now = this.#now();
    if (group.members.size === 0) {
      group.protocolName = null;
      group.transitionTo('Empty', now);
      this.#log.debug({ group: group.groupId, generation: group.generationId }, 'group is empty');
      // As Kafka: a failure only warns, since an empty generation has no member to mislead; a
      // restart before the next write brings back the last generation, whose members then expire.
      this.persist(group).catch((err: unknown) => this.#log.warn({ err, group: group.groupId }, 'empty classic group could not be written'));
      return;
    }
    group.protocolName = group.selectProtocol();
    group.transitionTo('CompletingRebalance', now);
    for (const m of joined) {
      const respond = m.awaitingJoin!;
      m.awaitingJoin = null;
      m.isNew = false;
      this.scheduleSession(group, m);
      respond(joinResponse(group, m, group.isLeader(m.memberId)));
    }
    for (const id of group.members.keys()) group.pendingSync.add(id);
    const generation = group.generationId;
    group.syncTimer = unrefTimer(() => this.#onSyncTimeout(group, generation), group.rebalanceTimeoutMs());
    this.#log.debug({ group: group.groupId, generation, members: group.members.size, protocol: group.protocolName }, 'join completed');
  }

  #onSyncTimeout(group: ClassicGroup, generation: number): void {
    if (group.generationId !== generation || group.pendingSync.size === 0) return;
    if (group.state !== 'CompletingRebalance' && group.state !== 'Stable') return;
    for (const id of [...group.pendingSync]) {
      const m = group.members.get(id);
      if (m) this.removeMember(group, m, ErrorCode.UNKNOWN_MEMBER_ID);
    }
    group.pendingSync.clear();
    this.prepareRebalance(group, 'members did not sync in time');
  }

  /** A member id handed out with MEMBER_ID_REQUIRED expires unless it rejoins within its session. */
  expirePendingMember(group: ClassicGroup, memberId: string): void {
    if (!group.pendingMembers.delete(memberId)) return;
    this.maybeCompleteJoin(group);
    this.#maybeForgetEmptyGroup(group);
  }

  /** Removes the member; anything it waits for is answered with `errorCode`. */
  removeMember(group: ClassicGroup, member: GroupMember, errorCode: number): void {
    clearTimeout(member.sessionTimer);
    group.remove(member.memberId);
    const join = member.awaitingJoin;
    const sync = member.awaitingSync;
    member.awaitingJoin = null;
    member.awaitingSync = null;
    join?.(failedJoin(errorCode, member.memberId));
    sync?.(failedSync(errorCode));
  }

  #removeMemberAndUpdateGroup(group: ClassicGroup, member: GroupMember, reason: string): void {
    this.removeMember(group, member, ErrorCode.UNKNOWN_MEMBER_ID);
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.prepareRebalance(group, reason);
        return;
      case 'PreparingRebalance':
        this.maybeCompleteJoin(group);
        return;
      default:
    }
  }

  /** (Re)starts the member's session: it is evicted if nothing is heard from it for sessionTimeoutMs. */
  scheduleSession(group: ClassicGroup, member: GroupMember): void {
    clearTimeout(member.sessionTimer);
    member.sessionTimer = unrefTimer(() => this.#onSessionExpired(group, member), member.sessionTimeoutMs);
  }

  #onSessionExpired(group: ClassicGroup, member: GroupMember): void {
    if (group.members.get(member.memberId) !== member) return;
    // A member waiting for a JoinGroup or SyncGroup response is not silent: the rebalance and sync
    // timeouts bound those waits instead.
    if (member.awaitingJoin || member.awaitingSync) {
      this.scheduleSession(group, member);
      return;
    }
    this.#log.info({ group: group.groupId, member: member.memberId, sessionTimeoutMs: member.sessionTimeoutMs }, 'member session expired');
    this.#removeMemberAndUpdateGroup(group, member, `member ${member.memberId} session expired`);
  }

  /** An empty group with no offsets left is forgotten, as Kafka's cleanup does. */
  #maybeForgetEmptyGroup(group: ClassicGroup): void {
    if (group.state === 'Empty' && group.members.size === 0 && group.pendingMembers.size === 0 && !this.#hasOffsets(group.groupId)) {
      this.#drop(group);
    }
  }

  /** Deletes an empty group (DeleteGroups, expired offsets); a group with members stays. */
  forget(group: ClassicGroup): void {
    if (group.members.size > 0 || group.state !== 'Empty') return;
    this.#drop(group);
  }

  #drop(group: ClassicGroup): void {
    this.clearTimers(group);
    if (this.#groups.get(group.groupId) === group) this.#groups.delete(group.groupId);
    group.transitionTo('Dead', this.#now());
    if (group.persisted) {
      // Not already tombstoned with the group's offsets (DeleteGroups, expiry): a restart must not bring it back.
      group.persisted = false;
      this.#store?.append([classicGroupTombstone(group.groupId)])
        .catch((err: unknown) => this.#log.warn({ err, group: group.groupId }, 'classic group deletion could not be written'));
    }
  }

  /**
   * Makes the group's state durable (a GroupMetadataValue, in Kafka's terms), with `assignments`
   * as the members' assignments when given; resolves at once without a store.
   */
  async persist(group: ClassicGroup, assignments: ReadonlyMap<string, Buffer> = new Map()): Promise<void> {
    if (!this.#store) return;
    await this.#store.append([classicGroupEntry(group, assignments)]);
    group.persisted = true;
  }

  clearTimers(group: ClassicGroup): void {
    clearTimeout(group.rebalanceTimer);
    clearTimeout(group.syncTimer);
    for (const t of group.pendingMembers.values()) clearTimeout(t);
    for (const m of group.members.values()) clearTimeout(m.sessionTimer);
  }
}
