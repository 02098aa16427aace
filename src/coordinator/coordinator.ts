// The group coordinator on the main thread: the classic rebalance protocol (JoinGroup, SyncGroup,
// Heartbeat, LeaveGroup), session/rebalance timeouts, and committed offsets kept durable in an
// OffsetsStore. With one broker it coordinates every group. Follows Kafka's GroupMetadataManager.
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { ErrorCode } from '../protocol/errors.ts';
import {
  ClassicGroup, EMPTY_BYTES, GroupMember, type GroupState, type JoinResult, type MemberProtocol, type SyncResult,
} from './classic-group.ts';
import type { CommittedOffset, OffsetLogEntry, OffsetsStore } from './offsets-log.ts';

export interface GroupCoordinatorSettings {
  /** group.min.session.timeout.ms */
  groupMinSessionTimeoutMs: number;
  /** group.max.session.timeout.ms */
  groupMaxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms: how long the first rebalance of an empty group waits for more members. */
  groupInitialRebalanceDelayMs: number;
  /** offsets.retention.minutes, in ms: how long an empty group's offsets are kept. */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms */
  offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes */
  offsetMetadataMaxBytes: number;
}

export const DEFAULT_GROUP_COORDINATOR_SETTINGS: Readonly<GroupCoordinatorSettings> = Object.freeze({
  groupMinSessionTimeoutMs: 6_000,
  groupMaxSessionTimeoutMs: 1_800_000,
  // Kafka's default is 3 s; a short delay still folds consumers started together into one rebalance.
  groupInitialRebalanceDelayMs: 300,
  offsetsRetentionMs: 7 * 24 * 60 * 60 * 1000,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetMetadataMaxBytes: 4096,
});

export interface GroupCoordinatorOptions {
  store: OffsetsStore;
  /** Whether a topic partition exists now (commits to others get UNKNOWN_TOPIC_OR_PARTITION). */
  partitionExists: (topic: string, partition: number) => boolean;
  log: Logger;
  settings?: Partial<GroupCoordinatorSettings>;
  now?: () => number;
  /** Runs last in close(): releases what the owner opened for the coordinator. */
  onClose?: () => Promise<void>;
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

export interface OffsetCommitParams {
  groupId: string;
  generationId: number;
  memberId: string;
  groupInstanceId: string | null;
  /** v9+ answers GROUP_ID_NOT_FOUND where older versions get ILLEGAL_GENERATION. */
  apiVersion: number;
  topics: { name: string; partitions: { partitionIndex: number; committedOffset: bigint; committedLeaderEpoch: number; committedMetadata: string | null }[] }[];
}

export interface PartitionError {
  partitionIndex: number;
  errorCode: number;
}

export interface TopicPartitionErrors {
  name: string;
  partitions: PartitionError[];
}

export interface FetchedOffset {
  partitionIndex: number;
  committedOffset: bigint;
  committedLeaderEpoch: number;
  metadata: string;
  errorCode: number;
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

export interface CommittedPartitionOffset extends CommittedOffset {
  topic: string;
  partition: number;
}

type OffsetsByTopic = Map<string, Map<number, CommittedOffset>>;

function failedJoin(errorCode: number, memberId = ''): JoinResult {
  return { errorCode, generationId: -1, protocolType: null, protocolName: null, leader: '', skipAssignment: false, memberId, members: [] };
}

function failedSync(errorCode: number): SyncResult {
  return { errorCode, protocolType: null, protocolName: null, assignment: EMPTY_BYTES };
}

function unrefTimer(fn: () => void, ms: number): ReturnType<typeof setTimeout> {
  const t = setTimeout(fn, Math.max(0, ms));
  t.unref?.();
  return t;
}

export class GroupCoordinator {
  readonly settings: GroupCoordinatorSettings;
  readonly #store: OffsetsStore;
  readonly #partitionExists: (topic: string, partition: number) => boolean;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #onClose: (() => Promise<void>) | undefined;
  readonly #groups = new Map<string, ClassicGroup>();
  readonly #offsets = new Map<string, OffsetsByTopic>();
  #loading = true;
  #closed = false;
  #retentionTimer: ReturnType<typeof setInterval> | undefined;

