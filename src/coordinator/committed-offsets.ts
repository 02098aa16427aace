// Committed consumer offsets: the in-memory view folded from the offsets log, and every change to it
// (commit, delete, expiry), each written durably to the OffsetsStore before it is applied.
import type { Logger } from 'pino';
import type { GroupCoordinatorSettings } from '../config.ts';
import { ErrorCode } from '../protocol/errors.ts';
import type { CommittedOffset, OffsetLogEntry, OffsetsStore } from './offsets-log.ts';

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

export interface CommittedPartitionOffset extends CommittedOffset {
  topic: string;
  partition: number;
}

/** What offsets expiry needs to know of a group with no members. */
export interface EmptyGroup {
  groupId: string;
  /** When it became empty, or null if it never had members (its offsets expire one by one). */
  emptySince: number | null;
}

export interface CommittedOffsetsOptions {
  store: OffsetsStore;
  /** Whether a topic partition exists now (commits to others get UNKNOWN_TOPIC_OR_PARTITION). */
  partitionExists: (topic: string, partition: number) => boolean;
  log: Logger;
  now: () => number;
  settings: Readonly<Pick<GroupCoordinatorSettings, 'offsetMetadataMaxBytes'>>;
}

type OffsetsByTopic = Map<string, Map<number, CommittedOffset>>;

export class CommittedOffsets {
  readonly #store: OffsetsStore;
  readonly #partitionExists: (topic: string, partition: number) => boolean;
  readonly #log: Logger;
  readonly #now: () => number;
  readonly #settings: Readonly<Pick<GroupCoordinatorSettings, 'offsetMetadataMaxBytes'>>;
  readonly #offsets = new Map<string, OffsetsByTopic>();

  constructor(options: CommittedOffsetsOptions) {
    this.#store = options.store;
    this.#partitionExists = options.partitionExists;
    this.#log = options.log;
    this.#now = options.now;
    this.#settings = options.settings;
  }

  has(groupId: string): boolean {
    return this.#offsets.has(groupId);
  }

  groupIds(): IterableIterator<string> {
    return this.#offsets.keys();
  }

