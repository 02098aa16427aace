// A small cluster view over the Kafka protocol: the bootstrap connection, plus one connection per
// partition leader or group coordinator; topic layouts, ListOffsets and FindCoordinator with the
// retries clients make. Used by the CLI's produce, consume and groups commands; works against
// Apache Kafka too.
import { ConnectionError, KafkaConnection, parseHostPort, type ConnectOptions } from './kafka-connection.ts';
import { ApiKey } from '../protocol/generated/index.ts';
import { ErrorCode, errorName } from '../protocol/errors.ts';
import type { MetadataResponse } from '../protocol/generated/metadata-response.ts';
import type { ListOffsetsResponse } from '../protocol/generated/list-offsets-response.ts';
import type { FindCoordinatorResponse } from '../protocol/generated/find-coordinator-response.ts';

/** ListOffsets' special timestamps. */
export const LATEST_TIMESTAMP = -1n;
export const EARLIEST_TIMESTAMP = -2n;
/** KIP-1005 (ListOffsets v8+): the first offset in the leader's local files; the log start without tiered storage. */
export const EARLIEST_LOCAL_TIMESTAMP = -4n;

/** A group's coordinator is loading, moving or not yet chosen: find it again and retry. */
const COORDINATOR_MOVING: ReadonlySet<number> = new Set([ErrorCode.NOT_COORDINATOR, ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.COORDINATOR_LOAD_IN_PROGRESS]);

/** An error to report to the user as a message, not a stack trace. */
export class CliError extends Error {}

export interface TopicLayout {
  name: string;
  topicId: string;
  /** Leader node of each partition, indexed by partition. */
  leaders: number[];
}

/** Connections to a cluster: the bootstrap broker, plus one per partition leader or coordinator. */
export class KafkaCluster {
  readonly bootstrap: KafkaConnection;
  readonly #options: ConnectOptions;
  readonly #brokers = new Map<number, { host: string; port: number }>();
  readonly #connections = new Map<string, Promise<KafkaConnection>>();

  private constructor(bootstrap: KafkaConnection, address: string, options: ConnectOptions) {
    this.bootstrap = bootstrap;
    this.#options = options;
    this.#connections.set(address, Promise.resolve(bootstrap));
  }

  /**
   * Connects to the first of the comma-separated bootstrap brokers that answers, as Kafka's clients
   * do; the error of the last one tried when none does.
   */
  static async connect(bootstrap: string, clientIdOrOptions: string | ConnectOptions): Promise<KafkaCluster> {
    const options = typeof clientIdOrOptions === 'string' ? { clientId: clientIdOrOptions } : clientIdOrOptions;
    const addresses = bootstrap.split(',').map((a) => a.trim()).filter((a) => a.length > 0);
    if (addresses.length === 0) throw new CliError('no bootstrap broker given: pass -b host:port or set HIGHWATER_BROKERS');
    let last: Error | undefined;
    for (const address of addresses) {
      let host: string, port: number;
      try {
        ({ host, port } = parseHostPort(address));
      } catch {
        throw new CliError(`${address} is not a host:port (e.g. 127.0.0.1:9092)`);
      }
      try {
        const connection = await KafkaConnection.connect(host, port, options);
        return new KafkaCluster(connection, `${host}:${port}`, options);
      } catch (err) {
        if (!(err instanceof ConnectionError)) throw err;
        last = err;
      }
    }
    throw last!;
  }

  async metadata(topics: string[] | null, allowAutoTopicCreation = false): Promise<MetadataResponse> {
    const c = this.bootstrap;
    const res = await c.request<MetadataResponse>(ApiKey.Metadata, c.version(ApiKey.Metadata), {
      topics: topics === null ? null : topics.map((name) => ({ name })),
      allowAutoTopicCreation,
    });
    for (const b of res.brokers) this.#brokers.set(b.nodeId, { host: b.host, port: b.port });
    return res;
  }

