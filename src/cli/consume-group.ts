// `highwater consume --group`: one member of a consumer group under the classic protocol, range
// assignment of each subscribed topic (as Kafka's RangeAssignor), with heartbeats and offset
// commits. Works against Apache Kafka too.
import type { KafkaConnection } from '../client/kafka-connection.ts';
import { CliError, type KafkaCluster, type TopicLayout } from '../client/kafka-cluster.ts';
import { ApiKey } from '../protocol/generated/index.ts';
import { ErrorCode, errorName } from '../protocol/errors.ts';
import { Reader, Writer } from '../protocol/primitives.ts';
import type { JoinGroupResponse } from '../protocol/generated/join-group-response.ts';
import type { SyncGroupResponse } from '../protocol/generated/sync-group-response.ts';
import type { HeartbeatResponse } from '../protocol/generated/heartbeat-response.ts';
import type { OffsetFetchResponse } from '../protocol/generated/offset-fetch-response.ts';
import type { OffsetCommitResponse } from '../protocol/generated/offset-commit-response.ts';
import { encodeConsumerProtocolSubscription, decodeConsumerProtocolSubscription } from '../protocol/generated/consumer-protocol-subscription.ts';
import { encodeConsumerProtocolAssignment, decodeConsumerProtocolAssignment } from '../protocol/generated/consumer-protocol-assignment.ts';

const SESSION_TIMEOUT_MS = 30_000;
const REBALANCE_TIMEOUT_MS = 30_000;

interface Membership {
  memberId: string;
  generationId: number;
  /** Topic -> the partitions of it this member owns. */
  assigned: Map<string, number[]>;
}

function encodeWith(encode: (w: Writer, version: number, m: never) => void, version: number, body: unknown): Buffer {
  const w = new Writer(64);
  w.int16(version);
  (encode as (w: Writer, v: number, m: unknown) => void)(w, version, body);
  return w.finish();
}

/** Range assignment of one topic's partitions over the members, in member id order. */
export function assignRange(memberIds: string[], partitionCount: number): Map<string, number[]> {
  const members = [...memberIds].sort();
  const out = new Map<string, number[]>(members.map((m) => [m, []]));
  const per = Math.floor(partitionCount / members.length);
  const extra = partitionCount % members.length;
  let next = 0;
  members.forEach((m, i) => {
    const n = per + (i < extra ? 1 : 0);
    for (let k = 0; k < n; k++) out.get(m)!.push(next++);
  });
  return out;
}

export class GroupMember {
  readonly #cluster: KafkaCluster;
  readonly #groupId: string;
  readonly #topics: TopicLayout[];
  membership: Membership | undefined;
  #memberId = '';

  constructor(cluster: KafkaCluster, groupId: string, topics: TopicLayout | TopicLayout[]) {
    this.#cluster = cluster;
    this.#groupId = groupId;
    this.#topics = Array.isArray(topics) ? topics : [topics];
  }

