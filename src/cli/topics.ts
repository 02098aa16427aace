// `highwater topics ...`: topic administration over the Kafka protocol, against Highwater or any
// Kafka broker: create, list, describe, per-partition offsets, configs (describe and alter), add
// partitions, delete records, delete. Names follow rpk's `topic` commands where they exist.
import type { Command } from 'commander';
import { ApiKey } from '../protocol/generated/index.ts';
import { ErrorCode, errorName } from '../protocol/errors.ts';
import type { MetadataResponse } from '../protocol/generated/metadata-response.ts';
import type { CreateTopicsResponse } from '../protocol/generated/create-topics-response.ts';
import type { DeleteTopicsResponse } from '../protocol/generated/delete-topics-response.ts';
import type { DescribeConfigsResponse } from '../protocol/generated/describe-configs-response.ts';
import type { IncrementalAlterConfigsResponse } from '../protocol/generated/incremental-alter-configs-response.ts';
import type { CreatePartitionsResponse } from '../protocol/generated/create-partitions-response.ts';
import type { DeleteRecordsResponse } from '../protocol/generated/delete-records-response.ts';
import { EARLIEST_LOCAL_TIMESTAMP, EARLIEST_TIMESTAMP, LATEST_TIMESTAMP, type KafkaCluster, type TopicLayout } from '../client/kafka-cluster.ts';
import { CliError, action, clientOptions, collect, parseInteger, parseKeyValues, parseTime, table, toJson, withCluster, type ClientFlags } from './common.ts';

const TOPIC_RESOURCE = 2;

/** DescribeConfigs' configSource values, by the names Kafka's tools print. */
const CONFIG_SOURCES: Record<number, string> = {
  0: 'UNKNOWN', 1: 'DYNAMIC_TOPIC_CONFIG', 2: 'DYNAMIC_BROKER_CONFIG', 3: 'DYNAMIC_DEFAULT_BROKER_CONFIG',
  4: 'STATIC_BROKER_CONFIG', 5: 'DEFAULT_CONFIG', 6: 'DYNAMIC_BROKER_LOGGER_CONFIG', 7: 'CLIENT_METRICS_CONFIG', 8: 'GROUP_CONFIG',
};

export interface PartitionOffsets {
  topic: string;
  partition: number;
  leader: number;
  logStartOffset: bigint;
  /** Tiered storage: the first offset in local files (below it: the object store); the log start without it. */
  localLogStartOffset: bigint;
  highWatermark: bigint;
  lastStableOffset: bigint;
}

/** Log start, local log start, high watermark and last stable offset (read_committed LATEST) of every partition of a topic. */
export async function partitionOffsets(cluster: KafkaCluster, topic: TopicLayout, partitions = topic.leaders.map((_, p) => p)): Promise<PartitionOffsets[]> {
  const [start, localStart, end, stable] = await Promise.all([
    cluster.listOffsets(topic, partitions, EARLIEST_TIMESTAMP),
    // A broker too old for KIP-1005 (ListOffsets below v8) has no tiers: its log start is local.
    cluster.listOffsets(topic, partitions, EARLIEST_LOCAL_TIMESTAMP).catch(() => null),
    cluster.listOffsets(topic, partitions, LATEST_TIMESTAMP),
    cluster.listOffsets(topic, partitions, LATEST_TIMESTAMP, 1),
  ]);
  return partitions.map((p) => ({
    topic: topic.name, partition: p, leader: topic.leaders[p]!,
    logStartOffset: start.get(p)!, localLogStartOffset: localStart?.get(p) ?? start.get(p)!, highWatermark: end.get(p)!, lastStableOffset: stable.get(p)!,
  }));
}

export interface TopicConfigEntry {
  name: string;
  value: string | null;
  source: string;
  isDefault: boolean;
  readOnly: boolean;
  sensitive: boolean;
}

