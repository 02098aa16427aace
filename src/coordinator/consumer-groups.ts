// The consumer group protocol of KIP-848 on the broker: ConsumerGroupHeartbeat (join, heartbeat,
// leave), ConsumerGroupDescribe, the member checks of OffsetCommit/OffsetFetch, session and
// rebalance timeouts, static members, and the durable group state. The GroupCoordinator checks the
// group id first and routes here. Follows Kafka's GroupMetadataManager (read in its
// group-coordinator module) in its order of checks and its error messages.
//
// A heartbeat does, in order: find or create the group and the member; take the member's new
// subscription; bump the group epoch when a subscription or the subscribed topics changed, and then
// compute a new target assignment with the group's assignor; move the member one reconciliation
// step towards its target (consumer-group.ts); write what changed to the log; answer.
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import { RE2JS } from 're2js';
import type { GroupCoordinatorSettings } from '../config.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { ASSIGNORS, type Assignment, type ConsumerGroupAssignor, emptyAssignment } from './consumer-assignors.ts';
import {
  ConsumerGroup, type ConsumerGroupMember, type ConsumerGroupState, copyAssignment, isReconciledTo, LEAVE_GROUP_MEMBER_EPOCH,
  LEAVE_GROUP_STATIC_MEMBER_EPOCH, newMember, type OwnedTopicPartitions, reconcile, sameAssignment,
} from './consumer-group.ts';
import type { ConsumerGroupLogEntry } from './consumer-group-log.ts';
import { migrationPolicy } from '../config.ts';
import type { ClassicGroup, JoinGroupParams, JoinResult, MemberIdentity, SyncGroupParams, SyncResult } from './classic-group.ts';
import { classicGroupEntry, type ClassicGroupLogEntry } from './classic-group-log.ts';
import {
  allClassicExcept, classicGroupFromConsumer, CONSUMER_PROTOCOL_TYPE, consumerGroupFromClassic, decodeSubscription, encodeAssignment,
  ownedPartitions, protocolVersion, type TopicNames,
} from './group-migration.ts';
import type { ConsumerProtocolSubscription } from '../protocol/generated/consumer-protocol-subscription.ts';
import { failedJoin, failedSync } from './rebalance.ts';

type LogEntry = ConsumerGroupLogEntry | ClassicGroupLogEntry;

/** A topic as the assignors see it. */
export interface TopicView {
  name: string;
  topicId: string;
  partitions: number;
  internal: boolean;
}

export interface ConsumerGroupHeartbeatParams {
  groupId: string;
  memberId: string;
  memberEpoch: number;
  instanceId: string | null;
  rackId: string | null;
  rebalanceTimeoutMs: number;
  subscribedTopicNames: string[] | null;
  subscribedTopicRegex: string | null;
  serverAssignor: string | null;
  topicPartitions: OwnedTopicPartitions[] | null;
  clientId: string;
  clientHost: string;
  apiVersion: number;
}

export interface ConsumerGroupHeartbeatResult {
  errorCode: number;
  errorMessage: string | null;
  memberId: string | null;
  memberEpoch: number;
  heartbeatIntervalMs: number;
  assignment: { topicPartitions: { topicId: string; partitions: number[] }[] } | null;
}

export interface DescribedTopicPartitions {
  topicId: string;
  topicName: string;
  partitions: number[];
}

export interface ConsumerGroupDescription {
  errorCode: number;
  errorMessage: string | null;
  groupId: string;
  groupState: string;
  groupEpoch: number;
  assignmentEpoch: number;
  assignorName: string;
  members: {
    memberId: string; instanceId: string | null; rackId: string | null; memberEpoch: number; clientId: string; clientHost: string;
    subscribedTopicNames: string[]; subscribedTopicRegex: string | null;
    assignment: { topicPartitions: DescribedTopicPartitions[] }; targetAssignment: { topicPartitions: DescribedTopicPartitions[] };
  }[];
}

/** A request Kafka refuses with this error and message. */
export class GroupApiError extends Error {
  readonly errorCode: number;
  constructor(errorCode: number, message: string) {
    super(message);
    this.errorCode = errorCode;
  }
}

export interface ConsumerGroupsOptions {
  settings: Readonly<GroupCoordinatorSettings>;
  log: Logger;
  now: () => number;
  /** Durable before it resolves (the coordinator's log). */
  write: (entries: LogEntry[]) => Promise<void>;
  topics: () => Iterable<TopicView>;
  /** Whether a classic group of this id exists, and whether it is empty (a consumer group may replace it then). */
  classicGroup: (groupId: string) => 'none' | 'empty' | 'not-empty';
  /** Forgets the empty classic group a new consumer group replaces (Kafka keeps its offsets). */
  dropEmptyClassicGroup: (groupId: string) => void;
  /** The classic group of this id with members (online upgrade), if any. */
  classicGroupWithMembers?: (groupId: string) => ClassicGroup | undefined;
  /** The classic group leaves the classic protocol (upgrade): its waiters are answered; returns its tombstone. */
  detachClassicGroup?: (group: ClassicGroup) => ClassicGroupLogEntry[];
  /** A downgraded group joins the classic groups and rebalances. */
  adoptClassicGroup?: (group: ClassicGroup) => void;
}

function failed(errorCode: number, errorMessage: string | null): ConsumerGroupHeartbeatResult {
  return { errorCode, errorMessage, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null };
}

function toWireAssignment(a: Assignment): { topicId: string; partitions: number[] }[] {
  return [...a].map(([topicId, s]) => ({ topicId, partitions: [...s].sort((x, y) => x - y) }));
}

export class ConsumerGroups {
  readonly #settings: Readonly<GroupCoordinatorSettings>;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #write: (entries: LogEntry[]) => Promise<void>;
  readonly #options: ConsumerGroupsOptions;
  readonly #policy: { upgrade: boolean; downgrade: boolean };
  /** Classic members' join (rebalance) and sync timers, by group and member. */
  readonly #joinTimers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #syncTimers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #topics: () => Iterable<TopicView>;
  readonly #classicGroup: ConsumerGroupsOptions['classicGroup'];
  readonly #dropEmptyClassicGroup: ConsumerGroupsOptions['dropEmptyClassicGroup'];
  readonly #groups = new Map<string, ConsumerGroup>();
  readonly #assignors: ConsumerGroupAssignor[];
  readonly #sessionTimers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #rebalanceTimers = new Map<string, ReturnType<typeof setTimeout>>();
  readonly #regexCache = new Map<string, RE2JS>();
  readonly #assignTimers = new Map<string, ReturnType<typeof setTimeout>>();
  /** When each group's target assignment was last computed (ms). */
  readonly #lastAssignment = new Map<string, number>();

  constructor(options: ConsumerGroupsOptions) {
    this.#settings = options.settings;
    this.#log = options.log;
    this.#now = options.now;
    this.#write = options.write;
    this.#options = options;
    this.#policy = migrationPolicy(options.settings.groupConsumerMigrationPolicy ?? 'bidirectional');
    this.#topics = options.topics;
    this.#classicGroup = options.classicGroup;
    this.#dropEmptyClassicGroup = options.dropEmptyClassicGroup;
    this.#assignors = parseAssignors(options.settings.groupConsumerAssignors);
  }

  group(groupId: string): ConsumerGroup | undefined {
    return this.#groups.get(groupId);
  }

