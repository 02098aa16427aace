// The few admin calls a bench run needs before and after the load: find or create the topic, find
// its leader, and read log start/end offsets (ListOffsets), against any Kafka-compatible broker.
import { KafkaConnection } from '../../src/client/kafka-connection.ts';
import { CliError } from '../../src/client/kafka-cluster.ts';
import type { DeleteTopicsResponse } from '../../src/protocol/generated/delete-topics-response.ts';
import { ApiKey } from '../../src/protocol/generated/index.ts';
import { ErrorCode, errorName } from '../../src/protocol/errors.ts';
import type { MetadataResponse } from '../../src/protocol/generated/metadata-response.ts';
import type { CreateTopicsResponse } from '../../src/protocol/generated/create-topics-response.ts';
import type { ListOffsetsResponse } from '../../src/protocol/generated/list-offsets-response.ts';

export interface TopicLayout {
  partitions: number[];
  /** This call created the topic (it did not exist). */
  created: boolean;
  /** Every partition's leader, as host and port from Metadata. */
  leader: { nodeId: number; host: string; port: number };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function describeTopic(c: KafkaConnection, topic: string): Promise<MetadataResponse> {
  return c.request<MetadataResponse>(ApiKey.Metadata, c.version(ApiKey.Metadata), { topics: [{ name: topic }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
}

/**
 * Returns the topic's partitions and their one leader, creating the topic with `partitions` when
 * asked to. Waits (bounded) until every partition has a leader, as Kafka needs a moment after
 * CreateTopics. A topic spread over several leaders is refused: the generator keeps one
 * connection per worker, to one broker.
 */
export async function ensureTopic(c: KafkaConnection, topic: string, partitions: number, create: boolean, timeoutMs = 30_000): Promise<TopicLayout> {
  const deadline = Date.now() + timeoutMs;
  let created = false;
  for (;;) {
    const md = await describeTopic(c, topic);
    const t = md.topics.find((x) => x.name === topic);
    if (t && t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && create && !created) {
      const res = await c.request<CreateTopicsResponse>(ApiKey.CreateTopics, c.version(ApiKey.CreateTopics), {
        topics: [{ name: topic, numPartitions: partitions, replicationFactor: -1, assignments: [], configs: [] }],
        timeoutMs: 30_000,
      });
      const r = res.topics[0]!;
      if (r.errorCode !== 0 && r.errorCode !== ErrorCode.TOPIC_ALREADY_EXISTS) throw new Error(`creating ${topic}: ${errorName(r.errorCode)} ${r.errorMessage ?? ''}`);
      created = true;
      continue;
    }
    if (t && t.errorCode === 0 && t.partitions.length > 0 && t.partitions.every((p) => p.errorCode === 0 && p.leaderId >= 0)) {
      const leaders = new Set(t.partitions.map((p) => p.leaderId));
      if (leaders.size > 1) throw new Error(`${topic} has ${leaders.size} leaders; highwater bench drives one broker at a time`);
      const nodeId = t.partitions[0]!.leaderId;
      const broker = md.brokers.find((b) => b.nodeId === nodeId);
      if (!broker) throw new Error(`leader ${nodeId} of ${topic} is not in the Metadata brokers`);
      const layout = { partitions: t.partitions.map((p) => p.partitionIndex).sort((a, b) => a - b), created, leader: { nodeId, host: broker.host, port: broker.port } };
      // Kafka names a leader in Metadata a moment before that leader serves the partition; the
      // first ListOffsets that every partition answers says the topic takes writes and reads. (The
      // discard server has no ListOffsets, and no partitions to wait for.)
      if (c.brokerVersions.has(ApiKey.ListOffsets)) await listOffsets(c, topic, layout.partitions, LATEST, Math.max(1000, deadline - Date.now()));
      return layout;
    }
    if (t && t.errorCode === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION && !create) throw new CliError(`topic ${topic} does not exist; create and fill it first with: highwater bench produce -t ${topic}`);
    if (Date.now() > deadline) throw new Error(`topic ${topic} has no leader for every partition after ${timeoutMs} ms (${t ? errorName(t.errorCode) : 'absent'})`);
    await sleep(100);
  }
}

export const EARLIEST = -2n;
export const LATEST = -1n;

/** Errors a partition gives while its leadership settles: asking again shortly is the cure. */
const RETRIABLE: ReadonlySet<number> = new Set([
  ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.LEADER_NOT_AVAILABLE, ErrorCode.NOT_LEADER_OR_FOLLOWER, ErrorCode.OFFSET_NOT_AVAILABLE,
]);

/**
 * ListOffsets for each partition, in the order given: EARLIEST (log start) or LATEST (high
 * watermark). Retries (bounded by retryMs) while partitions answer with a leadership error.
 */
export async function listOffsets(c: KafkaConnection, topic: string, partitions: readonly number[], spec: bigint, retryMs = 15_000): Promise<bigint[]> {
  const deadline = Date.now() + retryMs;
  for (;;) {
    try {
      return await listOffsetsOnce(c, topic, partitions, spec);
    } catch (err) {
      if (!(err instanceof RetriableOffsetsError) || Date.now() > deadline) throw err;
      await sleep(100);
    }
  }
}

class RetriableOffsetsError extends Error {}

async function listOffsetsOnce(c: KafkaConnection, topic: string, partitions: readonly number[], spec: bigint): Promise<bigint[]> {
  const v = c.version(ApiKey.ListOffsets);
  const res = await c.request<ListOffsetsResponse>(ApiKey.ListOffsets, v, {
    replicaId: -1, isolationLevel: 0, timeoutMs: 30_000,
    topics: [{ name: topic, partitions: partitions.map((partitionIndex) => ({ partitionIndex, currentLeaderEpoch: -1, timestamp: spec, maxNumOffsets: 1 })) }],
  });
  const byPartition = new Map<number, bigint>();
  for (const t of res.topics) {
    for (const p of t.partitions) {
      if (p.errorCode !== 0) {
        const message = `ListOffsets ${topic}-${p.partitionIndex}: ${errorName(p.errorCode)}`;
        throw RETRIABLE.has(p.errorCode) ? new RetriableOffsetsError(message) : new Error(message);
      }
      byPartition.set(p.partitionIndex, v === 0 ? (p.oldStyleOffsets[0] ?? -1n) : p.offset);
    }
  }
  return partitions.map((p) => {
    const o = byPartition.get(p);
    if (o === undefined) throw new Error(`ListOffsets gave no answer for ${topic}-${p}`);
    return o;
  });
}

export async function connectAdmin(bootstrap: { host: string; port: number }, timeouts: { connectTimeoutMs?: number; requestTimeoutMs?: number } = { connectTimeoutMs: 10_000, requestTimeoutMs: 60_000 }): Promise<KafkaConnection> {
  return KafkaConnection.connect(bootstrap.host, bootstrap.port, { clientId: 'highwater-bench-admin', ...timeouts });
}

/** Deletes a topic the run is done with; the error name when the broker refuses. */
export async function deleteTopic(c: KafkaConnection, topic: string): Promise<string | null> {
  const v = c.version(ApiKey.DeleteTopics);
  const res = await c.request<DeleteTopicsResponse>(ApiKey.DeleteTopics, v, v >= 6 ? { topics: [{ name: topic }], timeoutMs: 30_000 } : { topicNames: [topic], timeoutMs: 30_000 });
  const code = res.responses[0]?.errorCode ?? ErrorCode.UNKNOWN_SERVER_ERROR;
  return code === ErrorCode.NONE ? null : errorName(code);
}