export async function describeTopicConfigs(cluster: KafkaCluster, name: string): Promise<TopicConfigEntry[]> {
  const c = cluster.bootstrap;
  const res = await c.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, c.version(ApiKey.DescribeConfigs), {
    resources: [{ resourceType: TOPIC_RESOURCE, resourceName: name, configurationKeys: null }], includeSynonyms: false, includeDocumentation: false,
  });
  const r = res.results[0];
  if (!r) throw new CliError(`DescribeConfigs ${name}: no answer`);
  if (r.errorCode !== ErrorCode.NONE) throw new CliError(`topic ${name}: ${errorName(r.errorCode)}${r.errorMessage ? `: ${r.errorMessage}` : ''}`);
  return r.configs.map((e) => ({
    name: e.name, value: e.isSensitive ? null : e.value, source: CONFIG_SOURCES[e.configSource] ?? String(e.configSource),
    isDefault: e.isDefault || e.configSource === 5, readOnly: e.readOnly, sensitive: e.isSensitive,
  })).sort((a, b) => a.name.localeCompare(b.name));
}

/** IncrementalAlterConfigs operations: 0 SET, 1 DELETE (back to the default). */
export async function alterTopicConfigs(cluster: KafkaCluster, name: string, set: { name: string; value: string }[], remove: string[], validateOnly = false): Promise<void> {
  const c = cluster.bootstrap;
  const res = await c.request<IncrementalAlterConfigsResponse>(ApiKey.IncrementalAlterConfigs, c.version(ApiKey.IncrementalAlterConfigs), {
    resources: [{
      resourceType: TOPIC_RESOURCE, resourceName: name,
      configs: [...set.map((s) => ({ name: s.name, configOperation: 0, value: s.value })), ...remove.map((k) => ({ name: k, configOperation: 1, value: null }))],
    }],
    validateOnly,
  });
  const r = res.responses[0];
  if (r && r.errorCode !== ErrorCode.NONE) throw new CliError(`topic ${name}: ${errorName(r.errorCode)}${r.errorMessage ? `: ${r.errorMessage}` : ''}`);
}

/** Grows a topic to `total` partitions (CreatePartitions takes the new total, not the number added). */
export async function addPartitions(cluster: KafkaCluster, name: string, total: number): Promise<void> {
  const c = cluster.bootstrap;
  const res = await c.request<CreatePartitionsResponse>(ApiKey.CreatePartitions, c.version(ApiKey.CreatePartitions), {
    topics: [{ name, count: total, assignments: null }], timeoutMs: 30_000, validateOnly: false,
  });
  const r = res.results[0];
  if (r && r.errorCode !== ErrorCode.NONE) throw new CliError(`topic ${name}: ${errorName(r.errorCode)}${r.errorMessage ? `: ${r.errorMessage}` : ''}`);
}

/** DeleteRecords up to (not including) `before` in each partition, asked of each leader; -1 means the high watermark. */
export async function deleteRecords(cluster: KafkaCluster, topic: TopicLayout, before: Map<number, bigint>): Promise<{ partition: number; logStartOffset: bigint }[]> {
  const byLeader = new Map<number, number[]>();
  for (const p of before.keys()) {
    const leader = topic.leaders[p];
    if (leader === undefined) throw new CliError(`topic ${topic.name} has no partition ${p}`);
    byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
  }
  const out: { partition: number; logStartOffset: bigint }[] = [];
  await Promise.all([...byLeader].map(async ([leader, ps]) => {
    const c = await cluster.node(leader);
    const res = await c.request<DeleteRecordsResponse>(ApiKey.DeleteRecords, c.version(ApiKey.DeleteRecords), {
      topics: [{ name: topic.name, partitions: ps.map((partitionIndex) => ({ partitionIndex, offset: before.get(partitionIndex)! })) }], timeoutMs: 30_000,
    });
    for (const t of res.topics) for (const p of t.partitions) {
      if (p.errorCode !== ErrorCode.NONE) throw new CliError(`delete records ${topic.name}/${p.partitionIndex}: ${errorName(p.errorCode)}`);
      out.push({ partition: p.partitionIndex, logStartOffset: p.lowWatermark });
    }
  }));
  return out.sort((a, b) => a.partition - b.partition);
}

function partitionList(values: string[] | undefined, topic: TopicLayout): number[] {
  if (!values || values.length === 0) return topic.leaders.map((_, p) => p);
  const out = values.flatMap((v) => v.split(',')).map((v) => parseInteger(v, '-p/--partition', 0));
  for (const p of out) if (topic.leaders[p] === undefined) throw new CliError(`topic ${topic.name} has ${topic.leaders.length} partitions; there is no partition ${p}`);
  return out;
}