  groups(): IterableIterator<ConsumerGroup> {
    return this.#groups.values();
  }

  // ---- replay and timers ----

  apply(entry: ConsumerGroupLogEntry): void {
    if (entry.kind === 'cg-group') {
      if (entry.value === null) {
        this.#groups.delete(entry.group);
        return;
      }
      const g = this.#groupOrCreate(entry.group);
      g.groupEpoch = entry.value.groupEpoch;
      g.assignmentEpoch = entry.value.assignmentEpoch;
      g.subscriptionSignature = entry.value.subscriptionSignature;
      return;
    }
    const g = this.#groupOrCreate(entry.group);
    if (entry.value === null) g.removeMember(entry.memberId);
    else {
      g.updateMember(entry.value.member);
      g.targetAssignment.set(entry.memberId, entry.value.target);
    }
  }

  /** After replay: every member gets a fresh session (as Kafka does when it loads a group). */
  loaded(): void {
    for (const g of this.#groups.values()) {
      if (g.members.size === 0 && g.groupEpoch === 0) this.#groups.delete(g.groupId);
      if (g.groupEpoch > g.assignmentEpoch && g.members.size > 0) {
        // Stopped within an assignment interval: the target is computed now.
        this.#computeTargetAssignment(g);
        this.#lastAssignment.set(g.groupId, this.#now());
        const entries = [this.#groupRecord(g), ...[...g.members.values()].map((m) => this.#memberRecord(g, m))];
        this.#write(entries).catch((err: unknown) => this.#log.error({ err, group: g.groupId }, 'target assignment could not be written'));
      }
      for (const m of g.members.values()) {
        this.#scheduleSession(g.groupId, m.memberId, m.classic?.sessionTimeoutMs);
        if (m.state === 'unrevoked_partitions') this.#scheduleRebalanceTimeout(g.groupId, m);
      }
    }
  }

  clearTimers(): void {
    for (const t of this.#sessionTimers.values()) clearTimeout(t);
    for (const t of this.#rebalanceTimers.values()) clearTimeout(t);
    for (const t of this.#assignTimers.values()) clearTimeout(t);
    for (const t of this.#joinTimers.values()) clearTimeout(t);
    for (const t of this.#syncTimers.values()) clearTimeout(t);
    this.#joinTimers.clear();
    this.#syncTimers.clear();
    this.#assignTimers.clear();
    this.#sessionTimers.clear();
    this.#rebalanceTimers.clear();
  }

  #groupOrCreate(groupId: string): ConsumerGroup {
    let g = this.#groups.get(groupId);
    if (!g) {
      g = new ConsumerGroup(groupId, this.#now());
      this.#groups.set(groupId, g);
    }
    return g;
  }

  // ---- ConsumerGroupHeartbeat ----

  async heartbeat(p: ConsumerGroupHeartbeatParams): Promise<ConsumerGroupHeartbeatResult> {
    let outcome: { result: ConsumerGroupHeartbeatResult; entries: LogEntry[] };
    try {
      this.#validate(p);
      outcome = p.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH || p.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH ? this.#leave(p) : this.#heartbeat(p);
    } catch (err) {
      if (err instanceof GroupApiError) return failed(err.errorCode, err.message);
      throw err;
    }
    if (outcome.entries.length > 0) {
      try {
        await this.#write(outcome.entries);
      } catch (err) {
        this.#log.error({ err, group: p.groupId }, 'consumer group change could not be written');
        return failed(ErrorCode.COORDINATOR_NOT_AVAILABLE, 'The coordinator could not write the group change.');
      }
    }
    return outcome.result;
  }

  /** Kafka's throwIfConsumerGroupHeartbeatRequestIsInvalid, in its order. */
  #validate(p: ConsumerGroupHeartbeatParams): void {
    const invalid = (message: string) => new GroupApiError(ErrorCode.INVALID_REQUEST, message);
    if (p.groupId === '') throw invalid('GroupId can\'t be empty.');
    if (p.apiVersion >= 1 && p.memberId === '') throw invalid('MemberId can\'t be empty.');
    if (p.instanceId === '') throw invalid('InstanceId can\'t be empty.');
    if (p.rackId === '') throw invalid('RackId can\'t be empty.');
    if (p.memberEpoch > 0 || p.memberEpoch === LEAVE_GROUP_MEMBER_EPOCH) {
      if (p.memberId === '') throw invalid('MemberId can\'t be empty.');
    } else if (p.memberEpoch === 0) {
      if (p.rebalanceTimeoutMs === -1) throw invalid('RebalanceTimeoutMs must be provided in first request.');
      if (p.topicPartitions === null || p.topicPartitions.length > 0) throw invalid('TopicPartitions must be empty when (re-)joining.');
      // Kafka 4.4 takes an empty list of names (a member subscribed to nothing yet).
      if (p.subscribedTopicNames === null && p.subscribedTopicRegex === null) {
        throw invalid('Either SubscribedTopicNames or SubscribedTopicRegex must be non-null when (re-)joining.');
      }
    } else if (p.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
      if (p.memberId === '') throw invalid('MemberId can\'t be empty.');
      if (p.instanceId === null) throw invalid('InstanceId can\'t be null.');
    } else {
      throw invalid('MemberEpoch is invalid.');
    }
    if (p.subscribedTopicRegex !== null && p.subscribedTopicRegex !== '') this.#compile(p.subscribedTopicRegex);
    if (p.serverAssignor !== null && !this.#assignors.some((a) => a.name === p.serverAssignor)) {
      throw new GroupApiError(ErrorCode.UNSUPPORTED_ASSIGNOR, `ServerAssignor ${p.serverAssignor} is not supported. Supported assignors: ${this.#assignors.map((a) => a.name).join(', ')}.`);
    }
  }

  /** RE2 syntax in linear time (re2js): no pattern can make matching backtrack. */
  #compile(regex: string): RE2JS {
    let compiled = this.#regexCache.get(regex);
    if (compiled) return compiled;
    try {
      compiled = RE2JS.compile(regex);
    } catch (err) {
      // re2js keeps RE2's own description of the error in `error`, as RE2/J (Kafka's engine) words it.
      const why = (err as { error?: unknown }).error;
      throw new GroupApiError(ErrorCode.INVALID_REGULAR_EXPRESSION, `SubscribedTopicRegex \`${regex}\` is not a valid regular expression: ${typeof why === 'string' ? why : (err as Error).message}.`);
    }
    if (this.#regexCache.size >= 1024) this.#regexCache.delete(this.#regexCache.keys().next().value!);
    this.#regexCache.set(regex, compiled);
    return compiled;
  }

  #consumerGroup(groupId: string, create: boolean): { group: ConsumerGroup; created: boolean; converted: LogEntry[] | null } {
    const existing = this.#groups.get(groupId);
    if (existing) return { group: existing, created: false, converted: null };
    const classic = this.#classicGroup(groupId);
    if (classic === 'not-empty' && create) {
      const converted = this.#maybeUpgrade(groupId);
      if (converted) return { ...converted, created: false };
    }
    // Kafka's getOrMaybeCreateConsumerGroup: an empty classic group is replaced by a joining member;
    // one with members is not a consumer group (online upgrade is not served here).
    if (classic === 'not-empty' || (classic === 'empty' && !create)) throw new GroupApiError(ErrorCode.GROUP_ID_NOT_FOUND, `Group ${groupId} is not a consumer group.`);
    if (!create) throw new GroupApiError(ErrorCode.GROUP_ID_NOT_FOUND, `Consumer group ${groupId} not found.`);
    if (classic === 'empty') {
      this.#dropEmptyClassicGroup(groupId);
      this.#log.info({ group: groupId }, 'empty classic group converted to a consumer group');
    }
    return { group: this.#groupOrCreate(groupId), created: true, converted: null };
  }

  /** Kafka's validateOnlineUpgrade and convertToConsumerGroup; undefined when the upgrade is not allowed. */
  #maybeUpgrade(groupId: string): { group: ConsumerGroup; converted: LogEntry[] } | undefined {
    const classic = this.#options.classicGroupWithMembers?.(groupId);
    if (!classic || !this.#options.detachClassicGroup) return undefined;
    if (!this.#policy.upgrade) {
      this.#log.info({ group: groupId }, 'classic group not upgraded: the online upgrade is disabled (group.consumer.migration.policy)');
      return undefined;
    }
    if (classic.protocolType !== CONSUMER_PROTOCOL_TYPE) return undefined;
    if (classic.members.size > this.#settings.groupConsumerMaxSize) return undefined;
    let group: ConsumerGroup;
    try {
      group = consumerGroupFromClassic(classic, this.#topicNames(), this.#now());
    } catch (err) {
      this.#log.warn({ err, group: groupId }, 'classic group not upgraded: its embedded consumer protocol is malformed');
      throw new GroupApiError(ErrorCode.GROUP_ID_NOT_FOUND, `Cannot upgrade the classic group ${groupId} to consumer group because the embedded consumer protocol is malformed.`);
    }
    const converted: LogEntry[] = this.#options.detachClassicGroup(classic);
    group.subscriptionSignature = this.#subscriptionSignature(group);
    this.#groups.set(groupId, group);
    this.#lastAssignment.delete(groupId);
    for (const m of group.members.values()) this.#scheduleSession(groupId, m.memberId, m.classic?.sessionTimeoutMs);
    this.#log.info({ group: groupId, members: group.members.size, groupEpoch: group.groupEpoch }, 'classic group upgraded online to a consumer group');
    return { group, converted };
  }

  #topicNames(): TopicNames {
    const all = [...this.#topics()];
    const byName = new Map(all.map((t) => [t.name, t.topicId]));
    const byId = new Map(all.map((t) => [t.topicId, t.name]));
    return { idOf: (n) => byName.get(n), nameOf: (id) => byId.get(id) };
  }

  #heartbeat(p: ConsumerGroupHeartbeatParams): { result: ConsumerGroupHeartbeatResult; entries: LogEntry[] } {
    const joining = p.memberEpoch === 0;
    if (!joining && !this.#groups.has(p.groupId)) this.#consumerGroup(p.groupId, false);
    const { group, created, converted } = joining ? this.#consumerGroup(p.groupId, true) : { group: this.#groups.get(p.groupId)!, created: false, converted: null };
    // Kafka 4.4 starts a new group at epoch 1 (a first member subscribed to nothing gets epoch 1,
    // one subscribed to a topic epoch 2: the subscription bumps it once more).
    if (created) group.groupEpoch = 1;
    const entries: LogEntry[] = [...(converted ?? [])];
    const maxSize = this.#settings.groupConsumerMaxSize;
    if (group.members.size >= maxSize && (p.memberId === '' || !group.members.has(p.memberId))) {
      if (group.members.size === 0) this.#groups.delete(group.groupId);
      throw new GroupApiError(ErrorCode.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${maxSize} members.`);
    }
    // v0: the coordinator names the member, in Kafka's Uuid form (base64url of 16 random bytes).
    const memberId = p.memberId === '' ? randomBytes(16).toString('base64url') : p.memberId;
    const { member, replaced } = p.instanceId === null ? this.#dynamicMember(group, memberId, p) : this.#staticMember(group, memberId, p);

    const updated: ConsumerGroupMember = {
      ...member,
      instanceId: p.instanceId ?? member.instanceId,
      rackId: p.rackId ?? member.rackId,
      rebalanceTimeoutMs: p.rebalanceTimeoutMs !== -1 ? p.rebalanceTimeoutMs : member.rebalanceTimeoutMs,
      serverAssignor: p.serverAssignor ?? member.serverAssignor,
      subscribedTopicNames: p.subscribedTopicNames ?? member.subscribedTopicNames,
      subscribedTopicRegex: p.subscribedTopicRegex !== null ? (p.subscribedTopicRegex === '' ? null : p.subscribedTopicRegex) : member.subscribedTopicRegex,
      clientId: p.clientId,
      clientHost: p.clientHost,
    };
    // A subscription change bumps the group epoch; a member joining with none does not (Kafka 4.4).
    const subscriptionChanged = !sameList(updated.subscribedTopicNames, member.subscribedTopicNames) || updated.subscribedTopicRegex !== member.subscribedTopicRegex;
    const bump = this.#applyMemberUpdate(group, updated, replaced, subscriptionChanged, entries);
    if (bump || created || converted) {
      this.#maybeAssign(group);
      entries.push(this.#groupRecord(group));
      for (const m of group.members.values()) entries.push(this.#memberRecord(group, m));
    }

    let current = group.members.get(updated.memberId)!;
    if (!isReconciledTo(current, group.assignmentEpoch)) {
      const next = reconcile(current, group.assignmentEpoch, group.targetOf(current.memberId), (t, x) => group.currentPartitionEpoch(t, x), p.topicPartitions);
      if (next !== current) {
        group.updateMember(next);
        current = next;
        if (next.state === 'unrevoked_partitions') this.#scheduleRebalanceTimeout(group.groupId, next);
        else this.#cancelRebalanceTimeout(group.groupId, next.memberId);
      }
    }
    if (!(bump || created || converted) && !sameMember(current, member)) entries.push(this.#memberRecord(group, current));
    this.#scheduleSession(group.groupId, current.memberId);

    const full = joining || (p.rebalanceTimeoutMs !== -1 && p.subscribedTopicNames !== null && p.topicPartitions !== null);
    return {
      result: {
        errorCode: ErrorCode.NONE, errorMessage: null, memberId: current.memberId, memberEpoch: current.memberEpoch,
        heartbeatIntervalMs: this.#settings.groupConsumerHeartbeatIntervalMs,
        assignment: full || !sameAssignment(current.assigned, member.assigned) ? { topicPartitions: toWireAssignment(current.assigned) } : null,
      },
      entries,
    };
  }

  #dynamicMember(group: ConsumerGroup, memberId: string, p: ConsumerGroupHeartbeatParams): { member: ConsumerGroupMember; replaced: null } {
    const existing = group.members.get(memberId);
    if (!existing) {
      if (p.memberEpoch !== 0) throw new GroupApiError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${group.groupId}.`);
      this.#log.info({ group: group.groupId, memberId }, 'member joins the consumer group');
      return { member: newMember(memberId), replaced: null };
    }
    if (p.memberEpoch === 0) return { member: rejoined(existing), replaced: null };
    throwIfEpochInvalid(existing, p.memberEpoch, p.topicPartitions);
    return { member: existing, replaced: null };
  }

  #staticMember(group: ConsumerGroup, memberId: string, p: ConsumerGroupHeartbeatParams): { member: ConsumerGroupMember; replaced: ConsumerGroupMember | null } {
    const instanceId = p.instanceId!;
    const existing = group.staticMember(instanceId);
    if (p.memberEpoch === 0) {
      if (!existing) {
        this.#log.info({ group: group.groupId, memberId, instanceId }, 'static member joins the consumer group');
        const m = group.members.get(memberId);
        return { member: m ? rejoined(m) : newMember(memberId), replaced: null };
      }
      // Kafka 4.4 refuses the instance id while it is held, even to the member id holding it.
      if (existing.memberEpoch !== LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
        throw new GroupApiError(ErrorCode.UNRELEASED_INSTANCE_ID, `Static member ${memberId} with instance id ${instanceId} cannot join the group because the instance id is owned by ${existing.memberId} member.`);
      }
      this.#cancelTimers(group.groupId, existing.memberId);
      // The new incarnation keeps the old one's assignment, at epoch 0 (Kafka's replaceMember).
      return { member: { ...existing, memberId, memberEpoch: 0, previousMemberEpoch: 0 }, replaced: existing };
    }
    if (!existing) throw new GroupApiError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${instanceId} is unknown.`);
    if (existing.memberId !== memberId) {
      throw new GroupApiError(ErrorCode.FENCED_INSTANCE_ID, `Static member ${memberId} with instance id ${instanceId} was fenced by member ${existing.memberId}.`);
    }
    throwIfEpochInvalid(existing, p.memberEpoch, p.topicPartitions);
    return { member: existing, replaced: null };
  }

  #leave(p: ConsumerGroupHeartbeatParams): { result: ConsumerGroupHeartbeatResult; entries: LogEntry[] } {
    const group = this.#groups.get(p.groupId);
    if (!group) this.#consumerGroup(p.groupId, false);
    const g = group!;
    const result: ConsumerGroupHeartbeatResult = {
      errorCode: ErrorCode.NONE, errorMessage: null, memberId: p.memberId, memberEpoch: p.memberEpoch, heartbeatIntervalMs: 0, assignment: null,
    };
    let member: ConsumerGroupMember | undefined;
    if (p.instanceId === null) {
      member = g.members.get(p.memberId);
      if (!member) throw new GroupApiError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${p.memberId} is not a member of group ${g.groupId}.`);
    } else {
      member = g.staticMember(p.instanceId);
      if (!member) throw new GroupApiError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${p.instanceId} is unknown.`);
      if (member.memberId !== p.memberId) {
        throw new GroupApiError(ErrorCode.FENCED_INSTANCE_ID, `Static member ${p.memberId} with instance id ${p.instanceId} was fenced by member ${member.memberId}.`);
      }
      if (p.memberEpoch === LEAVE_GROUP_STATIC_MEMBER_EPOCH) {
        // Gone for a while: keeps its partitions (nobody else gets them) until its session expires.
        const leaving: ConsumerGroupMember = { ...member, memberEpoch: LEAVE_GROUP_STATIC_MEMBER_EPOCH, pendingRevocation: new Map() };
        g.updateMember(leaving);
        this.#cancelRebalanceTimeout(g.groupId, member.memberId);
        this.#log.info({ group: g.groupId, memberId: member.memberId, instanceId: p.instanceId }, 'static member left the consumer group for now');
        return { result: { ...result, memberId: member.memberId }, entries: [this.#memberRecord(g, leaving)] };
      }
    }
    this.#log.info({ group: g.groupId, memberId: member.memberId }, 'member left the consumer group');
    return { result, entries: this.#fence(g, member.memberId) };
  }

  /** Removes a member and bumps the group epoch: its partitions go to the others. */
  #fence(group: ConsumerGroup, memberId: string): LogEntry[] {
    const downgraded = this.#maybeDowngrade(group, memberId);
    if (downgraded) return downgraded;
    this.#cancelTimers(group.groupId, memberId);
    group.removeMember(memberId);
    group.groupEpoch += 1;
    group.subscriptionSignature = this.#subscriptionSignature(group);
    this.#maybeAssign(group);
    group.stateSince = this.#now();
    const entries: ConsumerGroupLogEntry[] = [{ kind: 'cg-member', group: group.groupId, memberId, value: null }, this.#groupRecord(group)];
    for (const m of group.members.values()) entries.push(this.#memberRecord(group, m));
    return entries;
  }

  #fenceFromTimer(groupId: string, memberId: string, why: string, onlyAtEpoch?: number): void {
    const group = this.#groups.get(groupId);
    const member = group?.members.get(memberId);
    if (!group || !member) return;
    if (onlyAtEpoch !== undefined && member.memberEpoch !== onlyAtEpoch) return;
    this.#log.info({ group: groupId, memberId, why }, 'member fenced from the consumer group');
    this.#write(this.#fence(group, memberId)).catch((err: unknown) => this.#log.error({ err, group: groupId }, 'fencing could not be written'));
  }

  // ---- online migration: the downgrade, and classic members inside a consumer group ----

  /** Kafka's validateOnlineDowngradeWithFencedMember and convertToClassicGroup; undefined when the group stays. */
  #maybeDowngrade(group: ConsumerGroup, leavingMemberId: string): LogEntry[] | undefined {
    if (!this.#options.adoptClassicGroup || !allClassicExcept(group, leavingMemberId) || group.members.size <= 1) return undefined;
    if (!this.#policy.downgrade) {
      this.#log.info({ group: group.groupId }, 'consumer group not downgraded: the online downgrade is disabled (group.consumer.migration.policy)');
      return undefined;
    }
    const classic = classicGroupFromConsumer(group, leavingMemberId, this.#topicNames(), this.#now());
    for (const m of group.members.values()) this.#cancelTimers(group.groupId, m.memberId);
    const entries: LogEntry[] = [...group.members.keys()].map((memberId) => ({ kind: 'cg-member' as const, group: group.groupId, memberId, value: null }));
    entries.push(...this.tombstones(group));
    entries.push(classicGroupEntry(classic, new Map([...classic.members.values()].map((m) => [m.memberId, m.assignment]))));
    this.#groups.delete(group.groupId);
    this.#lastAssignment.delete(group.groupId);
    clearTimeout(this.#assignTimers.get(group.groupId));
    this.#assignTimers.delete(group.groupId);
    this.#log.info({ group: group.groupId, members: classic.members.size, generation: classic.generationId }, 'consumer group downgraded online to a classic group');
    this.#options.adoptClassicGroup(classic);
    return entries;
  }

  #classicMember(group: ConsumerGroup, memberId: string, instanceId: string | null): ConsumerGroupMember {
    let member: ConsumerGroupMember | undefined;
    if (instanceId === null) {
      member = group.members.get(memberId);
      if (!member) throw new GroupApiError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${memberId} is not a member of group ${group.groupId}.`);
    } else {
      member = group.staticMember(instanceId);
      if (!member) throw new GroupApiError(ErrorCode.UNKNOWN_MEMBER_ID, `Member with instance id ${instanceId} is not a member of group ${group.groupId}.`);
      if (member.memberId !== memberId) {
        throw new GroupApiError(ErrorCode.FENCED_INSTANCE_ID, `Static member ${memberId} with instance id ${instanceId} was fenced by member ${member.memberId}.`);
      }
    }
    if (member.classic === null) throw new GroupApiError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${member.memberId} does not use the classic protocol.`);
    return member;
  }

  #timer(timers: Map<string, ReturnType<typeof setTimeout>>, groupId: string, memberId: string, ms: number, why: string, ifAbsent: boolean): void {
    const key = `${groupId}\0${memberId}`;
    if (ifAbsent && timers.has(key)) return;
    clearTimeout(timers.get(key));
    const t = setTimeout(() => {
      timers.delete(key);
      this.#fenceFromTimer(groupId, memberId, why);
    }, Math.max(0, ms));
    t.unref?.();
    timers.set(key, t);
  }

  #cancelTimer(timers: Map<string, ReturnType<typeof setTimeout>>, groupId: string, memberId: string): void {
    const key = `${groupId}\0${memberId}`;
    clearTimeout(timers.get(key));
    timers.delete(key);
  }

  /** Kafka's classicGroupJoinToConsumerGroup: a classic JoinGroup into a consumer group with members. */
  async classicJoin(p: JoinGroupParams, apiVersion: number): Promise<JoinResult> {
    let outcome: { result: JoinResult; entries: LogEntry[] };
    try {
      outcome = this.#classicJoin(p, apiVersion);
    } catch (err) {
      if (err instanceof GroupApiError) return failedJoin(err.errorCode, p.memberId);
      throw err;
    }
    if (outcome.entries.length > 0) {
      try {
        await this.#write(outcome.entries);
      } catch (err) {
        this.#log.error({ err, group: p.groupId }, 'consumer group change could not be written');
        return failedJoin(ErrorCode.COORDINATOR_NOT_AVAILABLE, p.memberId);
      }
    }
    const member = this.#groups.get(p.groupId)?.members.get(outcome.result.memberId);
    if (outcome.result.errorCode === ErrorCode.NONE && member) {
      this.#cancelTimer(this.#joinTimers, p.groupId, member.memberId);
      this.#scheduleSession(p.groupId, member.memberId, p.sessionTimeoutMs);
      this.#timer(this.#syncTimers, p.groupId, member.memberId, p.rebalanceTimeoutMs, 'the member failed to sync within timeout', false);
    }
    return outcome.result;
  }

  #classicJoin(p: JoinGroupParams, _apiVersion: number): { result: JoinResult; entries: LogEntry[] } {
    const group = this.#groups.get(p.groupId)!;
    const { groupMinSessionTimeoutMs: min, groupMaxSessionTimeoutMs: max } = this.#settings;
    if (p.sessionTimeoutMs < min || p.sessionTimeoutMs > max) throw new GroupApiError(ErrorCode.INVALID_SESSION_TIMEOUT, 'invalid session timeout');
    const isUnknown = p.memberId === '';
    const memberId = isUnknown ? randomBytes(16).toString('base64url') : p.memberId;
    const maxSize = this.#settings.groupConsumerMaxSize;
    if (group.members.size >= maxSize && !group.members.has(memberId)) {
      throw new GroupApiError(ErrorCode.GROUP_MAX_SIZE_REACHED, `The consumer group has reached its maximum capacity of ${maxSize} members.`);
    }
    // Kafka's ConsumerGroup.supportsClassicProtocols: type "consumer" and a protocol every classic member has.
    const classicMembers = [...group.members.values()].filter((m) => m.classic !== null);
    const names = p.protocols.map((x) => x.name);
    const supported = p.protocolType === CONSUMER_PROTOCOL_TYPE && names.length > 0
      && (classicMembers.length === 0 || names.some((n) => classicMembers.every((m) => m.classic!.protocols.some((x) => x.name === n))));
    if (!supported) throw new GroupApiError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, `Member ${memberId}'s protocols are not supported.`);
    if (p.requireKnownMemberId && isUnknown && p.groupInstanceId === null) {
      this.#log.info({ group: p.groupId, memberId }, 'classic member with unknown member id joins the consumer group: member id required');
      return { result: { ...failedJoin(ErrorCode.MEMBER_ID_REQUIRED, memberId) }, entries: [] };
    }
    const entries: LogEntry[] = [];
    let member: ConsumerGroupMember;
    let replaced: ConsumerGroupMember | null = null;
    if (p.groupInstanceId === null) {
      member = group.members.get(memberId) ?? newMember(memberId);
    } else {
      const existing = group.staticMember(p.groupInstanceId);
      if (!existing) member = group.members.get(memberId) ?? newMember(memberId);
      else if (existing.memberId === memberId) member = existing;
      else if (isUnknown) {
        // A new incarnation of the static member takes its place and its assignment (Kafka's replaceMember).
        replaced = existing;
        this.#cancelTimers(group.groupId, existing.memberId);
        member = { ...existing, memberId, memberEpoch: 0, previousMemberEpoch: 0 };
      } else {
        throw new GroupApiError(ErrorCode.FENCED_INSTANCE_ID, `Static member ${memberId} with instance id ${p.groupInstanceId} was fenced by member ${existing.memberId}.`);
      }
    }
    let sub: ConsumerProtocolSubscription;
    try {
      sub = decodeSubscription(p.protocols[0]!.metadata);
    } catch {
      throw new GroupApiError(ErrorCode.UNKNOWN_SERVER_ERROR, 'Malformed embedded consumer protocol in subscription deserialization.');
    }
    const updated: ConsumerGroupMember = {
      ...member,
      instanceId: p.groupInstanceId ?? member.instanceId,
      rackId: sub.rackId ?? member.rackId,
      rebalanceTimeoutMs: p.rebalanceTimeoutMs !== -1 ? p.rebalanceTimeoutMs : member.rebalanceTimeoutMs,
      serverAssignor: null,
      subscribedTopicNames: [...sub.topics],
      clientId: p.clientId,
      clientHost: p.clientHost,
      classic: { sessionTimeoutMs: p.sessionTimeoutMs, protocols: p.protocols.map((x) => ({ name: x.name, metadata: x.metadata })) },
    };
    const isNew = !group.members.has(updated.memberId) && replaced === null;
    const subscriptionChanged = isNew ? updated.subscribedTopicNames.length > 0 : !sameList(updated.subscribedTopicNames, member.subscribedTopicNames) || updated.subscribedTopicRegex !== member.subscribedTopicRegex;
    const bump = this.#applyMemberUpdate(group, updated, replaced, subscriptionChanged, entries);
    if (bump) {
      this.#maybeAssign(group);
      entries.push(this.#groupRecord(group));
    }
    let current = group.members.get(updated.memberId)!;
    if (!isReconciledTo(current, group.assignmentEpoch)) {
      const owned = ownedPartitions(sub, this.#topicNames());
      const next = reconcile(current, group.assignmentEpoch, group.targetOf(current.memberId), (t, x) => group.currentPartitionEpoch(t, x), owned);
      if (next !== current) {
        group.updateMember(next);
        current = next;
      }
    }
    if (bump) for (const m of group.members.values()) entries.push(this.#memberRecord(group, m));
    else entries.push(this.#memberRecord(group, current));
    return {
      result: {
        errorCode: ErrorCode.NONE, generationId: current.memberEpoch, protocolType: CONSUMER_PROTOCOL_TYPE, protocolName: p.protocols[0]!.name,
        leader: '', skipAssignment: false, memberId: current.memberId, members: [],
      },
      entries,
    };
  }

  /** Kafka's throwIfRebalanceInProgress: the group moved on and the member has not started revoking. */
  #rebalanceInProgress(group: ConsumerGroup, member: ConsumerGroupMember): void {
    if (group.groupEpoch > member.memberEpoch && member.state !== 'unrevoked_partitions') {
      this.#timer(this.#joinTimers, group.groupId, member.memberId, member.rebalanceTimeoutMs, 'the classic member failed to join within the rebalance timeout', true);
      throw new GroupApiError(ErrorCode.REBALANCE_IN_PROGRESS, `A new rebalance is triggered in group ${group.groupId} and member ${member.memberId} should rejoin to catch up.`);
    }
  }

  /** Kafka's classicGroupSyncToConsumerGroup: the member's current assignment, as a ConsumerProtocol assignment. */
  classicSync(p: SyncGroupParams): SyncResult {
    try {
      const group = this.#groups.get(p.groupId)!;
      const member = this.#classicMember(group, p.memberId, p.groupInstanceId);
      if (member.memberEpoch !== p.generationId) {
        throw new GroupApiError(ErrorCode.ILLEGAL_GENERATION, `The request generation id ${p.generationId} is not equal to the member epoch ${member.memberEpoch} of member ${member.memberId}.`);
      }
      const protocolName = member.classic!.protocols[0]!.name;
      if ((p.protocolType !== null && p.protocolType !== CONSUMER_PROTOCOL_TYPE) || (p.protocolName !== null && p.protocolName !== protocolName)) {
        throw new GroupApiError(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, 'The protocol type or name is not the one returned in the join response.');
      }
      this.#rebalanceInProgress(group, member);
      this.#cancelTimer(this.#syncTimers, group.groupId, member.memberId);
      this.#scheduleSession(group.groupId, member.memberId, member.classic!.sessionTimeoutMs);
      const version = protocolVersion(member.classic!.protocols[0]!.metadata);
      return { errorCode: ErrorCode.NONE, protocolType: p.protocolType, protocolName: p.protocolName, assignment: encodeAssignment(member.assigned, version, this.#topicNames()) };
    } catch (err) {
      if (err instanceof GroupApiError) return failedSync(err.errorCode);
      throw err;
    }
  }

  /** Kafka's classicGroupHeartbeatToConsumerGroup: REBALANCE_IN_PROGRESS drives the member's reconciliation. */
  classicHeartbeat(p: { groupId: string; generationId: number; memberId: string; groupInstanceId: string | null }): number {
    try {
      const group = this.#groups.get(p.groupId)!;
      const member = this.#classicMember(group, p.memberId, p.groupInstanceId);
      if (member.memberEpoch !== p.generationId) return ErrorCode.ILLEGAL_GENERATION;
      this.#scheduleSession(group.groupId, member.memberId, member.classic!.sessionTimeoutMs);
      const waitingOnUnreleased = member.state === 'unreleased_partitions' && [...group.targetOf(member.memberId)].some(([t, parts]) =>
        [...parts].some((x) => !member.assigned.get(t)?.has(x) && group.currentPartitionEpoch(t, x) !== -1));
      if (member.memberEpoch < group.groupEpoch || member.state === 'unrevoked_partitions' || (member.state === 'unreleased_partitions' && !waitingOnUnreleased)) {
        this.#timer(this.#joinTimers, group.groupId, member.memberId, member.rebalanceTimeoutMs, 'the classic member failed to join within the rebalance timeout', true);
        return ErrorCode.REBALANCE_IN_PROGRESS;
      }
      return ErrorCode.NONE;
    } catch (err) {
      if (err instanceof GroupApiError) return err.errorCode;
      throw err;
    }
  }

  /** Kafka's classicGroupLeaveToConsumerGroup: each classic member named leaves; the group epoch is bumped once. */
  async classicLeave(groupId: string, leaving: MemberIdentity[]): Promise<{ errorCode: number; members: (MemberIdentity & { errorCode: number })[] }> {
    const group = this.#groups.get(groupId)!;
    const results: (MemberIdentity & { errorCode: number })[] = [];
    const entries: LogEntry[] = [];
    for (const who of leaving) {
      try {
        let member: ConsumerGroupMember | undefined;
        if (who.groupInstanceId === null) member = this.#classicMember(group, who.memberId, null);
        else {
          member = group.staticMember(who.groupInstanceId);
          if (!member) throw new GroupApiError(ErrorCode.UNKNOWN_MEMBER_ID, `Instance id ${who.groupInstanceId} is unknown.`);
          if (who.memberId !== '' && who.memberId !== member.memberId) throw new GroupApiError(ErrorCode.FENCED_INSTANCE_ID, 'fenced');
          if (member.classic === null) throw new GroupApiError(ErrorCode.UNKNOWN_MEMBER_ID, `Member ${member.memberId} does not use the classic protocol.`);
        }
        this.#cancelTimers(groupId, member.memberId);
        group.removeMember(member.memberId);
        entries.push({ kind: 'cg-member', group: groupId, memberId: member.memberId, value: null });
        results.push({ memberId: member.memberId, groupInstanceId: who.groupInstanceId, errorCode: ErrorCode.NONE });
        this.#log.info({ group: groupId, memberId: member.memberId }, 'classic member left the consumer group');
      } catch (err) {
        if (!(err instanceof GroupApiError)) throw err;
        results.push({ ...who, errorCode: err.errorCode });
      }
    }
    if (entries.length > 0) {
      group.groupEpoch += 1;
      group.subscriptionSignature = this.#subscriptionSignature(group);
      this.#maybeAssign(group);
      if (group.members.size === 0) group.stateSince = this.#now();
      entries.push(this.#groupRecord(group));
      for (const m of group.members.values()) entries.push(this.#memberRecord(group, m));
      try {
        await this.#write(entries);
      } catch (err) {
        this.#log.error({ err, group: groupId }, 'consumer group change could not be written');
        return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, members: [] };
      }
    }
    return { errorCode: ErrorCode.NONE, members: results };
  }

  // ---- timers ----

  #scheduleSession(groupId: string, memberId: string, timeoutMs?: number): void {
    const key = `${groupId}\0${memberId}`;
    clearTimeout(this.#sessionTimers.get(key));
    const t = setTimeout(() => {
      this.#sessionTimers.delete(key);
      this.#fenceFromTimer(groupId, memberId, 'the member session expired');
    }, timeoutMs ?? this.#settings.groupConsumerSessionTimeoutMs);
    t.unref?.();
    this.#sessionTimers.set(key, t);
  }

  #scheduleRebalanceTimeout(groupId: string, member: ConsumerGroupMember): void {
    const key = `${groupId}\0${member.memberId}`;
    clearTimeout(this.#rebalanceTimers.get(key));
    const epoch = member.memberEpoch;
    const t = setTimeout(() => {
      this.#rebalanceTimers.delete(key);
      this.#fenceFromTimer(groupId, member.memberId, `it did not revoke its partitions within ${member.rebalanceTimeoutMs}ms`, epoch);
    }, Math.max(0, member.rebalanceTimeoutMs));
    t.unref?.();
    this.#rebalanceTimers.set(key, t);
  }

  #cancelRebalanceTimeout(groupId: string, memberId: string): void {
    const key = `${groupId}\0${memberId}`;
    clearTimeout(this.#rebalanceTimers.get(key));
    this.#rebalanceTimers.delete(key);
  }

  #cancelTimers(groupId: string, memberId: string): void {
    const key = `${groupId}\0${memberId}`;
    clearTimeout(this.#sessionTimers.get(key));
    this.#sessionTimers.delete(key);
    clearTimeout(this.#joinTimers.get(key));
    this.#joinTimers.delete(key);
    clearTimeout(this.#syncTimers.get(key));
    this.#syncTimers.delete(key);
    this.#cancelRebalanceTimeout(groupId, memberId);
  }

  // ---- subscriptions and the target assignment ----

  /** Each member's subscribed topic ids, and the topics some member subscribes to (names or regex). */
  #subscribedTopics(group: ConsumerGroup): { perMember: Map<string, Set<string>>; topics: Map<string, TopicView> } {
    const all = [...this.#topics()];
    const byName = new Map(all.map((t) => [t.name, t]));
    const perMember = new Map<string, Set<string>>();
    const topics = new Map<string, TopicView>();
    const regexMatches = new Map<string, TopicView[]>();
    for (const m of group.members.values()) {
      const ids = new Set<string>();
      for (const name of m.subscribedTopicNames) {
        const t = byName.get(name);
        if (t) {
          ids.add(t.topicId);
          topics.set(t.topicId, t);
        }
      }
      if (m.subscribedTopicRegex !== null) {
        let matched = regexMatches.get(m.subscribedTopicRegex);
        if (!matched) {
          let re: RE2JS | undefined;
          try {
            re = this.#compile(m.subscribedTopicRegex);
          } catch {
            re = undefined;
          }
          matched = re ? all.filter((t) => !t.internal && re.matches(t.name)) : [];
          regexMatches.set(m.subscribedTopicRegex, matched);
        }
        for (const t of matched) {
          ids.add(t.topicId);
          topics.set(t.topicId, t);
        }
      }
      perMember.set(m.memberId, ids);
    }
    return { perMember, topics };
  }

  /**
   * The part of a member update both protocols share: a static member's new incarnation takes over
   * the replaced one's place and target, the member is stored, and the group epoch is bumped when
   * the subscription changed or the group's subscribed topics did. Returns whether it was bumped.
   */
  #applyMemberUpdate(group: ConsumerGroup, updated: ConsumerGroupMember, replaced: ConsumerGroupMember | null, subscriptionChanged: boolean, entries: LogEntry[]): boolean {
    if (replaced !== null) {
      const target = group.targetOf(replaced.memberId);
      group.removeMember(replaced.memberId);
      group.targetAssignment.set(updated.memberId, target);
      entries.push({ kind: 'cg-member', group: group.groupId, memberId: replaced.memberId, value: null });
    }
    group.updateMember(updated);
    const signature = this.#subscriptionSignature(group);
    const bump = subscriptionChanged || signature !== group.subscriptionSignature;
    if (bump) {
      group.groupEpoch += 1;
      group.subscriptionSignature = signature;
      this.#log.info({ group: group.groupId, groupEpoch: group.groupEpoch }, 'consumer group epoch bumped');
    }
    return bump;
  }

  #subscriptionSignature(group: ConsumerGroup): string {
    const { topics } = this.#subscribedTopics(group);
    return [...topics.values()].map((t) => `${t.name}/${t.topicId}/${t.partitions}`).sort().join(',');
  }

  #assignorFor(group: ConsumerGroup): ConsumerGroupAssignor {
    // Kafka's computePreferredServerAssignor: the assignor most members ask for, else the default.
    const votes = new Map<string, number>();
    for (const m of group.members.values()) if (m.serverAssignor !== null) votes.set(m.serverAssignor, (votes.get(m.serverAssignor) ?? 0) + 1);
    let best: string | null = null;
    for (const [name, n] of votes) if (best === null || n > votes.get(best)!) best = name;
    return this.#assignors.find((a) => a.name === best) ?? this.#assignors[0]!;
  }

  #computeTargetAssignment(group: ConsumerGroup): void {
    const { perMember, topics } = this.#subscribedTopics(group);
    const assignor = this.#assignorFor(group);
    const result = assignor.assign({
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId, instanceId: m.instanceId, subscribedTopicIds: perMember.get(m.memberId) ?? new Set(), previous: group.targetOf(m.memberId),
      })),
      partitionCounts: new Map([...topics.values()].map((t) => [t.topicId, t.partitions])),
    });
    group.targetAssignment.clear();
    for (const m of group.members.values()) group.targetAssignment.set(m.memberId, result.get(m.memberId) ?? emptyAssignment());
    group.assignmentEpoch = group.groupEpoch;
  }

  /**
   * group.consumer.assignment.interval.ms (Kafka 4.4, default 1 s): a new target assignment is
   * computed at most once per interval per group. Within it the group epoch runs ahead of the
   * assignment epoch ("Assigning") and a timer computes the target when the interval is over; the
   * members pick it up on their next heartbeat. Returns whether it was computed now.
   */
  #maybeAssign(group: ConsumerGroup): boolean {
    const interval = this.#settings.groupConsumerAssignmentIntervalMs;
    const now = this.#now();
    const last = this.#lastAssignment.get(group.groupId);
    if (interval <= 0 || last === undefined || now - last >= interval) {
      this.#computeTargetAssignment(group);
      this.#lastAssignment.set(group.groupId, now);
      return true;
    }
    if (!this.#assignTimers.has(group.groupId)) {
      const t = setTimeout(() => {
        this.#assignTimers.delete(group.groupId);
        if (this.#groups.get(group.groupId) !== group || group.groupEpoch <= group.assignmentEpoch) return;
        this.#computeTargetAssignment(group);
        this.#lastAssignment.set(group.groupId, this.#now());
        const entries = [this.#groupRecord(group), ...[...group.members.values()].map((m) => this.#memberRecord(group, m))];
        this.#write(entries).catch((err: unknown) => this.#log.error({ err, group: group.groupId }, 'target assignment could not be written'));
      }, last + interval - now);
      t.unref?.();
      this.#assignTimers.set(group.groupId, t);
    }
    return false;
  }

  #groupRecord(group: ConsumerGroup): ConsumerGroupLogEntry {
    return { kind: 'cg-group', group: group.groupId, value: { groupEpoch: group.groupEpoch, assignmentEpoch: group.assignmentEpoch, subscriptionSignature: group.subscriptionSignature } };
  }

  #memberRecord(group: ConsumerGroup, m: ConsumerGroupMember): ConsumerGroupLogEntry {
    return { kind: 'cg-member', group: group.groupId, memberId: m.memberId, value: { member: m, target: copyAssignment(group.targetOf(m.memberId)) } };
  }

  // ---- offsets: the member checks of OffsetCommit and OffsetFetch ----

  /**
   * Kafka's ConsumerGroup.validateOffsetCommit with KIP-1251's assignment epochs: the whole commit
   * fails with UNKNOWN_MEMBER_ID, UNSUPPORTED_VERSION or STALE_MEMBER_EPOCH (an epoch newer than the
   * member's); an older epoch is checked per partition, which the member must have held since that
   * epoch or earlier (STALE_MEMBER_EPOCH for the others).
   */
  validateCommit(group: ConsumerGroup, memberId: string, memberEpoch: number, apiVersion: number): number | ((topic: string, partition: number) => number) {
    if (memberEpoch < 0 && group.members.size === 0) return ErrorCode.NONE;
    const member = group.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    // A classic member commits with its generation (the member epoch), any version (Kafka's validateMemberEpoch).
    if (member.classic !== null) return memberEpoch === member.memberEpoch ? ErrorCode.NONE : ErrorCode.ILLEGAL_GENERATION;
    if (apiVersion < 9) return ErrorCode.UNSUPPORTED_VERSION;
    if (memberEpoch === member.memberEpoch) return ErrorCode.NONE;
    if (memberEpoch > member.memberEpoch) return ErrorCode.STALE_MEMBER_EPOCH;
    const ids = new Map([...this.#topics()].map((t) => [t.name, t.topicId]));
    return (topic, partition) => {
      const id = ids.get(topic);
      const held = id === undefined ? undefined : member.assignmentEpochs.get(`${id}:${partition}`);
      const owned = id !== undefined && (member.assigned.get(id)?.has(partition) || member.pendingRevocation.get(id)?.has(partition));
      return owned && held !== undefined && held <= memberEpoch ? ErrorCode.NONE : ErrorCode.STALE_MEMBER_EPOCH;
    };
  }

  /** Kafka's ConsumerGroup.validateOffsetFetch. */
  validateFetch(group: ConsumerGroup, memberId: string | null, memberEpoch: number): number {
    if (memberId === null && memberEpoch < 0) return ErrorCode.NONE;
    const member = memberId === null ? undefined : group.members.get(memberId);
    if (!member) return ErrorCode.UNKNOWN_MEMBER_ID;
    if (memberEpoch === member.memberEpoch) return ErrorCode.NONE;
    return member.classic !== null ? ErrorCode.ILLEGAL_GENERATION : ErrorCode.STALE_MEMBER_EPOCH;
  }

  // ---- ConsumerGroupDescribe, ListGroups, DeleteGroups, OffsetDelete ----

  /** Topic names some member subscribes to now (OffsetDelete answers GROUP_SUBSCRIBED_TO_TOPIC for them). */
  subscribedTopicNames(group: ConsumerGroup): Set<string> {
    const { topics } = this.#subscribedTopics(group);
    const names = new Set([...topics.values()].map((t) => t.name));
    for (const m of group.members.values()) for (const n of m.subscribedTopicNames) names.add(n);
    return names;
  }

  describe(groupId: string): ConsumerGroupDescription {
    const group = this.#groups.get(groupId);
    const base = { groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [] };
    if (!group) return { ...base, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} not found.` };
    const byId = new Map([...this.#topics()].map((t) => [t.topicId, t.name]));
    const described = (a: Assignment): { topicPartitions: DescribedTopicPartitions[] } => ({
      topicPartitions: [...a].filter(([t]) => byId.has(t)).map(([topicId, s]) => ({ topicId, topicName: byId.get(topicId)!, partitions: [...s].sort((x, y) => x - y) })),
    });
    return {
      errorCode: ErrorCode.NONE, errorMessage: null, groupId, groupState: group.state, groupEpoch: group.groupEpoch,
      assignmentEpoch: group.assignmentEpoch, assignorName: this.#assignorFor(group).name,
      members: [...group.members.values()].map((m) => ({
        memberId: m.memberId, instanceId: m.instanceId, rackId: m.rackId, memberEpoch: m.memberEpoch, clientId: m.clientId, clientHost: m.clientHost,
        // Kafka 4.4 describes "no regex" as the empty string.
        subscribedTopicNames: [...m.subscribedTopicNames], subscribedTopicRegex: m.subscribedTopicRegex ?? '',
        assignment: described(m.assigned), targetAssignment: described(group.targetOf(m.memberId)),
      })),
    };
  }

  list(): { groupId: string; state: ConsumerGroupState; members: number }[] {
    return [...this.#groups.values()].map((g) => ({ groupId: g.groupId, state: g.state, members: g.members.size }));
  }

  /** Tombstones of an empty group; the group is forgotten once they are written (forget()). */
  tombstones(group: ConsumerGroup): ConsumerGroupLogEntry[] {
    return [{ kind: 'cg-group', group: group.groupId, value: null }];
  }

  forget(group: ConsumerGroup): void {
    if (group.members.size > 0) return;
    if (this.#groups.get(group.groupId) === group) this.#groups.delete(group.groupId);
  }
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

function sameMember(a: ConsumerGroupMember, b: ConsumerGroupMember): boolean {
  return a.memberId === b.memberId && a.memberEpoch === b.memberEpoch && a.previousMemberEpoch === b.previousMemberEpoch && a.state === b.state
    && a.instanceId === b.instanceId && a.rackId === b.rackId && a.clientId === b.clientId && a.clientHost === b.clientHost
    && a.rebalanceTimeoutMs === b.rebalanceTimeoutMs && a.serverAssignor === b.serverAssignor && sameList(a.subscribedTopicNames, b.subscribedTopicNames)
    && a.subscribedTopicRegex === b.subscribedTopicRegex && sameAssignment(a.assigned, b.assigned) && sameAssignment(a.pendingRevocation, b.pendingRevocation);
}

/**
 * A member that joins again with epoch 0 has dropped its partitions (the request must say it owns
 * none): it starts over at epoch 0 and is reconciled from nothing, keeping its place in the target.
 */
function rejoined(m: ConsumerGroupMember): ConsumerGroupMember {
  return { ...m, memberEpoch: 0, previousMemberEpoch: 0, state: 'stable', assigned: new Map(), pendingRevocation: new Map(), assignmentEpochs: new Map() };
}

/** Kafka's throwIfConsumerGroupMemberEpochIsInvalid: the previous epoch is accepted if the response was lost. */
function throwIfEpochInvalid(member: ConsumerGroupMember, received: number, owned: readonly OwnedTopicPartitions[] | null): void {
  if (received > member.memberEpoch) {
    throw new GroupApiError(ErrorCode.FENCED_MEMBER_EPOCH, `The consumer group member has a greater member epoch (${received}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`);
  }
  if (received < member.memberEpoch) {
    const subset = owned !== null && owned.every((tp) => {
      const s = member.assigned.get(tp.topicId);
      return s !== undefined && tp.partitions.every((x) => s.has(x));
    });
    if (received !== member.previousMemberEpoch || !subset) {
      throw new GroupApiError(ErrorCode.FENCED_MEMBER_EPOCH, `The consumer group member has a smaller member epoch (${received}) than the one known by the group coordinator (${member.memberEpoch}). The member must abandon all its partitions and rejoin.`);
    }
  }
}

/** group.consumer.assignors: known names, in order; the first is the default. */
export function parseAssignors(list: string): ConsumerGroupAssignor[] {
  const names = list.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const out: ConsumerGroupAssignor[] = [];
  for (const name of names) {
    const a = ASSIGNORS.get(name);
    if (!a) throw new Error(`group.consumer.assignors: unknown assignor '${name}' (known: ${[...ASSIGNORS.keys()].join(', ')})`);
    if (!out.includes(a)) out.push(a);
  }
  if (out.length === 0) throw new Error('group.consumer.assignors must name at least one assignor');
  return out;
}
