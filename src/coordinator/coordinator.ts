// The group coordinator on the main thread: every group request is checked here (loading, closed,
// group id), then served by the membership (membership.ts) or the committed offsets (committed-offsets.ts).
// With one broker it coordinates every group. Follows Kafka's GroupMetadataManager.
import type { Logger } from 'pino';
import { DEFAULT_GROUP_COORDINATOR_SETTINGS, type GroupCoordinatorSettings } from '../config.ts';
import { ErrorCode } from '../protocol/errors.ts';
import type { ClassicGroup, JoinGroupParams, JoinResult, MemberIdentity, SyncGroupParams, SyncResult } from './classic-group.ts';
import {
  CommittedOffsets, type CommittedPartitionOffset, type FetchedOffset, type OffsetCommitParams, type TopicPartitionErrors,
} from './committed-offsets.ts';
import { deadGroup, GroupMembership, type GroupDescription } from './membership.ts';
import type { CoordinatorLogEntry, OffsetLogEntry, OffsetsStore } from './offsets-log.ts';
import { failedJoin, failedSync } from './rebalance.ts';
import { isConsumerGroupEntry } from './consumer-group-log.ts';
import { classicGroupTombstone, isClassicGroupEntry } from './classic-group-log.ts';
import {
  ConsumerGroups, type ConsumerGroupDescription, type ConsumerGroupHeartbeatParams, type ConsumerGroupHeartbeatResult, type TopicView,
} from './consumer-groups.ts';
import type { ConsumerGroup } from './consumer-group.ts';

export { DEFAULT_GROUP_COORDINATOR_SETTINGS, type GroupCoordinatorSettings };
export type { JoinGroupParams, MemberIdentity, SyncGroupParams } from './classic-group.ts';
export type { CommittedPartitionOffset, FetchedOffset, OffsetCommitParams, PartitionError, TopicPartitionErrors } from './committed-offsets.ts';
export type { GroupDescription, GroupOverview } from './membership.ts';
export type { ConsumerGroupDescription, ConsumerGroupHeartbeatParams, ConsumerGroupHeartbeatResult, TopicView } from './consumer-groups.ts';

/** A group in ListGroups: Kafka 4's group types are classic and consumer. */
export interface ListedGroup {
  groupId: string;
  state: string;
  protocolType: string;
  groupType: 'classic' | 'consumer';
  members: number;
}

export interface GroupCoordinatorOptions {
  store: OffsetsStore;
  /** Whether a topic partition exists now (commits to others get UNKNOWN_TOPIC_OR_PARTITION). */
  partitionExists: (topic: string, partition: number) => boolean;
  log: Logger;
  settings?: Partial<GroupCoordinatorSettings>;
  now?: () => number;
  /** The topics now (consumer groups: assignment and regex subscriptions); none when absent. */
  topics?: () => Iterable<TopicView>;
  /** Runs last in close(): releases what the owner opened for the coordinator. */
  onClose?: () => Promise<void>;
}

export class GroupCoordinator {
  readonly settings: GroupCoordinatorSettings;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #onClose: (() => Promise<void>) | undefined;
  readonly #offsets: CommittedOffsets;
  readonly #membership: GroupMembership;
  /** Groups whose offsets a committed transaction wrote since start-up: read_committed consumers, so lag is measured against the LSO. */
  readonly #transactionalGroups = new Set<string>();
  readonly #consumerGroups: ConsumerGroups;
  readonly #store: OffsetsStore;
  #loading = true;
  #closed = false;
  #retentionTimer: ReturnType<typeof setInterval> | undefined;

