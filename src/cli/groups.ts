// `highwater groups list|describe|delete|reset-offsets`: consumer-group administration over the Kafka
// protocol (ListGroups, DescribeGroups, OffsetFetch, ListOffsets, DeleteGroups, OffsetCommit), in
// the manner of kafka-consumer-groups.sh; it works against Apache Kafka too.
import type { Command } from 'commander';
import { ApiKey } from '../protocol/generated/index.ts';
import { ErrorCode, errorName } from '../protocol/errors.ts';
import { Reader } from '../protocol/primitives.ts';
import type { ListGroupsResponse } from '../protocol/generated/list-groups-response.ts';
import type { DescribeGroupsResponse, DescribedGroup } from '../protocol/generated/describe-groups-response.ts';
import type { OffsetFetchResponse } from '../protocol/generated/offset-fetch-response.ts';
import type { DeleteGroupsResponse } from '../protocol/generated/delete-groups-response.ts';
import type { OffsetCommitResponse } from '../protocol/generated/offset-commit-response.ts';
import type { ConsumerGroupDescribeResponse } from '../protocol/generated/consumer-group-describe-response.ts';
import { decodeConsumerProtocolAssignment } from '../protocol/generated/consumer-protocol-assignment.ts';
import type { OffsetDeleteResponse } from '../protocol/generated/offset-delete-response.ts';
import { CliError, EARLIEST_TIMESTAMP, type KafkaCluster, LATEST_TIMESTAMP } from '../client/kafka-cluster.ts';
import { action, clientOptions, collect, parseDuration, parseInteger, parseTime, table, toJson, withCluster, type ClientFlags } from './common.ts';

export interface ListedGroupRow {
  groupId: string;
  state: string;
  protocolType: string;
}

/** Every group of every broker in the cluster (each broker lists the groups it coordinates). */
export async function listGroups(cluster: KafkaCluster): Promise<ListedGroupRow[]> {
  const md = await cluster.metadata([]);
  const rows = new Map<string, ListedGroupRow>();
  await Promise.all(md.brokers.map(async (b) => {
    const c = await cluster.node(b.nodeId);
    const res = await c.request<ListGroupsResponse>(ApiKey.ListGroups, c.version(ApiKey.ListGroups), { statesFilter: [], typesFilter: [] });
    if (res.errorCode !== ErrorCode.NONE) throw new CliError(`ListGroups on node ${b.nodeId}: ${errorName(res.errorCode)}`);
    for (const g of res.groups) rows.set(g.groupId, { groupId: g.groupId, state: g.groupState || '-', protocolType: g.protocolType });
  }));
  return [...rows.values()].sort((a, b) => a.groupId.localeCompare(b.groupId));
}

async function describeGroup(cluster: KafkaCluster, groupId: string): Promise<DescribedGroup> {
  const res = await cluster.atCoordinator(groupId,
    (c) => c.request<DescribeGroupsResponse>(ApiKey.DescribeGroups, c.version(ApiKey.DescribeGroups), { groups: [groupId], includeAuthorizedOperations: false }),
    (r) => r.groups[0]?.errorCode ?? ErrorCode.NONE);
  const g = res.groups[0];
  if (!g) throw new CliError(`DescribeGroups ${groupId}: no answer`);
  if (g.errorCode !== ErrorCode.NONE) throw new CliError(`DescribeGroups ${groupId}: ${errorName(g.errorCode)}`);
  return g;
}