  /** A topic's partitions and their leaders; retries briefly while a new topic's leaders settle. */
  async topic(name: string, options: { autoCreate?: boolean } = {}): Promise<TopicLayout> {
    for (let attempt = 0; ; attempt++) {
      const res = await this.metadata([name], options.autoCreate ?? false);
      const t = res.topics.find((x) => x.name === name);
      const code = t?.errorCode ?? ErrorCode.UNKNOWN_TOPIC_OR_PARTITION;
      const retriable = code === ErrorCode.LEADER_NOT_AVAILABLE || (options.autoCreate && code === ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
      if (t && code === ErrorCode.NONE && t.partitions.length > 0 && t.partitions.every((p) => p.leaderId >= 0)) {
        const leaders: number[] = [];
        for (const p of t.partitions) leaders[p.partitionIndex] = p.leaderId;
        return { name, topicId: t.topicId, leaders };
      }
      if (!retriable || attempt >= 20) throw new CliError(`topic ${name}: ${errorName(code)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The connection to a node; the bootstrap connection when the node is the bootstrap broker. */
  node(nodeId: number): Promise<KafkaConnection> {
    const b = this.#brokers.get(nodeId);
    if (!b) return Promise.reject(new CliError(`node ${nodeId} is not in the cluster metadata`));
    return this.#connectTo(b.host, b.port);
  }

  #connectTo(host: string, port: number): Promise<KafkaConnection> {
    const address = `${host}:${port}`;
    let c = this.#connections.get(address);
    if (!c) {
      c = KafkaConnection.connect(host, port, this.#options);
      this.#connections.set(address, c);
    }
    return c;
  }

  /** The group coordinator for `groupId` (FindCoordinator, key type 0). */
  async coordinator(groupId: string): Promise<KafkaConnection> {
    const c = this.bootstrap;
    const v = c.version(ApiKey.FindCoordinator);
    for (let attempt = 0; ; attempt++) {
      const res = await c.request<FindCoordinatorResponse>(ApiKey.FindCoordinator, v, v >= 4 ? { keyType: 0, coordinatorKeys: [groupId] } : { key: groupId, keyType: 0 });
      const found = v >= 4 ? res.coordinators[0] : res;
      const code = found?.errorCode ?? ErrorCode.COORDINATOR_NOT_AVAILABLE;
      if (found && code === ErrorCode.NONE) return this.#connectTo(found.host, found.port);
      if (code !== ErrorCode.COORDINATOR_NOT_AVAILABLE && code !== ErrorCode.COORDINATOR_LOAD_IN_PROGRESS) throw new CliError(`FindCoordinator ${groupId}: ${errorName(code)}`);
      if (attempt >= 50) throw new CliError(`FindCoordinator ${groupId}: ${errorName(code)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /**
   * Runs a group request at the group's coordinator. While the coordinator is loading or moving
   * (Kafka 4.4 answers NOT_COORDINATOR for a moment after creating __consumer_offsets), it is found
   * again and the request retried, about 10 s at most, as Kafka's clients do.
   */
  async atCoordinator<T>(groupId: string, run: (c: KafkaConnection) => Promise<T>, errorOf: (response: T) => number): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      const response = await run(await this.coordinator(groupId));
      if (!COORDINATOR_MOVING.has(errorOf(response)) || attempt >= 50) return response;
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** ListOffsets for some partitions of a topic, each asked of its leader; isolation 1 (read_committed) makes LATEST the last stable offset. */
  async listOffsets(topic: TopicLayout, partitions: number[], timestamp: bigint, isolationLevel = 0): Promise<Map<number, bigint>> {
    const byLeader = new Map<number, number[]>();
    for (const p of partitions) {
      const leader = topic.leaders[p];
      if (leader === undefined) throw new CliError(`topic ${topic.name} has no partition ${p}`);
      byLeader.set(leader, [...(byLeader.get(leader) ?? []), p]);
    }
    const out = new Map<number, bigint>();
    await Promise.all([...byLeader].map(async ([leader, ps]) => {
      const c = await this.node(leader);
      const res = await c.request<ListOffsetsResponse>(ApiKey.ListOffsets, c.version(ApiKey.ListOffsets), {
        replicaId: -1, isolationLevel,
        topics: [{ name: topic.name, partitions: ps.map((partitionIndex) => ({ partitionIndex, timestamp, currentLeaderEpoch: -1 })) }],
      });
      for (const p of res.topics[0]?.partitions ?? []) {
        if (p.errorCode !== ErrorCode.NONE) throw new CliError(`ListOffsets ${topic.name}/${p.partitionIndex}: ${errorName(p.errorCode)}`);
        out.set(p.partitionIndex, p.offset);
      }
    }));
    return out;
  }

  async close(): Promise<void> {
    for (const c of this.#connections.values()) (await c.catch(() => undefined))?.close();
  }
}