  constructor(options: GroupCoordinatorOptions) {
    this.settings = { ...DEFAULT_GROUP_COORDINATOR_SETTINGS, ...options.settings };
    this.#log = options.log;
    this.#now = options.now ?? Date.now;
    this.#onClose = options.onClose;
    this.#offsets = new CommittedOffsets({
      store: options.store, partitionExists: options.partitionExists, log: options.log, now: this.#now, settings: this.settings,
    });
    this.#membership = new GroupMembership({
      settings: this.settings, log: options.log, now: this.#now, hasOffsets: (groupId) => this.#offsets.has(groupId),
      store: options.store,
    });
    this.#store = options.store;
    this.#consumerGroups = new ConsumerGroups({
      settings: this.settings, log: options.log, now: this.#now, topics: options.topics ?? (() => []),
      write: (entries) => this.#store.append(entries),
      classicGroup: (groupId) => {
        const g = this.#membership.group(groupId);
        if (!g) return 'none';
        return g.state === 'Empty' && g.members.size === 0 && g.pendingMembers.size === 0 ? 'empty' : 'not-empty';
      },
      dropEmptyClassicGroup: (groupId) => {
        const g = this.#membership.group(groupId);
        if (g) this.#membership.forget(g);
      },
      classicGroupWithMembers: (groupId) => {
        const g = this.#membership.group(groupId);
        return g && g.members.size > 0 ? g : undefined;
      },
      detachClassicGroup: (group) => this.#membership.detachForUpgrade(group),
      adoptClassicGroup: (group) => this.#membership.adoptDowngraded(group),
    });
  }

  get loading(): boolean {
    return this.#loading;
  }

  /**
   * Replays the committed offsets (`replay` calls back once per log entry), then serves. Until
   * then every group request gets COORDINATOR_LOAD_IN_PROGRESS, which clients retry.
   */
  async load(replay: (apply: (entry: CoordinatorLogEntry) => void) => Promise<unknown>): Promise<void> {
    const classicGroupIds = new Set<string>();
    await replay((entry) => {
      if (isConsumerGroupEntry(entry)) this.#consumerGroups.apply(entry);
      else if (isClassicGroupEntry(entry)) {
        this.#membership.restore(entry);
        classicGroupIds.add(entry.group);
      } else this.#offsets.apply(entry);
    });
    this.#consumerGroups.loaded();
    // A group converted between the protocols has the records of both; the conversion tombstones
    // the old kind, but a crash between the two writes could leave both: the consumer group wins.
    for (const groupId of classicGroupIds) if (this.#consumerGroups.group(groupId)) this.#membership.discardRestored(groupId);
    this.#membership.loaded();
    for (const groupId of this.#offsets.groupIds()) if (!this.#consumerGroups.group(groupId)) this.#membership.groupOrCreate(groupId);
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
    this.#membership.clearTimers();
    this.#consumerGroups.clearTimers();
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

  // ---- membership: JoinGroup, SyncGroup, Heartbeat, LeaveGroup ----

  async joinGroup(p: JoinGroupParams): Promise<JoinResult> {
    const gate = this.#gate(p.groupId);
    if (gate !== ErrorCode.NONE) return failedJoin(gate, p.memberId);
    const consumerGroup = this.#consumerGroups.group(p.groupId);
    if (consumerGroup) {
      // Kafka's classicGroupJoin: a consumer group with members takes the classic member in
      // (group-migration.ts); an empty one becomes a classic group.
      if (consumerGroup.members.size > 0) return this.#consumerGroups.classicJoin(p, 0);
      try {
        await this.#store.append(this.#consumerGroups.tombstones(consumerGroup));
      } catch (err) {
        this.#log.error({ err, group: p.groupId }, 'consumer group conversion could not be written');
        return failedJoin(ErrorCode.COORDINATOR_NOT_AVAILABLE, p.memberId);
      }
      this.#consumerGroups.forget(consumerGroup);
      if (this.#consumerGroups.group(p.groupId)) return failedJoin(ErrorCode.INCONSISTENT_GROUP_PROTOCOL, p.memberId);
    }
    return this.#membership.join(p);
  }

  // ---- the consumer group protocol (KIP-848): ConsumerGroupHeartbeat, ConsumerGroupDescribe ----

  consumerGroupHeartbeat(p: ConsumerGroupHeartbeatParams): Promise<ConsumerGroupHeartbeatResult> {
    const gate = p.groupId === '' ? ErrorCode.NONE : this.#gate(p.groupId);
    if (gate !== ErrorCode.NONE) {
      return Promise.resolve({ errorCode: gate, errorMessage: null, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null });
    }
    return this.#consumerGroups.heartbeat(p);
  }

  consumerGroupDescribe(groupId: string): ConsumerGroupDescription {
    const gate = this.#gate(groupId);
    const dead = { groupId, groupState: '', groupEpoch: 0, assignmentEpoch: 0, assignorName: '', members: [] };
    if (gate !== ErrorCode.NONE) return { ...dead, errorCode: gate, errorMessage: null };
    if (!this.#consumerGroups.group(groupId) && this.#membership.group(groupId)) {
      return { ...dead, errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: `Group ${groupId} is not a consumer group.` };
    }
    return this.#consumerGroups.describe(groupId);
  }

  syncGroup(p: SyncGroupParams): Promise<SyncResult> {
    const gate = this.#gate(p.groupId);
    if (gate !== ErrorCode.NONE) return Promise.resolve(failedSync(gate));
    if (this.#consumerGroups.group(p.groupId)) return Promise.resolve(this.#consumerGroups.classicSync(p));
    return this.#membership.sync(p);
  }

  heartbeat(p: { groupId: string; generationId: number; memberId: string; groupInstanceId: string | null }): number {
    const gate = this.#gate(p.groupId);
    if (gate !== ErrorCode.NONE) return gate;
    if (this.#consumerGroups.group(p.groupId)) return this.#consumerGroups.classicHeartbeat(p);
    return this.#membership.heartbeat(p);
  }

  /** Returns the group-level error and one error per member asked for. */
  leaveGroup(groupId: string, leaving: MemberIdentity[]): Promise<{ errorCode: number; members: (MemberIdentity & { errorCode: number })[] }> {
    const gate = this.#gate(groupId);
    if (gate !== ErrorCode.NONE) return Promise.resolve({ errorCode: gate, members: [] });
    if (this.#consumerGroups.group(groupId)) return this.#consumerGroups.classicLeave(groupId, leaving);
    return Promise.resolve(this.#membership.leave(groupId, leaving));
  }

  // ---- committed offsets: OffsetCommit, OffsetFetch ----

  /** Resolves once the accepted offsets are durable; errors are per partition, in request order. */
  async commitOffsets(p: OffsetCommitParams): Promise<TopicPartitionErrors[]> {
    let errorCode = this.#gate(p.groupId);
    const consumerGroup = this.#consumerGroups.group(p.groupId);
    if (errorCode === ErrorCode.NONE && consumerGroup) {
      const check = this.#consumerGroups.validateCommit(consumerGroup, p.memberId, p.generationId, p.apiVersion);
      if (typeof check === 'function') return this.#commitCheckedPartitions(p, check);
      errorCode = check;
    } else if (errorCode === ErrorCode.NONE) errorCode = this.#membership.acceptCommit(p);
    if (errorCode !== ErrorCode.NONE) {
      return p.topics.map((t) => ({ name: t.name, partitions: t.partitions.map((x) => ({ partitionIndex: x.partitionIndex, errorCode })) }));
    }
    const { results, written } = await this.#offsets.commit(p.groupId, p.topics);
    if (written && !this.#consumerGroups.group(p.groupId)) this.#membership.groupOrCreate(p.groupId);
    return results;
  }

  /**
   * A committed transaction's offsets (TxnOffsetCommit), made the group's committed offsets by the
   * transaction coordinator before it writes CompleteCommit. No membership check: that was done
   * when they were sent; the transaction decides now.
   */
  async commitTransactionalOffsets(groupId: string, offsets: readonly { topic: string; partition: number; offset: bigint; leaderEpoch: number; metadata: string | null }[]): Promise<void> {
    const topics = new Map<string, OffsetCommitParams['topics'][number]['partitions']>();
    for (const o of offsets) {
      const list = topics.get(o.topic) ?? [];
      list.push({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: o.leaderEpoch, committedMetadata: o.metadata });
      topics.set(o.topic, list);
    }
    const { written } = await this.#offsets.commit(groupId, [...topics].map(([name, partitions]) => ({ name, partitions })));
    if (written && !this.#consumerGroups.group(groupId)) this.#membership.groupOrCreate(groupId);
    this.#transactionalGroups.add(groupId);
  }

  /** Whether the group has committed through a transaction since start-up (lag against the LSO). */
  transactionalGroup(groupId: string): boolean {
    return this.#transactionalGroups.has(groupId);
  }

  /** TxnOffsetCommit's group checks (Kafka's validateOffsetCommit for a transactional commit): NONE to accept. */
  checkTransactionalCommit(p: { groupId: string; generationId: number; memberId: string; groupInstanceId: string | null; apiVersion: number }): number {
    const gate = this.#gate(p.groupId);
    if (gate !== ErrorCode.NONE) return gate;
    // v0-2 carry no member: Kafka accepts them as from outside the group.
    if (p.memberId === '' && p.generationId < 0) return ErrorCode.NONE;
    const consumerGroup = this.#consumerGroups.group(p.groupId);
    if (consumerGroup) {
      const check = this.#consumerGroups.validateCommit(consumerGroup, p.memberId, p.generationId, 8);
      return typeof check === 'function' ? ErrorCode.NONE : check;
    }
    return this.#membership.acceptCommit({ ...p, apiVersion: 8 });
  }

  /** Commits the partitions `check` accepts; the others answer its error, all in request order. */
  async #commitCheckedPartitions(p: OffsetCommitParams, check: (topic: string, partition: number) => number): Promise<TopicPartitionErrors[]> {
    const rejected = new Map<string, number>();
    const accepted = p.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.filter((x) => {
        const code = check(t.name, x.partitionIndex);
        if (code !== ErrorCode.NONE) rejected.set(`${t.name}\0${x.partitionIndex}`, code);
        return code === ErrorCode.NONE;
      }),
    })).filter((t) => t.partitions.length > 0);
    const done = accepted.length > 0 ? (await this.#offsets.commit(p.groupId, accepted)).results : [];
    const answered = new Map<string, number>();
    for (const t of done) for (const x of t.partitions) answered.set(`${t.name}\0${x.partitionIndex}`, x.errorCode);
    return p.topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((x) => {
        const key = `${t.name}\0${x.partitionIndex}`;
        return { partitionIndex: x.partitionIndex, errorCode: rejected.get(key) ?? answered.get(key) ?? ErrorCode.NONE };
      }),
    }));
  }

  /**
   * Committed offsets of one group: of the partitions asked for (-1 where none is committed), or of
   * every partition with a commit when `topics` is null.
   */
  fetchOffsets(
    groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null, member?: { memberId: string | null; memberEpoch: number },
  ): { errorCode: number; topics: { name: string; partitions: FetchedOffset[] }[] } {
    const gate = this.#gate(groupId);
    if (gate !== ErrorCode.NONE) return { errorCode: gate, topics: [] };
    const consumerGroup = this.#consumerGroups.group(groupId);
    if (consumerGroup && member) {
      // OffsetFetch v9 (KIP-848): a member of a consumer group reads at its current epoch.
      const errorCode = this.#consumerGroups.validateFetch(consumerGroup, member.memberId, member.memberEpoch);
      if (errorCode !== ErrorCode.NONE) return { errorCode, topics: [] };
    }
    return { errorCode: ErrorCode.NONE, topics: this.#offsets.fetch(groupId, topics) };
  }

  /** Every committed offset of the group (for lag: compare with each partition's high watermark). */
  committedOffsets(groupId: string): CommittedPartitionOffset[] {
    return this.#offsets.list(groupId);
  }

  // ---- DescribeGroups, ListGroups, DeleteGroups, OffsetDelete ----

  describeGroup(groupId: string): GroupDescription {
    const gate = this.#gate(groupId);
    if (gate !== ErrorCode.NONE) return deadGroup(groupId, gate);
    return this.#membership.describe(groupId);
  }

  /** Classic groups (groupType 'classic') and consumer groups ('consumer'), as Kafka 4 lists them. */
  listGroups(): ListedGroup[] {
    if (this.#loading) return [];
    const classic: ListedGroup[] = this.#membership.list().map((g) => ({ ...g, groupType: 'classic' }));
    const consumer: ListedGroup[] = this.#consumerGroups.list().map((g) => ({ ...g, protocolType: 'consumer', groupType: 'consumer' }));
    return [...classic, ...consumer];
  }

  /** Deletes empty groups and their offsets (tombstones first); per group: NONE, NON_EMPTY_GROUP, GROUP_ID_NOT_FOUND. */
  async deleteGroups(groupIds: string[]): Promise<{ groupId: string; errorCode: number }[]> {
    const results: { groupId: string; errorCode: number }[] = [];
    const entries: OffsetLogEntry[] = [];
    const consumerTombstones: CoordinatorLogEntry[] = [];
    const deleting: ClassicGroup[] = [];
    const deletingConsumer: ConsumerGroup[] = [];
    for (const groupId of groupIds) {
      const gate = this.#gate(groupId);
      const consumerGroup = this.#consumerGroups.group(groupId);
      const group = this.#membership.group(groupId);
      let errorCode: number = gate;
      if (gate === ErrorCode.NONE) {
        if (consumerGroup) errorCode = consumerGroup.members.size > 0 ? ErrorCode.NON_EMPTY_GROUP : ErrorCode.NONE;
        else if (!group) errorCode = ErrorCode.GROUP_ID_NOT_FOUND;
        else if (group.state !== 'Empty') errorCode = ErrorCode.NON_EMPTY_GROUP;
      }
      results.push({ groupId, errorCode });
      if (errorCode !== ErrorCode.NONE) continue;
      if (consumerGroup) {
        deletingConsumer.push(consumerGroup);
        consumerTombstones.push(...this.#consumerGroups.tombstones(consumerGroup));
      } else {
        deleting.push(group!);
        if (group!.persisted) consumerTombstones.push(classicGroupTombstone(groupId));
      }
      entries.push(...this.#offsets.tombstones(groupId));
    }
    try {
      await this.#offsets.write(entries);
      if (consumerTombstones.length > 0) await this.#store.append(consumerTombstones);
    } catch (err) {
      this.#log.error({ err }, 'group deletion could not be written');
      for (const r of results) if (r.errorCode === ErrorCode.NONE) r.errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
      return results;
    }
    for (const g of deleting) {
      g.persisted = false;
      this.#membership.forget(g);
    }
    for (const g of deletingConsumer) this.#consumerGroups.forget(g);
    return results;
  }

  async deleteOffsets(groupId: string, topics: { name: string; partitionIndexes: number[] }[]): Promise<{ errorCode: number; topics: TopicPartitionErrors[] }> {
    const gate = this.#gate(groupId);
    if (gate !== ErrorCode.NONE) return { errorCode: gate, topics: [] };
    const consumerGroup = this.#consumerGroups.group(groupId);
    if (consumerGroup) {
      const subscribed = consumerGroup.members.size === 0 ? new Set<string>() : this.#consumerGroups.subscribedTopicNames(consumerGroup);
      return this.#offsets.delete(groupId, topics, subscribed);
    }
    const group = this.#membership.group(groupId);
    if (!group) return { errorCode: ErrorCode.GROUP_ID_NOT_FOUND, topics: [] };
    if (group.state !== 'Empty' && group.protocolType !== 'consumer') return { errorCode: ErrorCode.NON_EMPTY_GROUP, topics: [] };
    return this.#offsets.delete(groupId, topics, group.state === 'Empty' ? new Set<string>() : group.subscribedTopics());
  }

  /**
   * Offsets retention (offsets.retention.minutes, KIP-211): an empty group's offsets are deleted
   * once it has been empty for the retention period; offsets of a group that never had members
   * (simple commits, or loaded at start-up) expire one by one, counted from their commit.
   */
  async expireOffsets(): Promise<number> {
    if (this.#loading || this.#closed) return 0;
    const emptied = [...this.#membership.groups()].filter((g) => g.state === 'Empty' && g.pendingMembers.size === 0);
    const emptiedConsumer = [...this.#consumerGroups.groups()].filter((g) => g.members.size === 0);
    const entries = this.#offsets.expired(
      [
        ...emptied.map((g) => ({ groupId: g.groupId, emptySince: g.protocolType !== null ? g.stateSince : null })),
        ...emptiedConsumer.map((g) => ({ groupId: g.groupId, emptySince: g.stateSince })),
      ],
      this.settings.offsetsRetentionMs,
    );
    await this.#offsets.write(entries);
    for (const g of emptied) if (!this.#offsets.has(g.groupId)) this.#membership.forget(g);
    const gone = emptiedConsumer.filter((g) => !this.#offsets.has(g.groupId) && this.settings.offsetsRetentionMs <= this.#now() - g.stateSince);
    if (gone.length > 0) {
      await this.#store.append(gone.flatMap((g) => this.#consumerGroups.tombstones(g)));
      for (const g of gone) this.#consumerGroups.forget(g);
    }
    if (entries.length > 0) this.#log.info({ expired: entries.length }, 'expired committed offsets');
    return entries.length;
  }
}