/** Every committed offset of a group: topic -> partition -> offset. */
export async function groupOffsets(cluster: KafkaCluster, groupId: string): Promise<Map<string, Map<number, bigint>>> {
  let v = 0;
  const res = await cluster.atCoordinator(groupId, (c) => {
    v = c.version(ApiKey.OffsetFetch);
    return c.request<OffsetFetchResponse>(ApiKey.OffsetFetch, v, v >= 8
      ? { groups: [{ groupId, memberId: null, memberEpoch: -1, topics: null }], requireStable: false }
      : { groupId, topics: null, requireStable: false });
  }, (r) => (v >= 8 ? (r.groups[0]?.errorCode ?? ErrorCode.NONE) : r.errorCode));
  const out = new Map<string, Map<number, bigint>>();
  const code = v >= 8 ? (res.groups[0]?.errorCode ?? ErrorCode.NONE) : res.errorCode;
  if (code !== ErrorCode.NONE) throw new CliError(`OffsetFetch ${groupId}: ${errorName(code)}`);
  const topics = v >= 8 ? (res.groups[0]?.topics ?? []) : res.topics;
  for (const t of topics) {
    for (const p of t.partitions) {
      if (p.committedOffset < 0n) continue;
      if (!out.has(t.name)) out.set(t.name, new Map());
      out.get(t.name)!.set(p.partitionIndex, p.committedOffset);
    }
  }
  return out;
}

/** Which member holds which topic partitions, from the opaque assignment bytes of a consumer group. */
function assignmentsOf(group: DescribedGroup): Map<string, { memberId: string; clientId: string; clientHost: string }> {
  const owner = new Map<string, { memberId: string; clientId: string; clientHost: string }>();
  if (group.protocolType !== 'consumer') return owner;
  for (const m of group.members) {
    if (m.memberAssignment.length < 2) continue;
    try {
      const a = decodeConsumerProtocolAssignment(new Reader(m.memberAssignment.subarray(2)), m.memberAssignment.readInt16BE(0));
      for (const tp of a.assignedPartitions) for (const p of tp.partitions) owner.set(`${tp.topic}\0${p}`, m);
    } catch {
      // An assignment this tool cannot read is left unshown rather than failing the whole describe.
    }
  }
  return owner;
}

export interface LagRow {
  topic: string;
  partition: number;
  currentOffset: bigint | null;
  logEndOffset: bigint;
  lag: bigint | null;
  memberId: string;
  clientHost: string;
  clientId: string;
}

export interface GroupDescription {
  groupId: string;
  state: string;
  protocolType: string;
  protocol: string;
  members: { memberId: string; clientId: string; clientHost: string; groupInstanceId: string | null }[];
  lag: LagRow[];
  /** Consumer groups (KIP-848): the group epoch and each member's epoch and assigned partitions. */
  consumer?: { groupEpoch: number; members: { memberId: string; memberEpoch: number; assignment: string }[] };
}

/**
 * A consumer group (KIP-848) described by ConsumerGroupDescribe, in the shape DescribeGroups gives
 * classic groups; undefined when the broker does not serve it or the group is not a consumer group.
 */
async function describeConsumerGroup(cluster: KafkaCluster, groupId: string): Promise<{ group: DescribedGroup; consumer: NonNullable<GroupDescription['consumer']>; owners: ReturnType<typeof assignmentsOf> } | undefined> {
  const res = await cluster.atCoordinator(groupId, async (c): Promise<ConsumerGroupDescribeResponse | undefined> => {
    let v: number;
    try {
      v = c.version(ApiKey.ConsumerGroupDescribe);
    } catch {
      return undefined;
    }
    return c.request<ConsumerGroupDescribeResponse>(ApiKey.ConsumerGroupDescribe, v, { groupIds: [groupId], includeAuthorizedOperations: false });
  }, (r) => r?.groups[0]?.errorCode ?? ErrorCode.NONE);
  if (!res) return undefined;
  const g = res.groups[0];
  if (!g || g.errorCode !== ErrorCode.NONE) return undefined;
  const owners: ReturnType<typeof assignmentsOf> = new Map();
  for (const m of g.members) for (const tp of m.assignment.topicPartitions) for (const p of tp.partitions) owners.set(`${tp.topicName}\0${p}`, m);
  return {
    group: {
      errorCode: 0, groupId, groupState: g.groupState, protocolType: 'consumer', protocolData: g.assignorName, authorizedOperations: 0,
      members: g.members.map((m) => ({ memberId: m.memberId, groupInstanceId: m.instanceId, clientId: m.clientId, clientHost: m.clientHost, memberMetadata: Buffer.alloc(0), memberAssignment: Buffer.alloc(0) })),
    },
    consumer: {
      groupEpoch: g.groupEpoch,
      members: g.members.map((m) => ({
        memberId: m.memberId, memberEpoch: m.memberEpoch,
        assignment: m.assignment.topicPartitions.map((tp) => `${tp.topicName}:${[...tp.partitions].sort((a, b) => a - b).join(',')}`).join(' ') || '-',
      })),
    },
    owners,
  };
}

