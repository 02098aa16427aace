// `highwater cluster info`: the cluster id, controller and brokers (rpk cluster info, kcat -L's
// broker list), from DescribeCluster where the broker serves it, else from Metadata.
import type { Command } from 'commander';
import { ApiKey, apiCodecs } from '../protocol/generated/index.ts';
import { ErrorCode, errorName } from '../protocol/errors.ts';
import type { DescribeClusterResponse } from '../protocol/generated/describe-cluster-response.ts';
import type { KafkaCluster } from '../client/kafka-cluster.ts';
import { CliError, action, clientOptions, table, toJson, withCluster, type ClientFlags } from './common.ts';

export interface ClusterInfo {
  clusterId: string | null;
  controllerId: number;
  brokers: { nodeId: number; host: string; port: number; rack: string | null }[];
  topics: number;
  partitions: number;
  apiVersions: Record<string, { min: number; max: number }>;
}

export async function clusterInfo(cluster: KafkaCluster): Promise<ClusterInfo> {
  const md = await cluster.metadata(null);
  const c = cluster.bootstrap;
  let clusterId = md.clusterId;
  let controllerId = md.controllerId;
  let brokers = md.brokers.map((b) => ({ nodeId: b.nodeId, host: b.host, port: b.port, rack: b.rack }));
  if (c.brokerVersions.has(ApiKey.DescribeCluster)) {
    const res = await c.request<DescribeClusterResponse>(ApiKey.DescribeCluster, c.version(ApiKey.DescribeCluster), { includeClusterAuthorizedOperations: false });
    if (res.errorCode !== ErrorCode.NONE) throw new CliError(`DescribeCluster: ${errorName(res.errorCode)}${res.errorMessage ? `: ${res.errorMessage}` : ''}`);
    clusterId = res.clusterId;
    controllerId = res.controllerId;
    brokers = res.brokers.map((b) => ({ nodeId: b.brokerId, host: b.host, port: b.port, rack: b.rack }));
  }
  const apiVersions: Record<string, { min: number; max: number }> = {};
  for (const [key, range] of c.brokerVersions) apiVersions[apiCodecs.get(key)?.name ?? String(key)] = range;
  return {
    clusterId, controllerId, brokers: brokers.sort((a, b) => a.nodeId - b.nodeId),
    topics: md.topics.length, partitions: md.topics.reduce((n, t) => n + t.partitions.length, 0), apiVersions,
  };
}

export function registerClusterCommand(program: Command): void {
  const cluster = program.command('cluster').description('the cluster a broker belongs to');
  clientOptions(cluster.command('info').alias('metadata').description('cluster id, controller, brokers, topic and partition counts'), { json: true })
    .option('--api-versions', 'also list the API versions the bootstrap broker serves', false)
    .action(action(async (o: ClientFlags & { format: string; apiVersions: boolean }) => {
      await withCluster(o, 'highwater-cluster', async (c) => {
        const info = await clusterInfo(c);
        if (o.format === 'json') {
          console.log(toJson(o.apiVersions ? info : { ...info, apiVersions: undefined }));
          return;
        }
        console.log(`cluster ${info.clusterId ?? '-'}  controller ${info.controllerId}  topics ${info.topics}  partitions ${info.partitions}`);
        console.log(table(['ID', 'HOST', 'PORT', 'RACK'], info.brokers.map((b) => [`${b.nodeId}${b.nodeId === info.controllerId ? '*' : ''}`, b.host, String(b.port), b.rack ?? '-'])));
        if (o.apiVersions) {
          console.log(table(['API', 'MIN', 'MAX'], Object.entries(info.apiVersions).map(([name, r]) => [name, String(r.min), String(r.max)])));
        }
      });
    }));
}