  constructor(options: GroupCoordinatorOptions) {
    this.settings = { ...DEFAULT_GROUP_COORDINATOR_SETTINGS, ...options.settings };
    this.#store = options.store;
    this.#partitionExists = options.partitionExists;
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#onClose = options.onClose;
  }

  get loading(): boolean {
    return this.#loading;
  }

  /**
   * Replays the committed offsets (`replay` calls back once per log entry), then serves. Until
   * then every group request gets COORDINATOR_LOAD_IN_PROGRESS, which clients retry.
   */
  async load(replay: (apply: (entry: OffsetLogEntry) => void) => Promise<unknown>): Promise<void> {
    await replay((entry) => this.#applyEntry(entry));
    for (const groupId of this.#offsets.keys()) this.#groupOrCreate(groupId);
    this.#loading = false;
    this.#retentionTimer = setInterval(() => void this.expireOffsets().catch((err: unknown) => {
      this.#log.error({ err }, 'offsets expiry failed');
    }), this.settings.offsetsRetentionCheckIntervalMs);
    this.#retentionTimer.unref?.();
  }

  /** Loads nothing: for a coordinator whose store starts empty (tests). */
  markLoaded(): void {
    this.#loading = false;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#retentionTimer);
    for (const group of this.#groups.values()) this.#clearTimers(group);
    await this.#onClose?.();
  }

  /** With one broker, this broker coordinates every group (NOT_COORDINATOR is never sent). */
  ownsGroup(_groupId: string): boolean {
    return true;
  }

  /** The error every group request answers before doing anything, or NONE. */
  #gate(groupId: string | null): number {
    if (groupId === null || groupId === '') return ErrorCode.INVALID_GROUP_ID;
    if (this.#closed) return ErrorCode.COORDINATOR_NOT_AVAILABLE;
    if (this.#loading) return ErrorCode.COORDINATOR_LOAD_IN_PROGRESS;
    if (!this.ownsGroup(groupId)) return ErrorCode.NOT_COORDINATOR;
    return ErrorCode.NONE;
  }

  #groupOrCreate(groupId: string): ClassicGroup {
    let group = this.#groups.get(groupId);
    if (!group) {
      group = new ClassicGroup(groupId, this.#now());
      this.#groups.set(groupId, group);
    }
    return group;
  }

  // ---- JoinGroup ----

  joinGroup(p: JoinGroupParams): Promise<JoinResult> {
    const gate = this.#gate(p.groupId);
    if (gate !== ErrorCode.NONE) return Promise.resolve(failedJoin(gate, p.memberId));
    const { groupMinSessionTimeoutMs: min, groupMaxSessionTimeoutMs: max } = this.settings;
    if (p.sessionTimeoutMs < min || p.sessionTimeoutMs > max) return Promise.resolve(failedJoin(ErrorCode.INVALID_SESSION_TIMEOUT, p.memberId));
    const isUnknownMember = p.memberId === '';
    let group = this.#groups.get(p.groupId);
    if (!group) {
      if (!isUnknownMember) return Promise.resolve(failedJoin(ErrorCode.UNKNOWN_MEMBER_ID, p.memberId));
      group = this.#groupOrCreate(p.groupId);
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
      group.pendingMembers.set(newMemberId, unrefTimer(() => this.#expirePendingMember(group, newMemberId), p.sessionTimeoutMs));
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
    const memberError = this.#validateMember(group, p.memberId, p.groupInstanceId);
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
          this.#scheduleSession(group, member);
          respond(this.#joinResponse(group, member, group.isLeader(member.memberId)));
        } else this.#updateMemberAndRebalance(group, member, p, respond);
        return;
      case 'Stable':
        if (group.isLeader(member.memberId) || !member.matches(p.protocols)) this.#updateMemberAndRebalance(group, member, p, respond);
        else {
          this.#scheduleSession(group, member);
          respond(this.#joinResponse(group, member, false));
        }
        return;
      default:
        respond(failedJoin(ErrorCode.UNKNOWN_MEMBER_ID, p.memberId));
    }
  }

  #joinResponse(group: ClassicGroup, member: GroupMember, withMembers: boolean, skipAssignment = false): JoinResult {
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

  #addMemberAndRebalance(group: ClassicGroup, memberId: string, p: JoinGroupParams, respond: (r: JoinResult) => void): void {
    const member = new GroupMember({
      memberId, groupInstanceId: p.groupInstanceId, clientId: p.clientId, clientHost: p.clientHost,
      sessionTimeoutMs: p.sessionTimeoutMs, rebalanceTimeoutMs: p.rebalanceTimeoutMs, protocolType: p.protocolType, protocols: p.protocols,
    });
    member.awaitingJoin = respond;
    group.add(member);
    if (group.initialDelay) group.initialDelay.newMemberAdded = true;
    this.#scheduleSession(group, member);
    this.#maybePrepareRebalanceOrCompleteJoin(group, `member ${memberId} joined`);
  }

  #updateMemberAndRebalance(group: ClassicGroup, member: GroupMember, p: JoinGroupParams, respond: (r: JoinResult) => void): void {
    // A second JoinGroup from the same member supersedes the first; its response would be stale.
    member.awaitingJoin?.(failedJoin(ErrorCode.REBALANCE_IN_PROGRESS, member.memberId));
    member.protocols = p.protocols;
    member.protocolType = p.protocolType;
    member.sessionTimeoutMs = p.sessionTimeoutMs;
    member.rebalanceTimeoutMs = p.rebalanceTimeoutMs;
    member.clientId = p.clientId;
    member.clientHost = p.clientHost;
    member.awaitingJoin = respond;
    this.#scheduleSession(group, member);
    this.#maybePrepareRebalanceOrCompleteJoin(group, `member ${member.memberId} rejoined`);
  }

  /** A static member restarted: it takes over its old member id's place (KIP-345). */
  #rejoinStaticMember(group: ClassicGroup, oldMemberId: string, newMemberId: string, p: JoinGroupParams, respond: (r: JoinResult) => void): void {
    const old = group.members.get(oldMemberId)!;
    old.awaitingJoin?.(failedJoin(ErrorCode.FENCED_INSTANCE_ID, oldMemberId));
    old.awaitingJoin = null;
    old.awaitingSync?.(failedSync(ErrorCode.FENCED_INSTANCE_ID));
    old.awaitingSync = null;
    const metadataUnchanged = old.matches(p.protocols);
    const member = group.replaceStaticMember(oldMemberId, newMemberId);
    member.protocols = p.protocols;
    member.sessionTimeoutMs = p.sessionTimeoutMs;
    member.rebalanceTimeoutMs = p.rebalanceTimeoutMs;
    member.clientId = p.clientId;
    member.clientHost = p.clientHost;
    this.#scheduleSession(group, member);
    switch (group.state) {
      case 'Stable':
        if (metadataUnchanged && group.selectProtocol() === group.protocolName) {
          // Nothing the others were assigned from has changed: no rebalance. The member syncs at
          // this generation and gets its assignment back.
          const isLeader = group.isLeader(newMemberId);
          if (isLeader && p.supportsSkipAssignment) respond(this.#joinResponse(group, member, true, true));
          else respond(this.#joinResponse(group, member, false));
          return;
        }
        member.awaitingJoin = respond;
        this.#prepareRebalance(group, `static member ${p.groupInstanceId} rejoined with new metadata`);
        return;
      case 'CompletingRebalance':
        // The old member id may already be in the leader's assignment: rebalance so that it matches.
        member.awaitingJoin = respond;
        this.#prepareRebalance(group, `static member ${p.groupInstanceId} rejoined while completing a rebalance`);
        return;
      default:
        member.awaitingJoin = respond;
        this.#maybeCompleteJoin(group);
    }
  }

  #validateMember(group: ClassicGroup, memberId: string, groupInstanceId: string | null): number {
    if (groupInstanceId === null) return group.members.has(memberId) ? ErrorCode.NONE : ErrorCode.UNKNOWN_MEMBER_ID;
    const holder = group.staticMembers.get(groupInstanceId);
    if (holder === undefined) return ErrorCode.UNKNOWN_MEMBER_ID;
    return holder === memberId ? ErrorCode.NONE : ErrorCode.FENCED_INSTANCE_ID;
  }

  #maybePrepareRebalanceOrCompleteJoin(group: ClassicGroup, reason: string): void {
    if (group.canRebalance()) this.#prepareRebalance(group, reason);
    else this.#maybeCompleteJoin(group);
  }

  #prepareRebalance(group: ClassicGroup, reason: string): void {
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
    const delay = this.settings.groupInitialRebalanceDelayMs;
    if (group.state === 'Empty' && delay > 0) {
      group.initialDelay = { remainingMs: Math.max(group.rebalanceTimeoutMs() - delay, 0), newMemberAdded: false };
      group.rebalanceTimer = unrefTimer(() => this.#onInitialDelayElapsed(group), delay);
    } else {
      group.initialDelay = null;
      group.rebalanceTimer = unrefTimer(() => this.#completeJoin(group), group.rebalanceTimeoutMs());
    }
    group.transitionTo('PreparingRebalance', this.#now());
    this.#log.debug({ group: group.groupId, generation: group.generationId, reason }, 'preparing to rebalance group');
    this.#maybeCompleteJoin(group);
  }

  #onInitialDelayElapsed(group: ClassicGroup): void {
    const d = group.initialDelay;
    if (d && d.newMemberAdded && d.remainingMs > 0) {
      // Kafka extends the wait while members keep arriving, up to the rebalance timeout.
      const next = Math.min(this.settings.groupInitialRebalanceDelayMs, d.remainingMs);
      group.initialDelay = { remainingMs: d.remainingMs - next, newMemberAdded: false };
      group.rebalanceTimer = unrefTimer(() => this.#onInitialDelayElapsed(group), next);
      return;
    }
    this.#completeJoin(group);
  }

  #maybeCompleteJoin(group: ClassicGroup): void {
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
      if (!m.awaitingJoin && m.groupInstanceId === null) this.#removeMember(group, m, ErrorCode.UNKNOWN_MEMBER_ID);
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
      return;
    }
    group.protocolName = group.selectProtocol();
    group.transitionTo('CompletingRebalance', now);
    for (const m of joined) {
      const respond = m.awaitingJoin!;
      m.awaitingJoin = null;
      m.isNew = false;
      this.#scheduleSession(group, m);
      respond(this.#joinResponse(group, m, group.isLeader(m.memberId)));
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
      if (m) this.#removeMember(group, m, ErrorCode.UNKNOWN_MEMBER_ID);
    }
    group.pendingSync.clear();
    this.#prepareRebalance(group, 'members did not sync in time');
  }

  #expirePendingMember(group: ClassicGroup, memberId: string): void {
    if (!group.pendingMembers.delete(memberId)) return;
    this.#maybeCompleteJoin(group);
    this.#maybeForgetEmptyGroup(group);
  }

  /** Removes the member; anything it waits for is answered with `errorCode`. */
  #removeMember(group: ClassicGroup, member: GroupMember, errorCode: number): void {
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
    this.#removeMember(group, member, ErrorCode.UNKNOWN_MEMBER_ID);
    switch (group.state) {
      case 'Stable':
      case 'CompletingRebalance':
        this.#prepareRebalance(group, reason);
        return;
      case 'PreparingRebalance':
        this.#maybeCompleteJoin(group);
        return;
      default:
    }
  }

  /** (Re)starts the member's session: it is evicted if nothing is heard from it for sessionTimeoutMs. */
  #scheduleSession(group: ClassicGroup, member: GroupMember): void {
    clearTimeout(member.sessionTimer);
    member.sessionTimer = unrefTimer(() => this.#onSessionExpired(group, member), member.sessionTimeoutMs);
  }

  #onSessionExpired(group: ClassicGroup, member: GroupMember): void {
    if (group.members.get(member.memberId) !== member) return;
    // A member waiting for a JoinGroup or SyncGroup response is not silent: the rebalance and sync
    // timeouts bound those waits instead.
    if (member.awaitingJoin || member.awaitingSync) {
      this.#scheduleSession(group, member);
      return;
    }
    this.#log.info({ group: group.groupId, member: member.memberId, sessionTimeoutMs: member.sessionTimeoutMs }, 'member session expired');
    this.#removeMemberAndUpdateGroup(group, member, `member ${member.memberId} session expired`);
  }