export async function describeGroupWithLag(cluster: KafkaCluster, groupId: string): Promise<GroupDescription> {
  let group = await describeGroup(cluster, groupId);
  const consumerGroup = group.groupState === 'Dead' ? await describeConsumerGroup(cluster, groupId) : undefined;
  if (consumerGroup) group = consumerGroup.group;
  if (group.groupState === 'Dead') throw new CliError(`group ${groupId} does not exist`);
  const committed = await groupOffsets(cluster, groupId);
  const owners = consumerGroup?.owners ?? assignmentsOf(group);
  // Partitions assigned but not yet committed are shown too, with no current offset.
  const topics = new Set<string>(committed.keys());
  for (const key of owners.keys()) topics.add(key.slice(0, key.indexOf('\0')));
  const lag: LagRow[] = [];
  for (const name of [...topics].sort()) {
    const layout = await cluster.topic(name).catch(() => undefined);
    if (!layout) continue;
    const partitions = layout.leaders.map((_, p) => p).filter((p) => committed.get(name)?.has(p) || owners.has(`${name}\0${p}`));
    const ends = await cluster.listOffsets(layout, partitions, LATEST_TIMESTAMP);
    for (const p of partitions) {
      const current = committed.get(name)?.get(p) ?? null;
      const end = ends.get(p) ?? -1n;
      const owner = owners.get(`${name}\0${p}`);
      lag.push({
        topic: name, partition: p, currentOffset: current, logEndOffset: end,
        lag: current === null ? null : end > current ? end - current : 0n,
        memberId: owner?.memberId ?? '-', clientHost: owner?.clientHost ?? '-', clientId: owner?.clientId ?? '-',
      });
    }
  }
  return {
    groupId, state: group.groupState, protocolType: group.protocolType, protocol: group.protocolData,
    members: group.members.map((m) => ({ memberId: m.memberId, clientId: m.clientId, clientHost: m.clientHost, groupInstanceId: m.groupInstanceId })),
    lag,
    ...(consumerGroup ? { consumer: consumerGroup.consumer } : {}),
  };
}

export type ResetTarget = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'offset'; offset: bigint } | { kind: 'datetime'; timestamp: bigint } | { kind: 'duration'; ms: number } | { kind: 'shift'; by: bigint };

export interface ResetPlan {
  topic: string;
  partition: number;
  from: bigint | null;
  to: bigint;
}

/**
 * Works out the new offsets of the group for each topic; with `execute`, commits them (the group
 * must have no members). `onlyPartitions` applies to every topic given.
 */
