// `highwater topics create|list|describe|delete`: topic administration over the Kafka protocol,
// against Highwater or any Kafka broker (--bootstrap).
import type { Command } from 'commander';
import { KafkaConnection, parseHostPort } from '../client/kafka-connection.ts';
import { ApiKey } from '../protocol/generated/index.ts';
import { errorName } from '../protocol/errors.ts';
import type { MetadataResponse } from '../protocol/generated/metadata-response.ts';
import type { CreateTopicsResponse } from '../protocol/generated/create-topics-response.ts';
import type { DeleteTopicsResponse } from '../protocol/generated/delete-topics-response.ts';
import type { DescribeConfigsResponse } from '../protocol/generated/describe-configs-response.ts';

async function withConnection<T>(bootstrap: string, run: (c: KafkaConnection) => Promise<T>): Promise<T> {
  const { host, port } = parseHostPort(bootstrap);
  const connection = await KafkaConnection.connect(host, port, { clientId: 'highwater-topics' });
  try {
    return await run(connection);
  } finally {
    connection.close();
  }
}

function parseConfigs(pairs: string[]): { name: string; value: string }[] {
  return pairs.map((pair) => {
    const at = pair.indexOf('=');
    if (at <= 0) throw new Error(`--config takes name=value, not ${pair}`);
    return { name: pair.slice(0, at), value: pair.slice(at + 1) };
  });
}

function fail(message: string): never {
  console.error(`highwater: ${message}`);
  process.exit(1);
}

export function registerTopicsCommand(program: Command): void {
  const topics = program.command('topics').description('create, list, describe and delete topics on a running broker');
  const bootstrapOption = ['-b, --bootstrap <host:port>', 'broker to talk to', '127.0.0.1:9092'] as const;

  topics.command('create <name>').description('create a topic')
    .option(...bootstrapOption)
    .option('-p, --partitions <n>', 'partition count (-1: the broker default)', '-1')
    .option('-r, --replication-factor <n>', 'replication factor (-1: the broker default)', '-1')
    .option('-c, --config <name=value...>', 'topic configs', [])
    .action(async (name: string, o: { bootstrap: string; partitions: string; replicationFactor: string; config: string[] }) => {
      await withConnection(o.bootstrap, async (c) => {
        const res = await c.request<CreateTopicsResponse>(ApiKey.CreateTopics, c.version(ApiKey.CreateTopics), {
          topics: [{ name, numPartitions: Number(o.partitions), replicationFactor: Number(o.replicationFactor), assignments: [], configs: parseConfigs(o.config) }],
          timeoutMs: 30_000,
        });
        const t = res.topics[0]!;
        if (t.errorCode !== 0) fail(`${errorName(t.errorCode)}: ${t.errorMessage ?? ''}`);
        console.log(`created topic ${name}${t.numPartitions > 0 ? ` with ${t.numPartitions} partitions` : ''}`);
      });
    });

  topics.command('list').description('list topics')
    .option(...bootstrapOption)
    .action(async (o: { bootstrap: string }) => {
      await withConnection(o.bootstrap, async (c) => {
        const res = await c.request<MetadataResponse>(ApiKey.Metadata, c.version(ApiKey.Metadata), { topics: null, allowAutoTopicCreation: false });
        for (const t of [...res.topics].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''))) {
          console.log(`${t.name}\t${t.partitions.length} partitions`);
        }
      });
    });

  topics.command('describe <name>').description('show a topic\'s partitions, leaders and configs')
    .option(...bootstrapOption)
    .action(async (name: string, o: { bootstrap: string }) => {
      await withConnection(o.bootstrap, async (c) => {
        const md = await c.request<MetadataResponse>(ApiKey.Metadata, c.version(ApiKey.Metadata), { topics: [{ name }], allowAutoTopicCreation: false });
        const t = md.topics[0];
        if (!t || t.errorCode !== 0) fail(`${errorName(t?.errorCode ?? 3)}: topic ${name}`);
        console.log(`topic ${t.name}  id ${t.topicId}  partitions ${t.partitions.length}`);
        for (const p of [...t.partitions].sort((a, b) => a.partitionIndex - b.partitionIndex)) {
          console.log(`  partition ${p.partitionIndex}\tleader ${p.leaderId}\treplicas ${p.replicaNodes.join(',')}\tisr ${p.isrNodes.join(',')}`);
        }
        const cfg = await c.request<DescribeConfigsResponse>(ApiKey.DescribeConfigs, c.version(ApiKey.DescribeConfigs), {
          resources: [{ resourceType: 2, resourceName: name, configurationKeys: null }],
        });
        const entries = cfg.results[0]?.configs ?? [];
        if (entries.length > 0) console.log('configs:');
        for (const e of entries) console.log(`  ${e.name}=${e.value ?? ''}${e.isDefault || e.configSource === 5 ? '' : '  (set)'}`);
      });
    });

  topics.command('delete <name>').description('delete a topic and its data')
    .option(...bootstrapOption)
    .action(async (name: string, o: { bootstrap: string }) => {
      await withConnection(o.bootstrap, async (c) => {
        const v = c.version(ApiKey.DeleteTopics);
        const body = v >= 6 ? { topics: [{ name }], timeoutMs: 30_000 } : { topicNames: [name], timeoutMs: 30_000 };
        const res = await c.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, v, body);
        const r = res.responses[0]!;
        if (r.errorCode !== 0) fail(`${errorName(r.errorCode)}: ${r.errorMessage ?? ''}`);
        console.log(`deleted topic ${name}`);
      });
    });
}