  async join(): Promise<Membership> {
    const names = this.#topics.map((t) => t.name);
    const subscription = encodeWith(encodeConsumerProtocolSubscription, 0, { topics: names, userData: null });
    for (let attempt = 0; attempt < 20; attempt++) {
      const join = await this.#cluster.atCoordinator(this.#groupId, (c) => c.request<JoinGroupResponse>(ApiKey.JoinGroup, c.version(ApiKey.JoinGroup), {
        groupId: this.#groupId, sessionTimeoutMs: SESSION_TIMEOUT_MS, rebalanceTimeoutMs: REBALANCE_TIMEOUT_MS,
        memberId: this.#memberId, groupInstanceId: null, protocolType: 'consumer', protocols: [{ name: 'range', metadata: subscription }], reason: null,
      }, { waitMs: REBALANCE_TIMEOUT_MS }), (r) => r.errorCode);
      if (join.errorCode === ErrorCode.MEMBER_ID_REQUIRED) {
        this.#memberId = join.memberId;
        continue;
      }
      if (join.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) {
        this.#memberId = '';
        continue;
      }
      if (join.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) continue;
      if (join.errorCode !== ErrorCode.NONE) throw new CliError(`JoinGroup ${this.#groupId}: ${errorName(join.errorCode)}`);
      this.#memberId = join.memberId;
      let assignments: { memberId: string; assignment: Buffer }[] = [];
      if (join.leader === join.memberId) {
        // Each topic any member subscribes to is split over the members subscribed to it, as the
        // Java leader does; topics only other members want are looked up here.
        const subscriptions = join.members.map((m) => ({
          memberId: m.memberId,
          topics: decodeConsumerProtocolSubscription(new Reader(m.metadata.subarray(2)), m.metadata.readInt16BE(0)).topics,
        }));
        const layouts = [...this.#topics];
        for (const name of new Set(subscriptions.flatMap((x) => x.topics))) {
          if (layouts.some((t) => t.name === name)) continue;
          // A topic that does not exist (yet) gets no partitions, as in Kafka's assignors.
          const layout = await this.#cluster.topic(name).catch(() => undefined);
          if (layout) layouts.push(layout);
        }
        const perMember = new Map<string, { topic: string; partitions: number[] }[]>(join.members.map((m) => [m.memberId, []]));
        for (const topic of layouts) {
          const plan = assignRange(subscriptions.filter((s) => s.topics.includes(topic.name)).map((s) => s.memberId), topic.leaders.length);
          for (const [memberId, partitions] of plan) if (partitions.length > 0) perMember.get(memberId)!.push({ topic: topic.name, partitions });
        }
        assignments = join.members.map((m) => ({
          memberId: m.memberId,
          assignment: encodeWith(encodeConsumerProtocolAssignment, 0, { assignedPartitions: perMember.get(m.memberId) ?? [], userData: null }),
        }));
      }
      const c = await this.#cluster.coordinator(this.#groupId);
      const sync = await c.request<SyncGroupResponse>(ApiKey.SyncGroup, c.version(ApiKey.SyncGroup), {
        groupId: this.#groupId, generationId: join.generationId, memberId: join.memberId, groupInstanceId: null,
        protocolType: 'consumer', protocolName: join.protocolName ?? 'range', assignments,
      }, { waitMs: REBALANCE_TIMEOUT_MS });
      if (sync.errorCode === ErrorCode.REBALANCE_IN_PROGRESS) continue;
      if (sync.errorCode !== ErrorCode.NONE) throw new CliError(`SyncGroup ${this.#groupId}: ${errorName(sync.errorCode)}`);
      const assigned = new Map<string, number[]>();
      if (sync.assignment.length >= 2) {
        const a = decodeConsumerProtocolAssignment(new Reader(sync.assignment.subarray(2)), sync.assignment.readInt16BE(0));
        for (const tp of a.assignedPartitions) if (names.includes(tp.topic)) assigned.set(tp.topic, [...(assigned.get(tp.topic) ?? []), ...tp.partitions]);
      }
      this.membership = { memberId: join.memberId, generationId: join.generationId, assigned };
      return this.membership;
    }
    throw new CliError(`could not join group ${this.#groupId}`);
  }

  /** Heartbeat; false when the group is rebalancing and this member must rejoin. */
  async heartbeat(): Promise<boolean> {
    const m = this.membership!;
    const res = await this.#cluster.atCoordinator(this.#groupId, (c) => c.request<HeartbeatResponse>(ApiKey.Heartbeat, c.version(ApiKey.Heartbeat), {
      groupId: this.#groupId, generationId: m.generationId, memberId: m.memberId, groupInstanceId: null,
    }), (r) => r.errorCode);
    if (res.errorCode === ErrorCode.NONE) return true;
    if (res.errorCode === ErrorCode.REBALANCE_IN_PROGRESS || res.errorCode === ErrorCode.ILLEGAL_GENERATION || res.errorCode === ErrorCode.UNKNOWN_MEMBER_ID) return false;
    throw new CliError(`Heartbeat ${this.#groupId}: ${errorName(res.errorCode)}`);
  }

  async committed(topic: string, partitions: number[]): Promise<Map<number, bigint>> {
    return committedOffsets(await this.#cluster.coordinator(this.#groupId), this.#groupId, topic, partitions);
  }

  /** Commits topic -> partition -> next offset to read. */
  async commit(offsets: Map<string, Map<number, bigint>>): Promise<void> {
    const m = this.membership;
    const topics = [...offsets].filter(([, ps]) => ps.size > 0);
    if (!m || topics.length === 0) return;
    const res = await this.#cluster.atCoordinator(this.#groupId, (c) => c.request<OffsetCommitResponse>(ApiKey.OffsetCommit, c.version(ApiKey.OffsetCommit), {
      groupId: this.#groupId, generationIdOrMemberEpoch: m.generationId, memberId: m.memberId, groupInstanceId: null, retentionTimeMs: -1n,
      topics: topics.map(([name, ps]) => ({ name, partitions: [...ps].map(([partitionIndex, committedOffset]) => ({ partitionIndex, committedOffset, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null })) })),
    }), (r) => r.topics[0]?.partitions[0]?.errorCode ?? ErrorCode.NONE);
    for (const t of res.topics) for (const p of t.partitions) {
      if (p.errorCode !== ErrorCode.NONE) console.error(`highwater: commit ${t.name}/${p.partitionIndex}: ${errorName(p.errorCode)}`);
    }
  }

  async leave(): Promise<void> {
    const m = this.membership;
    if (!m) return;
    const c = await this.#cluster.coordinator(this.#groupId);
    const v = c.version(ApiKey.LeaveGroup);
    await c.request(ApiKey.LeaveGroup, v, v >= 3
      ? { groupId: this.#groupId, members: [{ memberId: m.memberId, groupInstanceId: null, reason: 'highwater consume exiting' }] }
      : { groupId: this.#groupId, memberId: m.memberId }).catch(() => undefined);
  }
}

/** OffsetFetch for one group and topic (-1 where nothing is committed). */
export async function committedOffsets(c: KafkaConnection, groupId: string, topic: string, partitions: number[] | null): Promise<Map<number, bigint>> {
  const v = c.version(ApiKey.OffsetFetch);
  const topics = partitions === null ? null : [{ name: topic, partitionIndexes: partitions }];
  const res = await c.request<OffsetFetchResponse>(ApiKey.OffsetFetch, v, v >= 8
    ? { groups: [{ groupId, memberId: null, memberEpoch: -1, topics }], requireStable: false }
    : { groupId, topics, requireStable: false });
  const out = new Map<number, bigint>();
  if (v >= 8) {
    const g = res.groups[0];
    if (g && g.errorCode !== ErrorCode.NONE) throw new CliError(`OffsetFetch ${groupId}: ${errorName(g.errorCode)}`);
    for (const t of g?.topics ?? []) if (t.name === topic) for (const p of t.partitions) out.set(p.partitionIndex, p.committedOffset);
  } else {
    if (res.errorCode !== ErrorCode.NONE) throw new CliError(`OffsetFetch ${groupId}: ${errorName(res.errorCode)}`);
    for (const t of res.topics) if (t.name === topic) for (const p of t.partitions) out.set(p.partitionIndex, p.committedOffset);
  }
  return out;
}

// ---- the command ----