export async function resetOffsets(cluster: KafkaCluster, groupId: string, topicNames: string | string[], target: ResetTarget, execute: boolean, onlyPartitions?: number[]): Promise<ResetPlan[]> {
  const group = await describeGroup(cluster, groupId);
  if (group.groupState !== 'Empty' && group.groupState !== 'Dead') {
    throw new CliError(`group ${groupId} is ${group.groupState} with ${group.members.length} member(s); offsets can only be reset while it has none (stop its consumers first)`);
  }
  const committed = await groupOffsets(cluster, groupId);
  const plan: ResetPlan[] = [];
  for (const topicName of typeof topicNames === 'string' ? [topicNames] : topicNames) {
    const topic = await cluster.topic(topicName);
    const partitions = onlyPartitions ?? topic.leaders.map((_, p) => p);
    for (const p of partitions) if (topic.leaders[p] === undefined) throw new CliError(`topic ${topicName} has ${topic.leaders.length} partitions; there is no partition ${p}`);
    const current = committed.get(topicName) ?? new Map<number, bigint>();
    const [earliest, latest] = await Promise.all([
      cluster.listOffsets(topic, partitions, EARLIEST_TIMESTAMP),
      cluster.listOffsets(topic, partitions, LATEST_TIMESTAMP),
    ]);
    const at = target.kind === 'datetime' ? target.timestamp : target.kind === 'duration' ? BigInt(Date.now() - target.ms) : undefined;
    const byTime = at !== undefined ? await cluster.listOffsets(topic, partitions, at) : undefined;
    const clamp = (p: number, o: bigint) => (o < earliest.get(p)! ? earliest.get(p)! : o > latest.get(p)! ? latest.get(p)! : o);
    for (const p of partitions) {
      const from = current.get(p) ?? null;
      let to: bigint;
      switch (target.kind) {
        case 'earliest': to = earliest.get(p)!; break;
        case 'latest': to = latest.get(p)!; break;
        case 'offset': to = clamp(p, target.offset); break;
        case 'shift': to = clamp(p, (from ?? latest.get(p)!) + target.by); break;
        case 'datetime':
        case 'duration': {
          // No record at or after the time: the end, as kafka-consumer-groups does.
          const found = byTime!.get(p) ?? -1n;
          to = found >= 0n ? found : latest.get(p)!;
          break;
        }
      }
      plan.push({ topic: topicName, partition: p, from, to });
    }
  }
  if (execute && plan.length > 0) {
    const byTopic = new Map<string, ResetPlan[]>();
    for (const r of plan) byTopic.set(r.topic, [...(byTopic.get(r.topic) ?? []), r]);
    // generation -1 and no member id: a commit for a group with no members, as the admin tools send.
    const res = await cluster.atCoordinator(groupId, (c) => c.request<OffsetCommitResponse>(ApiKey.OffsetCommit, c.version(ApiKey.OffsetCommit), {
      groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n,
      topics: [...byTopic].map(([name, rows]) => ({ name, partitions: rows.map((r) => ({ partitionIndex: r.partition, committedOffset: r.to, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null })) })),
    }), (r) => r.topics[0]?.partitions[0]?.errorCode ?? ErrorCode.NONE);
    for (const t of res.topics) for (const p of t.partitions) {
      if (p.errorCode !== ErrorCode.NONE) throw new CliError(`OffsetCommit ${t.name}/${p.partitionIndex}: ${errorName(p.errorCode)}`);
    }
  }
  return plan;
}

/** OffsetDelete: forgets the group's committed offsets for these partitions (the group must not be subscribed to them). */
export async function deleteGroupOffsets(cluster: KafkaCluster, groupId: string, topics: { name: string; partitions: number[] }[]): Promise<{ topic: string; partition: number; errorCode: number }[]> {
  const res = await cluster.atCoordinator(groupId, (c) => c.request<OffsetDeleteResponse>(ApiKey.OffsetDelete, c.version(ApiKey.OffsetDelete), {
    groupId, topics: topics.map((t) => ({ name: t.name, partitions: t.partitions.map((partitionIndex) => ({ partitionIndex })) })),
  }), (r) => r.errorCode);
  if (res.errorCode !== ErrorCode.NONE) throw new CliError(`group ${groupId}: ${errorName(res.errorCode)}`);
  return res.topics.flatMap((t) => t.partitions.map((p) => ({ topic: t.name, partition: p.partitionIndex, errorCode: p.errorCode })));
}

export async function deleteGroups(cluster: KafkaCluster, groupIds: string[]): Promise<{ groupId: string; errorCode: number }[]> {
  const results: { groupId: string; errorCode: number }[] = [];
  for (const groupId of groupIds) {
    const res = await cluster.atCoordinator(groupId,
      (c) => c.request<DeleteGroupsResponse>(ApiKey.DeleteGroups, c.version(ApiKey.DeleteGroups), { groupsNames: [groupId] }),
      (r) => r.results[0]?.errorCode ?? ErrorCode.NONE);
    for (const r of res.results) results.push({ groupId: r.groupId, errorCode: r.errorCode });
  }
  return results;
}

