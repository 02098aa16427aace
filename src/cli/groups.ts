// `highwater groups list|describe|delete|reset-offsets`: consumer-group administration over the Kafka
// protocol (ListGroups, DescribeGroups, OffsetFetch, ListOffsets, DeleteGroups, OffsetCommit), in
// the manner of kafka-consumer-groups.sh; it works against Apache Kafka too.
import type { Command } from 'commander';
import type { KafkaConnection } from '../client/kafka-connection.ts';
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
import { CliError, EARLIEST_TIMESTAMP, KafkaCluster, LATEST_TIMESTAMP } from '../client/kafka-cluster.ts';

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

async function describeGroup(coordinator: KafkaConnection, groupId: string): Promise<DescribedGroup> {
  const c = coordinator;
  const res = await c.request<DescribeGroupsResponse>(ApiKey.DescribeGroups, c.version(ApiKey.DescribeGroups), { groups: [groupId], includeAuthorizedOperations: false });
  const g = res.groups[0];
  if (!g) throw new CliError(`DescribeGroups ${groupId}: no answer`);
  if (g.errorCode !== ErrorCode.NONE) throw new CliError(`DescribeGroups ${groupId}: ${errorName(g.errorCode)}`);
  return g;
}

/** Every committed offset of a group: topic -> partition -> offset. */
export async function groupOffsets(c: KafkaConnection, groupId: string): Promise<Map<string, Map<number, bigint>>> {
  const v = c.version(ApiKey.OffsetFetch);
  const res = await c.request<OffsetFetchResponse>(ApiKey.OffsetFetch, v, v >= 8
    ? { groups: [{ groupId, memberId: null, memberEpoch: -1, topics: null }], requireStable: false }
    : { groupId, topics: null, requireStable: false });
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
async function describeConsumerGroup(c: KafkaConnection, groupId: string): Promise<{ group: DescribedGroup; consumer: NonNullable<GroupDescription['consumer']>; owners: ReturnType<typeof assignmentsOf> } | undefined> {
  let v: number;
  try {
    v = c.version(ApiKey.ConsumerGroupDescribe);
  } catch {
    return undefined;
  }
  const res = await c.request<ConsumerGroupDescribeResponse>(ApiKey.ConsumerGroupDescribe, v, { groupIds: [groupId], includeAuthorizedOperations: false });
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
  const coordinator = await cluster.coordinator(groupId);
  let group = await describeGroup(coordinator, groupId);
  const consumerGroup = group.groupState === 'Dead' ? await describeConsumerGroup(coordinator, groupId) : undefined;
  if (consumerGroup) group = consumerGroup.group;
  if (group.groupState === 'Dead') throw new CliError(`group ${groupId} does not exist`);
  const committed = await groupOffsets(coordinator, groupId);
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

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  return [header, ...rows].map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

export type ResetTarget = { kind: 'earliest' } | { kind: 'latest' } | { kind: 'offset'; offset: bigint } | { kind: 'datetime'; timestamp: bigint } | { kind: 'shift'; by: bigint };

export interface ResetPlan {
  topic: string;
  partition: number;
  from: bigint | null;
  to: bigint;
}

/** Works out the new offsets; with `execute`, commits them (the group must have no members). */
export async function resetOffsets(cluster: KafkaCluster, groupId: string, topicName: string, target: ResetTarget, execute: boolean, onlyPartitions?: number[]): Promise<ResetPlan[]> {
  const coordinator = await cluster.coordinator(groupId);
  const group = await describeGroup(coordinator, groupId);
  if (group.groupState !== 'Empty' && group.groupState !== 'Dead') {
    throw new CliError(`group ${groupId} is ${group.groupState} with ${group.members.length} member(s); offsets can only be reset while it has none`);
  }
  const topic = await cluster.topic(topicName);
  const partitions = onlyPartitions ?? topic.leaders.map((_, p) => p);
  const current = (await groupOffsets(coordinator, groupId)).get(topicName) ?? new Map<number, bigint>();
  const [earliest, latest] = await Promise.all([
    cluster.listOffsets(topic, partitions, EARLIEST_TIMESTAMP),
    cluster.listOffsets(topic, partitions, LATEST_TIMESTAMP),
  ]);
  const byTime = target.kind === 'datetime' ? await cluster.listOffsets(topic, partitions, target.timestamp) : undefined;
  const clamp = (p: number, o: bigint) => (o < earliest.get(p)! ? earliest.get(p)! : o > latest.get(p)! ? latest.get(p)! : o);
  const plan = partitions.map((p): ResetPlan => {
    const from = current.get(p) ?? null;
    let to: bigint;
    switch (target.kind) {
      case 'earliest': to = earliest.get(p)!; break;
      case 'latest': to = latest.get(p)!; break;
      case 'offset': to = clamp(p, target.offset); break;
      case 'shift': to = clamp(p, (from ?? latest.get(p)!) + target.by); break;
      case 'datetime': {
        const found = byTime!.get(p) ?? -1n;
        to = found >= 0n ? found : latest.get(p)!;
        break;
      }
    }
    return { topic: topicName, partition: p, from, to };
  });
  if (execute) {
    const c = coordinator;
    // generation -1 and no member id: a commit for a group with no members, as the admin tools send.
    const res = await c.request<OffsetCommitResponse>(ApiKey.OffsetCommit, c.version(ApiKey.OffsetCommit), {
      groupId, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1n,
      topics: [{ name: topicName, partitions: plan.map((r) => ({ partitionIndex: r.partition, committedOffset: r.to, committedLeaderEpoch: -1, commitTimestamp: -1n, committedMetadata: null })) }],
    });
    for (const t of res.topics) for (const p of t.partitions) {
      if (p.errorCode !== ErrorCode.NONE) throw new CliError(`OffsetCommit ${t.name}/${p.partitionIndex}: ${errorName(p.errorCode)}`);
    }
  }
  return plan;
}

export async function deleteGroups(cluster: KafkaCluster, groupIds: string[]): Promise<{ groupId: string; errorCode: number }[]> {
  const results: { groupId: string; errorCode: number }[] = [];
  for (const groupId of groupIds) {
    const c = await cluster.coordinator(groupId);
    const res = await c.request<DeleteGroupsResponse>(ApiKey.DeleteGroups, c.version(ApiKey.DeleteGroups), { groupsNames: [groupId] });
    for (const r of res.results) results.push({ groupId: r.groupId, errorCode: r.errorCode });
  }
  return results;
}

async function withCluster<T>(bootstrap: string, run: (cluster: KafkaCluster) => Promise<T>): Promise<T | undefined> {
  const cluster = await KafkaCluster.connect(bootstrap, 'highwater-groups').catch((err: Error) => {
    throw new CliError(`cannot reach ${bootstrap}: ${err.message}`);
  });
  try {
    return await run(cluster);
  } finally {
    await cluster.close();
  }
}

function reportErrors(action: () => Promise<unknown>): () => Promise<void> {
  return async () => {
    try {
      await action();
    } catch (err) {
      console.error(`highwater: ${(err as Error).message}`);
      process.exitCode = 1;
    }
  };
}

export function parseResetTarget(o: { toEarliest?: boolean; toLatest?: boolean; toOffset?: string; toDatetime?: string; shiftBy?: string }): ResetTarget {
  const chosen = [o.toEarliest, o.toLatest, o.toOffset, o.toDatetime, o.shiftBy].filter((x) => x !== undefined && x !== false);
  if (chosen.length !== 1) throw new CliError('give exactly one of --to-earliest, --to-latest, --to-offset, --to-datetime, --shift-by');
  if (o.toEarliest) return { kind: 'earliest' };
  if (o.toLatest) return { kind: 'latest' };
  if (o.toOffset !== undefined) return { kind: 'offset', offset: BigInt(o.toOffset) };
  if (o.shiftBy !== undefined) return { kind: 'shift', by: BigInt(o.shiftBy) };
  const when = /^\d+$/.test(o.toDatetime!) ? Number(o.toDatetime) : Date.parse(o.toDatetime!);
  if (!Number.isFinite(when)) throw new CliError(`--to-datetime takes unix ms or an ISO date, not ${o.toDatetime}`);
  return { kind: 'datetime', timestamp: BigInt(when) };
}

export function registerGroupsCommand(program: Command): void {
  const groups = program.command('groups').description('list, describe (with lag), delete consumer groups and reset their offsets');
  const bootstrapOption = ['-b, --bootstrap <host:port>', 'broker to talk to', '127.0.0.1:9092'] as const;

  groups.command('list').description('list consumer groups')
    .option(...bootstrapOption)
    .action((o: { bootstrap: string }) => reportErrors(() => withCluster(o.bootstrap, async (cluster) => {
      const rows = await listGroups(cluster);
      console.log(table(['GROUP', 'STATE', 'PROTOCOL-TYPE'], rows.map((r) => [r.groupId, r.state, r.protocolType || '-'])));
    }))());

  groups.command('describe <group>').description('members, committed offsets, log end offsets and lag per partition')
    .option(...bootstrapOption)
    .action((groupId: string, o: { bootstrap: string }) => reportErrors(() => withCluster(o.bootstrap, async (cluster) => {
      const d = await describeGroupWithLag(cluster, groupId);
      console.log(`group ${d.groupId}  state ${d.state}  protocol ${d.protocolType || '-'}/${d.protocol || '-'}  members ${d.members.length}`);
      console.log(table(['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'LOG-END-OFFSET', 'LAG', 'CONSUMER-ID', 'HOST', 'CLIENT-ID'], d.lag.map((r) => [
        r.topic, String(r.partition), r.currentOffset === null ? '-' : String(r.currentOffset), String(r.logEndOffset),
        r.lag === null ? '-' : String(r.lag), r.memberId, r.clientHost, r.clientId,
      ])));
      if (d.consumer) {
        console.log(`\ngroup epoch ${d.consumer.groupEpoch}`);
        console.log(table(['CONSUMER-ID', 'MEMBER-EPOCH', 'ASSIGNMENT'], d.consumer.members.map((m) => [m.memberId, String(m.memberEpoch), m.assignment])));
      }
    }))());

  groups.command('delete <groups...>').description('delete groups that have no members, with their committed offsets')
    .option(...bootstrapOption)
    .action((ids: string[], o: { bootstrap: string }) => reportErrors(() => withCluster(o.bootstrap, async (cluster) => {
      for (const r of await deleteGroups(cluster, ids)) {
        if (r.errorCode === ErrorCode.NONE) console.log(`deleted group ${r.groupId}`);
        else {
          console.error(`highwater: group ${r.groupId}: ${errorName(r.errorCode)}`);
          process.exitCode = 1;
        }
      }
    }))());

  groups.command('reset-offsets <group>').description('set a group\'s committed offsets for a topic (the group must have no members); a dry run unless --execute')
    .option(...bootstrapOption)
    .requiredOption('-t, --topic <topic>', 'topic whose offsets to reset')
    .option('-p, --partition <n...>', 'only these partitions (default: all)')
    .option('--to-earliest', 'to the log start offset')
    .option('--to-latest', 'to the high watermark')
    .option('--to-offset <n>', 'to this offset (clamped to the log)')
    .option('--to-datetime <when>', 'to the first offset at or after this time (unix ms or ISO date)')
    .option('--shift-by <n>', 'move the committed offsets by n (negative: back)')
    .option('--execute', 'commit the new offsets (without it, only print them)', false)
    .action((groupId: string, o: { bootstrap: string; topic: string; partition?: string[]; execute: boolean; toEarliest?: boolean; toLatest?: boolean; toOffset?: string; toDatetime?: string; shiftBy?: string }) =>
      reportErrors(() => withCluster(o.bootstrap, async (cluster) => {
        const plan = await resetOffsets(cluster, groupId, o.topic, parseResetTarget(o), o.execute, o.partition?.map(Number));
        console.log(table(['TOPIC', 'PARTITION', 'CURRENT-OFFSET', 'NEW-OFFSET'], plan.map((r) => [r.topic, String(r.partition), r.from === null ? '-' : String(r.from), String(r.to)])));
        if (!o.execute) console.log('(dry run: add --execute to commit these offsets)');
      }))());
}