  /** Folds one log entry in: the offsets log's replay and every durable write end here. */
  apply(entry: OffsetLogEntry): void {
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

  /** Writes the entries durably, then applies them; rejects (applying nothing) when the write fails. */
  async write(entries: OffsetLogEntry[]): Promise<void> {
    if (entries.length > 0) await this.#store.append(entries);
    for (const e of entries) this.apply(e);
  }

  /**
   * Commits the offsets of a group whose member check passed. Resolves once the accepted offsets
   * are durable; errors are per partition, in request order. `written`: some offset was committed.
   */
  async commit(groupId: string, topics: OffsetCommitParams['topics']): Promise<{ results: TopicPartitionErrors[]; written: boolean }> {
    const commitTimestamp = BigInt(this.#now());
    const entries: OffsetLogEntry[] = [];
    const results = topics.map((t) => ({
      name: t.name,
      partitions: t.partitions.map((x) => {
        let errorCode: number = ErrorCode.NONE;
        if (!this.#partitionExists(t.name, x.partitionIndex)) errorCode = ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
        else if (x.committedMetadata !== null && Buffer.byteLength(x.committedMetadata) > this.#settings.offsetMetadataMaxBytes) errorCode = ErrorCode.OFFSET_METADATA_TOO_LARGE;
        else {
          entries.push({
            group: groupId, topic: t.name, partition: x.partitionIndex,
            value: { offset: x.committedOffset, leaderEpoch: x.committedLeaderEpoch, metadata: x.committedMetadata, commitTimestamp },
          });
        }
        return { partitionIndex: x.partitionIndex, errorCode };
      }),
    }));
    if (entries.length === 0) return { results, written: false };
    try {
      // Applied only once durable, so a fetch never returns an offset a crash could take back.
      await this.write(entries);
    } catch (err) {
      this.#log.error({ err, group: groupId }, 'offset commit could not be written');
      for (const t of results) for (const x of t.partitions) if (x.errorCode === ErrorCode.NONE) x.errorCode = ErrorCode.COORDINATOR_NOT_AVAILABLE;
      return { results, written: false };
    }
    return { results, written: true };
  }

  /**
   * Committed offsets of one group: of the partitions asked for (-1 where none is committed), or of
   * every partition with a commit when `topics` is null.
   */
  fetch(groupId: string, topics: { name: string; partitionIndexes: number[] }[] | null): { name: string; partitions: FetchedOffset[] }[] {
    const byTopic = this.#offsets.get(groupId);
    const found = (c: CommittedOffset | undefined, partitionIndex: number): FetchedOffset => c
      ? { partitionIndex, committedOffset: c.offset, committedLeaderEpoch: c.leaderEpoch, metadata: c.metadata ?? '', errorCode: ErrorCode.NONE }
      : { partitionIndex, committedOffset: -1n, committedLeaderEpoch: -1, metadata: '', errorCode: ErrorCode.NONE };
    if (topics === null) {
      return [...(byTopic ?? new Map<string, Map<number, CommittedOffset>>())].map(([name, partitions]) => ({
        name, partitions: [...partitions].sort((a, b) => a[0] - b[0]).map(([i, c]) => found(c, i)),
      }));
    }
    return topics.map((t) => ({ name: t.name, partitions: t.partitionIndexes.map((i) => found(byTopic?.get(t.name)?.get(i), i)) }));
  }

  /** Every committed offset of the group (for lag: compare with each partition's high watermark). */
  list(groupId: string): CommittedPartitionOffset[] {
    const out: CommittedPartitionOffset[] = [];
    for (const [topic, partitions] of this.#offsets.get(groupId) ?? []) {
      for (const [partition, c] of partitions) out.push({ topic, partition, ...c });
    }
    return out;
  }

  /** Tombstones for the group's commits (those `select` picks, or all). */
  tombstones(groupId: string, select?: (topic: string, partition: number, committed: CommittedOffset) => boolean): OffsetLogEntry[] {
    const out: OffsetLogEntry[] = [];
    for (const [topic, partitions] of this.#offsets.get(groupId) ?? []) {
      for (const [partition, committed] of partitions) {
        if (!select || select(topic, partition, committed)) out.push({ group: groupId, topic, partition, value: null });
      }
    }
    return out;
  }

  /**
   * OffsetDelete for a group that may lose offsets: per partition NONE, UNKNOWN_TOPIC_OR_PARTITION,
   * or GROUP_SUBSCRIBED_TO_TOPIC for a topic in `subscribed` ('unknown': every topic).
   */
  async delete(groupId: string, topics: { name: string; partitionIndexes: number[] }[], subscribed: Set<string> | 'unknown'): Promise<{ errorCode: number; topics: TopicPartitionErrors[] }> {
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
    try {
      await this.write(entries);
    } catch (err) {
      this.#log.error({ err, group: groupId }, 'offset deletion could not be written');
      return { errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, topics: [] };
    }
    return { errorCode: ErrorCode.NONE, topics: results };
  }

  /**
   * Offsets retention (offsets.retention.minutes, KIP-211): tombstones for the offsets of groups
   * empty for `retentionMs`; offsets of a group that never had members expire one by one, counted
   * from their commit.
   */
  expired(groups: Iterable<EmptyGroup>, retentionMs: number): OffsetLogEntry[] {
    const now = this.#now();
    const entries: OffsetLogEntry[] = [];
    for (const { groupId, emptySince } of groups) {
      entries.push(...this.tombstones(groupId, (_topic, _partition, c) => {
        if (emptySince !== null) return now - emptySince >= retentionMs;
        return now - Number(c.commitTimestamp) >= retentionMs;
      }));
    }
    return entries;
  }
}