export function parseResetTarget(o: { toEarliest?: boolean; toLatest?: boolean; toOffset?: string; toDatetime?: string; byDuration?: string; shiftBy?: string }): ResetTarget {
  const chosen = [o.toEarliest, o.toLatest, o.toOffset, o.toDatetime, o.byDuration, o.shiftBy].filter((x) => x !== undefined && x !== false);
  if (chosen.length !== 1) throw new CliError('give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --by-duration, --shift-by');
  if (o.toEarliest) return { kind: 'earliest' };
  if (o.toLatest) return { kind: 'latest' };
  if (o.toOffset !== undefined) return { kind: 'offset', offset: BigInt(parseInteger(o.toOffset, '--to-offset', 0)) };
  if (o.shiftBy !== undefined) return { kind: 'shift', by: BigInt(parseInteger(o.shiftBy, '--shift-by')) };
  if (o.byDuration !== undefined) return { kind: 'duration', ms: parseDuration(o.byDuration, '--by-duration') };
  return { kind: 'datetime', timestamp: BigInt(parseTime(o.toDatetime!)) };
}

type Flags = ClientFlags & { format: 'text' | 'json' };

/** "topic" or "topic:0,2": a topic and, optionally, some of its partitions. */
function parseTopicPartitions(spec: string): { name: string; partitions: number[] | null } {
  const at = spec.lastIndexOf(':');
  if (at <= 0) return { name: spec, partitions: null };
  return { name: spec.slice(0, at), partitions: spec.slice(at + 1).split(',').map((p) => parseInteger(p, `partitions of ${spec}`, 0)) };
}