  /** An empty group with no offsets left is forgotten, as Kafka's cleanup does. */
  #maybeForgetEmptyGroup(group: ClassicGroup): void {
    if (group.state === 'Empty' && group.members.size === 0 && group.pendingMembers.size === 0 && !this.#offsets.has(group.groupId)) {
      this.#clearTimers(group);
      if (this.#groups.get(group.groupId) === group) this.#groups.delete(group.groupId);
      group.transitionTo('Dead', this.#now());
    }
  }

  #clearTimers(group: ClassicGroup): void {
    clearTimeout(group.rebalanceTimer);
    clearTimeout(group.syncTimer);
    for (const t of group.pendingMembers.values()) clearTimeout(t);
    for (const m of group.members.values()) clearTimeout(m.sessionTimer);
  }

  // ---- SyncGroup ----

  syncGroup(p: SyncGroupParams): Promise<SyncResult> {
    const gate = this.#gate(p.groupId);
    if (gate !== ErrorCode.NONE) return Promise.resolve(failedSync(gate));
    const group = this.#groups.get(p.groupId);
    if (!group) return Promise.resolve(failedSync(ErrorCode.UNKNOWN_MEMBER_ID));
    const memberError = this.#validateMember(group, p.memberId, p.groupInstanceId);
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
          this.#scheduleSession(group, member);
          if (group.isLeader(member.memberId)) this.#applyLeaderAssignment(group, p.assignments);
        });
      case 'Stable':
        group.pendingSync.delete(member.memberId);
        this.#scheduleSession(group, member);
        return Promise.resolve({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: member.assignment });
      default:
        return Promise.resolve(failedSync(ErrorCode.UNKNOWN_MEMBER_ID));
    }
  }

  /** The leader's assignments, byte for byte; members it left out get empty bytes, as in Kafka. */
  #applyLeaderAssignment(group: ClassicGroup, assignments: { memberId: string; assignment: Buffer }[]): void {
    const byMember = new Map(assignments.map((a) => [a.memberId, a.assignment]));
    for (const m of group.members.values()) m.assignment = byMember.get(m.memberId) ?? EMPTY_BYTES;
    group.transitionTo('Stable', this.#now());
    for (const m of group.members.values()) {
      const respond = m.awaitingSync;
      m.awaitingSync = null;
      respond?.({ errorCode: ErrorCode.NONE, protocolType: group.protocolType, protocolName: group.protocolName, assignment: m.assignment });
    }
    this.#log.debug({ group: group.groupId, generation: group.generationId }, 'group stable');
  }

  // ---- Heartbeat ----

  heartbeat(p: { groupId: string; generationId: number; memberId: string; groupInstanceId: string | null }): number {
    const gate = this.#gate(p.groupId);
    if (gate !== ErrorCode.NONE) return gate;
    const group = this.#groups.get(p.groupId);
    if (!group) return ErrorCode.UNKNOWN_MEMBER_ID;
    const memberError = this.#validateMember(group, p.memberId, p.groupInstanceId);
    if (memberError !== ErrorCode.NONE) return memberError;
    if (p.generationId !== group.generationId) return ErrorCode.ILLEGAL_GENERATION;
    const member = group.members.get(p.memberId)!;
    switch (group.state) {
      case 'PreparingRebalance':
        this.#scheduleSession(group, member);
        return ErrorCode.REBALANCE_IN_PROGRESS;
      case 'CompletingRebalance':
      case 'Stable':
        this.#scheduleSession(group, member);
        return ErrorCode.NONE;
      default:
        return ErrorCode.UNKNOWN_MEMBER_ID;
    }
  }

  // ---- LeaveGroup ----

  /** Returns the group-level error and one error per member asked for. */
  leaveGroup(groupId: string, leaving: MemberIdentity[]): { errorCode: number; members: (MemberIdentity & { errorCode: number })[] } {
    const gate = this.#gate(groupId);
    if (gate !== ErrorCode.NONE) return { errorCode: gate, members: [] };
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
      const error = memberId === '' ? ErrorCode.UNKNOWN_MEMBER_ID : this.#validateMember(group, memberId, who.groupInstanceId);
      results.push({ ...who, errorCode: error });
      if (error !== ErrorCode.NONE) continue;
      this.#removeMember(group, group.members.get(memberId)!, ErrorCode.UNKNOWN_MEMBER_ID);
      removedAny = true;
    }
    if (removedAny && (group.state === 'Stable' || group.state === 'CompletingRebalance')) this.#prepareRebalance(group, 'members left the group');
    else this.#maybeCompleteJoin(group);
    return { errorCode: ErrorCode.NONE, members: results };
  }

  // ---- committed offsets ----

  #applyEntry(entry: OffsetLogEntry): void {
    let byTopic = this.#offsets.get(entry.group);
    if (entry.value === null) {
      const partitions = byTopic?.get(entry.topic);
      if (!byTopic || !partitions) return;
      partitions.delete(entry.partition);
      if (partitions.size === 0) byTopic.delete(entry.topic);
      if (byTopic.size === 0) this.#offsets.delete(entry.group);
      return;
    }
    if (!byTopic) this.#offsets.set(entry.group, byTopic = new Map());
    let partitions = byTopic.get(entry.topic);
    if (!partitions) byTopic.set(entry.topic, partitions = new Map());
    partitions.set(entry.partition, entry.value);
  }

  /** Kafka's ClassicGroup.validateOffsetCommit, in its order. */
  #validateCommit(p: OffsetCommitParams): { errorCode: number; group?: ClassicGroup; member?: GroupMember } {
    const gate = this.#gate(p.groupId);
    if (gate !== ErrorCode.NONE) return { errorCode: gate };
    const group = this.#groups.get(p.groupId);
    if (!group) {
      if (p.generationId < 0) return { errorCode: ErrorCode.NONE };
      return { errorCode: p.apiVersion >= 9 ? ErrorCode.GROUP_ID_NOT_FOUND : ErrorCode.ILLEGAL_GENERATION };
    }
    // Without a generation the commit comes from the admin client or a consumer that manages its
    // own partitions: accepted while the group has no members.
    if (p.generationId < 0 && group.state === 'Empty') return { errorCode: ErrorCode.NONE, group };
    let member: GroupMember | undefined;
    if (p.generationId >= 0 || p.memberId !== '' || p.groupInstanceId !== null) {
      const memberError = this.#validateMember(group, p.memberId, p.groupInstanceId);
      if (memberError !== ErrorCode.NONE) return { errorCode: memberError };
      if (p.generationId !== group.generationId) return { errorCode: ErrorCode.ILLEGAL_GENERATION };
      member = group.members.get(p.memberId);
    } else if (group.state !== 'Empty') {
      return { errorCode: ErrorCode.UNKNOWN_MEMBER_ID };
    }
    if (group.state === 'CompletingRebalance') return { errorCode: ErrorCode.REBALANCE_IN_PROGRESS };
    return { errorCode: ErrorCode.NONE, group, member };
  }

  /** Resolves once the accepted offsets are durable; errors are per partition, in request order. */
  async commitOffsets(p: OffsetCommitParams): Promise<TopicPartitionErrors[]> {
    const check = this.#validateCommit(p);
    const every = (errorCode: number) => p.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((x) => ({ partitionIndex: x.partitionIndex, errorCode })) }));
    if (check.errorCode !== ErrorCode.NONE) return every(check.errorCode);
    if (check.group && check.member) this.#scheduleSession(check.group, check.member);
    const commitTimestamp = BigInt(this.#now());
    const entries: OffsetLogEntry[] = [];
    const results = p.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((x) => {
        let errorCode: number = ErrorCode.NONE;
        if (!this.#partitionExists(t.name, x.partitionIndex)) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else if (x.committedMetadata !== null && Buffer.byteLength(x.committedMetadata) > this.settings.offsetMetadataMaxBytes) errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
        else {
          entries.push({
            group: p.groupId, topic: t.name, partition: x.partitionIndex,
            value: { offset: x.committedOffset, leaderEpoch: x.committedLeaderEpoch, metadata: x.committedMetadata, commitTimestamp },
          });
        }
        return { partitionIndex: x.partitionIndex, errorCode };
      }),
    }));
    if (entries.length === 0) return results;
    try {
      await this.#store.append(entries);
    } catch (err) {
      this.#log.error({ err, group: p.groupId }, 'offset commit could not be written');
      for (const t of results) for (const x of t.partitions) if (x.errorCode === ErrorCode.NONE) x.errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
      return results;
    }
    // Applied only once durable, so a fetch never returns an offset a crash could take back.
    for (const e of entries) this.#applyEntry(e);
    this.#groupOrCreate(p.groupId);
    return results;
  }

  /**
   * Committed offsets of one group: of the partitions asked for (-1 where none is committed), or of
   * every partition with a commit when `topics` is null.
   */
  fetchOffsets(groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null): { errorCode: number; topics: { name: string; partitions: FetchedOffset[] }[] } {
    const gate = this.#gate(groupId);
    if (gate !== ErrorCode.NONE) return { errorCode: gate, topics: [] };
    const byTopic = this.#offsets.get(groupId);
    const found = (c: CommittedOffset | undefined, partitionIndex: number): FetchedOffset => c
      ? { partitionIndex, committedOffset: c.offset, committedLeaderEpoch: c.leaderEpoch, metadata: c.metadata ?? '', errorCode: ErrorCode.NONE }
      : { partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE };
    if (topics === null) {
      return {
        errorCode: ErrorCode.NONE,
        topics: [...(byTopic ?? new Map<string, Map<number, CommittedOffset>>())].map(([name, partitions]) => ({
          name, partitions: [...partitions].sort((a, b) => a[0] - b[0]).map(([i, c]) => found(c, i)),
        })),
      };
    }
    return {
      errorCode: ErrorCode.NONE,
      topics: topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((i) => found(byTopic?.get(t.name)?.get(i), i)) })),
    };
  }

  // ---- DescribeGroups, ListGroups, DeleteGroups, OffsetDelete ----

  describeGroup(groupId: string): GroupDescription {
    const gate = this.#gate(groupId);
    const dead: GroupDescription = { errorCode: gate, groupId, state: 'Dead', protocolType: '', protocolData: '', generationId: -1, members: [] };
    if (gate !== ErrorCode.NONE) return dead;
    const group = this.#groups.get(groupId);
    if (!group) return dead;
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

  listGroups(): GroupOverview[] {
    if (this.#loading) return [];
    return [...this.#groups.values()].map((g) => ({ groupId: g.groupId, state: g.state, protocolType: g.protocolType ?? '', members: g.members.size }));
  }

  /** Every committed offset of the group (for lag: compare with each partition's high watermark). */
  committedOffsets(groupId: string): CommittedPartitionOffset[] {
    const out: CommittedPartitionOffset[] = [];
    for (const [topic, partitions] of this.#offsets.get(groupId) ?? []) {
      for (const [partition, c] of partitions) out.push({ topic, partition, ...c });
    }
    return out;
  }

  /** Deletes empty groups and their offsets (tombstones first); per group: NONE, NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND. */
  async deleteGroups(groupIds: string[]): Promise<{ groupId: string; errorCode: number }[]> {
    const results: { groupId: string; errorCode: number }[] = [];
    const entries: OffsetLogEntry[] = [];
    const deleting: ClassicGroup[] = [];
    for (const groupId of groupIds) {
      const gate = this.#gate(groupId);
      const group = this.#groups.get(groupId);
      let errorCode: number = gate;
      if (gate === ErrorCode.NONE) {
        if (!group) errorCode = ErrorCode.GROUP_ID_NOT_FOUND;
        else if (group.state !== 'Empty') errorCode = ErrorCode.NON_EMPTY_GROUP;
      }
      results.push({ groupId, errorCode });
      if (errorCode !== ErrorCode.NONE) continue;
      deleting.push(group!);
      entries.push(...this.#tombstones(groupId));
    }
    if (entries.length > 0) {
      try {
        await this.#store.append(entries);
      } catch (err) {
        this.#log.error({ err }, 'group deletion could not be written');
        for (const r of results) if (r.errorCode === ErrorCode.NONE) r.errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
        return results;
      }
    }
    for (const e of entries) this.#applyEntry(e);
    for (const g of deleting) this.#forget(g);
    return results;
  }

  #tombstones(groupId: string, topics?: (topic: string, partition: number) => boolean): OffsetLogEntry[] {
    const out: OffsetLogEntry[] = [];
    for (const [topic, partitions] of this.#offsets.get(groupId) ?? []) {
      for (const partition of partitions.keys()) {
        if (!topics || topics(topic, partition)) out.push({ group: groupId, topic, partition, value: null });
      }
    }
    return out;
  }

  #forget(group: ClassicGroup): void {
    if (group.members.size > 0 || group.state !== 'Empty') return;
    this.#clearTimers(group);
    if (this.#groups.get(group.groupId) === group) this.#groups.delete(group.groupId);
    group.transitionTo('Dead', this.#now());
  }

  async deleteOffsets(groupId: string, topics: { name: string; partitionIndexes: number[] }[]): Promise<{ errorCode: number; topics: TopicPartitionErrors[] }> {
    const gate = this.#gate(groupId);
    if (gate !== ErrorCode.NONE) return { errorCode: gate, topics: [] };
    const group = this.#groups.get(groupId);
    if (!group) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    if (group.state !== 'Empty' && group.protocolType !== 'consumer') return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
    const subscribed = group.state === 'Empty' ? new Set<string>() : group.subscribedTopics();
    const committed = this.#offsets.get(groupId);
    const entries: OffsetLogEntry[] = [];
    const results = topics.map((t) => ({
      name: t.name,
      partitions: t.partitionIndexes.map((partitionIndex) => {
        let errorCode: number = ErrorCode.NONE;
        if (!this.#partitionExists(t.name, partitionIndex)) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else if (subscribed === 'unknown' || subscribed.has(t.name)) errorCode = ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC;
        else if (committed?.get(t.name)?.has(partitionIndex)) entries.push({ group: groupId, topic: t.name, partition: partitionIndex, value: null });
        return { partitionIndex, errorCode };
      }),
    }));
    if (entries.length > 0) {
      try {
        await this.#store.append(entries);
      } catch (err) {
        this.#log.error({ err, group: groupId }, 'offset deletion could not be written');
        return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, topics: [] };
      }
      for (const e of entries) this.#applyEntry(e);
    }
    return { errorCode: ErrorCode.NONE, topics: results };
  }

  /**
   * Offsets retention (offsets.retention.minutes, KIP-211): an empty group's offsets are deleted
   * once it has been empty for the retention period; offsets of a group that never had members
   * (simple commits, or loaded at start-up) expire one by one, counted from their commit.
   */
  async expireOffsets(): Promise<number> {
    if (this.#loading || this.#closed) return 0;
    const now = this.#now();
    const retention = this.settings.offsetsRetentionMs;
    const entries: OffsetLogEntry[] = [];
    const emptied: ClassicGroup[] = [];
    for (const group of this.#groups.values()) {
      if (group.state !== 'Empty' || group.pendingMembers.size > 0) continue;
      const hadMembers = group.protocolType !== null;
      const expired = this.#tombstones(group.groupId, (topic, partition) => {
        if (hadMembers) return now - group.stateSince >= retention;
        const c = this.#offsets.get(group.groupId)!.get(topic)!.get(partition)!;
        return now - Number(c.commitTimestamp) >= retention;
      });
      entries.push(...expired);
      emptied.push(group);
    }
    if (entries.length > 0) await this.#store.append(entries);
    for (const e of entries) this.#applyEntry(e);
    for (const g of emptied) if (!this.#offsets.has(g.groupId)) this.#forget(g);
    if (entries.length > 0) this.#log.info({ expired: entries.length }, 'expired committed offsets');
    return entries.length;
  }
}