function topicError(name: string, code: number, message: string | null): CliError {
  return new CliError(`topic ${name}: ${errorName(code)}${message ? `: ${message}` : ''}`);
}

type Flags = ClientFlags & { format: 'text' | 'json' };

export function registerTopicsCommand(program: Command): void {
  const topics = program.command('topics').alias('topic').description('create, list, describe, configure, grow, trim and delete topics on a running broker');

  clientOptions(topics.command('create <names...>').description('create topics'), { json: true })
    .option('-p, --partitions <n>', 'partition count (-1: the broker default)', '-1')
    .option('-r, --replication-factor <n>', 'replication factor (-1: the broker default)', '-1')
    .option('-c, --config <name=value>', 'a topic config (repeatable)', collect)
    .action(action(async (names: string[], o: Flags & { partitions: string; replicationFactor: string; config?: string[] }) => {
      const configs = parseKeyValues(o.config ?? [], '-c/--config');
      const numPartitions = parseInteger(o.partitions, '-p/--partitions', -1);
      const replicationFactor = parseInteger(o.replicationFactor, '-r/--replication-factor', -1);
      await withCluster(o, 'highwater-topics', async (cluster) => {
        const c = cluster.bootstrap;
        const res = await c.request<CreateTopicsResponse>(ApiKey.CreateTopics, c.version(ApiKey.CreateTopics), {
          topics: names.map((name) => ({ name, numPartitions, replicationFactor, assignments: [], configs })), timeoutMs: 30_000,
        });
        const rows = res.topics.map((t) => ({ topic: t.name, partitions: t.numPartitions, error: t.errorCode === 0 ? null : errorName(t.errorCode), message: t.errorMessage }));
        if (o.format === 'json') console.log(toJson(rows));
        for (const t of res.topics) {
          if (t.errorCode !== 0) {
            console.error(`highwater: ${topicError(t.name, t.errorCode, t.errorMessage).message}`);
            process.exitCode = 1;
          } else if (o.format !== 'json') {
            console.log(`created topic ${t.name}${t.numPartitions > 0 ? ` with ${t.numPartitions} partitions` : ''}`);
          }
        }
      });
    }));

  clientOptions(topics.command('list').alias('ls').description('list topics'), { json: true })
    .option('-i, --internal', 'include internal topics', false)
    .action(action(async (o: Flags & { internal: boolean }) => {
      await withCluster(o, 'highwater-topics', async (cluster) => {
        const res = await cluster.metadata(null);
        const rows = res.topics.filter((t) => o.internal || !t.isInternal).map((t) => ({ name: t.name ?? '', partitions: t.partitions.length, replicas: t.partitions[0]?.replicaNodes.length ?? 0, internal: t.isInternal }))
          .sort((a, b) => a.name.localeCompare(b.name));
        if (o.format === 'json') console.log(toJson(rows));
        else console.log(table(['NAME', 'PARTITIONS', 'REPLICAS'], rows.map((r) => [r.name, String(r.partitions), String(r.replicas)])));
      });
    }));

  clientOptions(topics.command('describe <name>').description('a topic\'s id, partitions (leader, replicas, offsets) and configs'), { json: true })
    .action(action(async (name: string, o: Flags) => {
      await withCluster(o, 'highwater-topics', async (cluster) => {
        const md: MetadataResponse = await cluster.metadata([name]);
        const t = md.topics[0];
        if (!t || t.errorCode !== 0) throw topicError(name, t?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, null);
        const layout = await cluster.topic(name);
        const offsets = await partitionOffsets(cluster, layout);
        const configs = await describeTopicConfigs(cluster, name);
        const partitions = [...t.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex).map((p) => ({
          partition: p.partitionIndex, leader: p.leaderId, leaderEpoch: p.leaderEpoch, replicas: p.replicaNodes, isr: p.isrNodes,
          ...offsets.find((x) => x.partition === p.partitionIndex),
        }));
        if (o.format === 'json') {
          console.log(toJson({ name, topicId: t.topicId, internal: t.isInternal, partitions: partitions.map(({ topic: _t, ...rest }) => rest), configs }));
          return;
        }
        console.log(`topic ${t.name}  id ${t.topicId}  partitions ${t.partitions.length}  replicas ${t.partitions[0]?.replicaNodes.length ?? 0}`);
        console.log(table(['PARTITION', 'LEADER', 'EPOCH', 'REPLICAS', 'ISR', 'LOG-START-OFFSET', 'LOCAL-LOG-START-OFFSET', 'HIGH-WATERMARK', 'LAST-STABLE-OFFSET'], partitions.map((p) => [
          String(p.partition), String(p.leader), String(p.leaderEpoch), p.replicas.join(','), p.isr.join(','),
          String(p.logStartOffset), String(p.localLogStartOffset), String(p.highWatermark), String(p.lastStableOffset),
        ])));
        const set = configs.filter((c) => !c.isDefault);
        if (set.length > 0) {
          console.log('configs set on the topic or broker:');
          for (const c of set) console.log(`  ${c.name}=${c.value ?? '(sensitive)'}  (${c.source})`);
        }
      });
    }));

  clientOptions(topics.command('offsets [names...]').description('log start offset, high watermark and last stable offset of every partition (default: every topic)'), { json: true })
    .option('-p, --partition <n>', 'only these partitions (repeatable or comma-separated)', collect)
    .option('--at <time>', 'also the first offset at or after this time per partition (kcat -Q): unix ms, ISO date-time or -1h')
    .action(action(async (names: string[], o: Flags & { partition?: string[]; at?: string }) => {
      const at = o.at === undefined ? undefined : BigInt(parseTime(o.at));
      await withCluster(o, 'highwater-topics', async (cluster) => {
        const wanted = names.length > 0 ? names : (await cluster.metadata(null)).topics.filter((t) => !t.isInternal).map((t) => t.name ?? '').sort();
        const rows: (PartitionOffsets & { offsetAtTime?: bigint })[] = [];
        for (const name of wanted) {
          const layout = await cluster.topic(name);
          const partitions = partitionList(o.partition, layout);
          const found = at === undefined ? undefined : await cluster.listOffsets(layout, partitions, at);
          // No record at or after the time: -1, as ListOffsets answers.
          for (const r of await partitionOffsets(cluster, layout, partitions)) rows.push(found ? { ...r, offsetAtTime: found.get(r.partition) ?? -1n } : r);
        }
        if (at !== undefined && o.format !== 'json') {
          console.log(table(['TOPIC', 'PARTITION', 'LOG-START-OFFSET', 'HIGH-WATERMARK', 'LAST-STABLE-OFFSET', `OFFSET-AT-${new Date(Number(at)).toISOString()}`], rows.map((r) => [
            r.topic, String(r.partition), String(r.logStartOffset), String(r.highWatermark), String(r.lastStableOffset), String(r.offsetAtTime),
          ])));
          return;
        }
        if (o.format === 'json') console.log(toJson(rows));
        else console.log(table(['TOPIC', 'PARTITION', 'LOG-START-OFFSET', 'HIGH-WATERMARK', 'LAST-STABLE-OFFSET', 'RECORDS'], rows.map((r) => [
          r.topic, String(r.partition), String(r.logStartOffset), String(r.highWatermark), String(r.lastStableOffset), String(r.highWatermark - r.logStartOffset),
        ])));
      });
    }));

  clientOptions(topics.command('configs <name>').alias('describe-config').description('a topic\'s configs with their values and where each comes from'), { json: true })
    .option('-a, --all', 'include configs at their default', false)
    .action(action(async (name: string, o: Flags & { all: boolean }) => {
      await withCluster(o, 'highwater-topics', async (cluster) => {
        const configs = (await describeTopicConfigs(cluster, name)).filter((c) => o.all || !c.isDefault);
        if (o.format === 'json') console.log(toJson(configs));
        else console.log(table(['NAME', 'VALUE', 'SOURCE'], configs.map((c) => [c.name, c.sensitive ? '(sensitive)' : (c.value ?? '-'), c.source])));
      });
    }));

  clientOptions(topics.command('alter-config <name>').description('set or delete (back to the default) topic configs'), { json: true })
    .option('-s, --set <name=value>', 'set a config (repeatable)', collect)
    .option('-d, --delete <name>', 'delete a topic-level config (repeatable)', collect)
    .option('--dry-run', 'have the broker validate the change without applying it', false)
    .action(action(async (name: string, o: Flags & { set?: string[]; delete?: string[]; dryRun: boolean }) => {
      const set = parseKeyValues(o.set ?? [], '-s/--set');
      const remove = o.delete ?? [];
      if (set.length + remove.length === 0) throw new CliError('nothing to change: give -s name=value and/or -d name');
      await withCluster(o, 'highwater-topics', async (cluster) => {
        await alterTopicConfigs(cluster, name, set, remove, o.dryRun);
        if (o.format === 'json') console.log(toJson({ topic: name, set, deleted: remove, dryRun: o.dryRun }));
        else console.log(`${o.dryRun ? 'validated' : 'altered'} ${name}: ${[...set.map((s) => `${s.name}=${s.value}`), ...remove.map((k) => `-${k}`)].join(', ')}`);
      });
    }));

  clientOptions(topics.command('add-partitions <name>').description('add partitions to a topic (existing keys may then map to other partitions)'), { json: true })
    .option('-n, --num <n>', 'how many partitions to add')
    .option('--to <total>', 'grow to this many partitions in all (as kafka-topics --alter --partitions)')
    .action(action(async (name: string, o: Flags & { num?: string; to?: string }) => {
      if ((o.num === undefined) === (o.to === undefined)) throw new CliError('give exactly one of -n/--num (partitions to add) or --to (new total)');
      await withCluster(o, 'highwater-topics', async (cluster) => {
        const before = (await cluster.topic(name)).leaders.length;
        const total = o.to !== undefined ? parseInteger(o.to, '--to', 1) : before + parseInteger(o.num!, '-n/--num', 1);
        await addPartitions(cluster, name, total);
        if (o.format === 'json') console.log(toJson({ topic: name, before, after: total }));
        else console.log(`${name}: ${before} -> ${total} partitions`);
      });
    }));

  clientOptions(topics.command('delete-records <name>').alias('trim-prefix').description('delete the records before an offset (moves the log start offset forward)'), { json: true })
    .requiredOption('-o, --offset <offset|end>', 'first offset to keep in each chosen partition; "end": delete everything up to the high watermark')
    .option('-p, --partition <n>', 'only these partitions (repeatable or comma-separated; default: all)', collect)
    .action(action(async (name: string, o: Flags & { offset: string; partition?: string[] }) => {
      const before = o.offset === 'end' ? -1n : BigInt(parseInteger(o.offset, '-o/--offset', 0));
      await withCluster(o, 'highwater-topics', async (cluster) => {
        const layout = await cluster.topic(name);
        const results = await deleteRecords(cluster, layout, new Map(partitionList(o.partition, layout).map((p) => [p, before])));
        if (o.format === 'json') console.log(toJson(results.map((r) => ({ topic: name, ...r }))));
        else console.log(table(['TOPIC', 'PARTITION', 'NEW-LOG-START-OFFSET'], results.map((r) => [name, String(r.partition), String(r.logStartOffset)])));
      });
    }));

  clientOptions(topics.command('delete <names...>').description('delete topics and their data'), { json: true })
    .action(action(async (names: string[], o: Flags) => {
      await withCluster(o, 'highwater-topics', async (cluster) => {
        const c = cluster.bootstrap;
        const v = c.version(ApiKey.DeleteTopics);
        const body = v >= 6 ? { topics: names.map((name) => ({ name })), timeoutMs: 30_000 } : { topicNames: names, timeoutMs: 30_000 };
        const res = await c.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, v, body);
        if (o.format === 'json') console.log(toJson(res.responses.map((r) => ({ topic: r.name, error: r.errorCode === 0 ? null : errorName(r.errorCode) }))));
        for (const r of res.responses) {
          if (r.errorCode !== 0) {
            console.error(`highwater: ${topicError(r.name ?? '', r.errorCode, r.errorMessage).message}`);
            process.exitCode = 1;
          } else if (o.format !== 'json') {
            console.log(`deleted topic ${r.name}`);
          }
        }
      });
    }));
}