export function registerGroupsCommand(program: Command): void {
  const groups = program.command('groups').alias('group').description('list, describe (with lag), delete consumer groups, reset and delete their offsets');

  clientOptions(groups.command('list').alias('ls').description('list consumer groups'), { json: true })
    .action(action(async (o: Flags) => withCluster(o, 'highwater-groups', async (cluster) => {
      const rows = await listGroups(cluster);
      if (o.format === 'json') console.log(toJson(rows));
      else console.log(table(['GROUP', 'STATE', 'PROTOCOL-TYPE'], rows.map((r) => [r.groupId, r.state, r.protocolType || '-'])));
    })));

  clientOptions(groups.command('describe <groups...>').description('members, committed offsets, log end offsets and lag per partition'), { json: true })
    .action(action(async (ids: string[], o: Flags) => withCluster(o, 'highwater-groups', async (cluster) => {
      const all: GroupDescription[] = [];
      for (const groupId of ids) all.push(await describeGroupWithLag(cluster, groupId));
      if (o.format === 'json') {
        console.log(toJson(all));
        return;
      }
      for (const d of all) {
        const total = d.lag.reduce((n, r) => n + (r.lag ?? 0n), 0n);
        console.log(`group ${d.groupId}  state ${d.state}  protocol ${d.protocolType || '-'}/${d.protocol || '-'}  members ${d.members.length}  total lag ${total}`);
        console.log(table(['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'], d.lag.map((r) => [
          r.topic, String(r.partition), r.currentOffset === null ? '-' : String(r.currentOffset), String(r.logEndOffset),
          r.lag === null ? '-' : String(r.lag), r.memberId, r.clientHost, r.clientId,
        ])));
        if (d.consumer) {
          console.log(`\ngroup epoch ${d.consumer.groupEpoch}`);
          console.log(table(['CONSUMER-ID', 'MEMBER-EPOCH', 'ASSIGNMENT'], d.consumer.members.map((m) => [m.memberId, String(m.memberEpoch), m.assignment])));
        }
      }
    })));

  clientOptions(groups.command('delete <groups...>').description('delete groups that have no members, with their committed offsets'), { json: true })
    .action(action(async (ids: string[], o: Flags) => withCluster(o, 'highwater-groups', async (cluster) => {
      const results = await deleteGroups(cluster, ids);
      if (o.format === 'json') console.log(toJson(results.map((r) => ({ group: r.groupId, error: r.errorCode === ErrorCode.NONE ? null : errorName(r.errorCode) }))));
      for (const r of results) {
        if (r.errorCode === ErrorCode.NONE) {
          if (o.format !== 'json') console.log(`deleted group ${r.groupId}`);
        } else {
          console.error(`highwater: group ${r.groupId}: ${errorName(r.errorCode)}`);
          process.exitCode = 1;
        }
      }
    })));

  clientOptions(groups.command('delete-offsets <group>').description('forget a group\'s committed offsets for some topics (which it must not be consuming)'), { json: true })
    .requiredOption('-t, --topic <topic[:p,p]>', 'topic, optionally with partitions (repeatable)', collect)
    .action(action(async (groupId: string, o: Flags & { topic: string[] }) => withCluster(o, 'highwater-groups', async (cluster) => {
      const specs = o.topic.map(parseTopicPartitions);
      const topics = [];
      for (const t of specs) topics.push({ name: t.name, partitions: t.partitions ?? (await cluster.topic(t.name)).leaders.map((_, p) => p) });
      const results = await deleteGroupOffsets(cluster, groupId, topics);
      if (o.format === 'json') console.log(toJson(results.map((r) => ({ topic: r.topic, partition: r.partition, error: r.errorCode === ErrorCode.NONE ? null : errorName(r.errorCode) }))));
      else console.log(table(['TOPIC', 'PARTITION', 'STATUS'], results.map((r) => [r.topic, String(r.partition), r.errorCode === ErrorCode.NONE ? 'deleted' : errorName(r.errorCode)])));
      if (results.some((r) => r.errorCode !== ErrorCode.NONE)) process.exitCode = 1;
    })));

  clientOptions(groups.command('reset-offsets <group>').description('set a group\'s committed offsets for some topics (the group must have no members); a dry run unless --execute'), { json: true })
    .requiredOption('-t, --topic <topic>', 'topic whose offsets to reset (repeatable)', collect)
    .option('-p, --partition <n>', 'only these partitions, in every topic given (repeatable or comma-separated)', collect)
    .option('--to-earliest', 'to the log start offset')
    .option('--to-latest', 'to the high watermark')
    .option('--to-offset <n>', 'to this offset (clamped to the log)')
    .option('--to-datetime <when>', 'to the first offset at or after this time (ISO date-time such as 2026-12-01T10:00:00, unix ms, or -1h)')
    .option('--by-duration <duration>', 'to the first offset at or after this long ago (e.g. 1h, 30m, PT1H)')
    .option('--shift-by <n>', 'move the committed offsets by n (negative: back)')
    .option('--execute', 'commit the new offsets (without it, only print them)', false)
    .action(action(async (groupId: string, o: Flags & { topic: string[]; partition?: string[]; execute: boolean; toEarliest?: boolean; toLatest?: boolean; toOffset?: string; toDatetime?: string; byDuration?: string; shiftBy?: string }) => {
      const target = parseResetTarget(o);
      const partitions = o.partition?.flatMap((p) => p.split(',')).map((p) => parseInteger(p, '-p/--partition', 0));
      await withCluster(o, 'highwater-groups', async (cluster) => {
        const plan = await resetOffsets(cluster, groupId, o.topic, target, o.execute, partitions);
        if (o.format === 'json') {
          console.log(toJson({ group: groupId, executed: o.execute, offsets: plan }));
          return;
        }
        console.log(table(['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'NEW-OFFSET'], plan.map((r) => [r.topic, String(r.partition), r.from === null ? '-' : String(r.from), String(r.to)])));
        if (!o.execute) console.log('(dry run: add --execute to commit these offsets)');
      });
    }));
}
