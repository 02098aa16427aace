// One broker's side of a differential run: sends requests over a real socket with our client,
// records each answer under a label as an Outcome (a normalised response, or what happened
// instead: the connection closed, no answer in time, a response we could not decode), and
// reconnects after a close so that a case can go on.
import { KafkaConnection } from '../../src/client/kafka-connection.ts';
import { ApiKey } from '../../src/protocol/generated/index.ts';
import { buildRecordBatch } from '../../src/protocol/records.ts';
import { Normaliser } from './normalise.ts';

export type BrokerName = 'kafka' | 'highwater';

export type Outcome =
  | { response: unknown }
  | { closed: true }
  | { timeout: true }
  | { decodeError: string };

const ANSWER_TIMEOUT_MS = 15_000;

/**
 * A decoded response as the cases see it: they read a field or two of answers from every API, and
 * a type per API would say no more than the generated codecs already check.
 */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type Answer = any;

export class Session {
  readonly broker: BrokerName;
  readonly port: number;
  readonly outcomes = new Map<string, Outcome>();
  readonly normaliser = new Normaliser();
  #connection: KafkaConnection | undefined;
  /** The broker's ApiVersions, from the first connection. */
  versions = new Map<number, { min: number; max: number }>();

  constructor(broker: BrokerName, port: number) {
    this.broker = broker;
    this.port = port;
  }

  async #connect(): Promise<KafkaConnection> {
    if (this.#connection && !this.#connection.closed) return this.#connection;
    this.#connection = await KafkaConnection.connect('127.0.0.1', this.port, { clientId: 'highwater-differential' });
    if (this.versions.size === 0) this.versions = new Map(this.#connection.brokerVersions);
    return this.#connection;
  }

  async open(): Promise<void> {
    await this.#connect();
  }

  close(): void {
    this.#connection?.close();
  }

  /** Sends one request and records its normalised outcome under `label` (unique in a run). */
  async call(label: string, apiKey: number, version: number, body: unknown, view: (response: Answer) => unknown = (r) => r): Promise<Answer> {
    if (this.outcomes.has(label)) throw new Error(`label used twice: ${label}`);
    const connection = await this.#connect();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((resolve) => { timer = setTimeout(() => resolve('timeout'), ANSWER_TIMEOUT_MS); });
    try {
      const answer = await Promise.race([connection.request<unknown>(apiKey, version, body), timeout]);
      if (answer === 'timeout') {
        connection.close();
        this.outcomes.set(label, { timeout: true });
        return undefined;
      }
      this.outcomes.set(label, { response: this.normaliser.normalise(view(answer)) });
      return answer;
    } catch (err) {
      const message = (err as Error).message;
      if (connection.closed) {
        this.outcomes.set(label, { closed: true });
      } else {
        this.outcomes.set(label, { decodeError: message });
      }
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /** A request whose answer is not compared (set-up); throws when there is none. */
  async quiet<T>(apiKey: number, version: number, body: unknown): Promise<T> {
    const connection = await this.#connect();
    return connection.request<T>(apiKey, version, body);
  }

  /**
   * Creates a topic and waits until every partition answers ListOffsets: Kafka's leader learns of
   * a new partition a moment after CreateTopics returns.
   */
  async createTopic(name: string, partitions = 1, configs: Record<string, string> = {}): Promise<void> {
    const res = await this.quiet<{ topics: { errorCode: number; errorMessage: string | null }[] }>(ApiKey.CreateTopics, 5, {
      topics: [{ name, numPartitions: partitions, replicationFactor: 1, assignments: [], configs: Object.entries(configs).map(([n, value]) => ({ name: n, value })) }],
      timeoutMs: 15_000, validateOnly: false,
    });
    const error = res.topics[0]!.errorCode;
    if (error !== 0) throw new Error(`${this.broker}: create ${name}: error ${error} ${res.topics[0]!.errorMessage ?? ''}`);
    await this.waitForTopic(name, partitions);
  }

  async waitForTopic(name: string, partitions: number): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const res = await this.quiet<{ topics: { partitions: { partitionIndex: number; errorCode: number }[] }[] }>(ApiKey.ListOffsets, 5, {
        replicaId: -1, isolationLevel: 0,
        topics: [{ name, partitions: Array.from({ length: partitions }, (_, p) => ({ partitionIndex: p, currentLeaderEpoch: -1, timestamp: -1n })) }],
      });
      if (res.topics[0]?.partitions.every((p) => p.errorCode === 0)) return;
      if (Date.now() > deadline) throw new Error(`${this.broker}: ${name} not ready after 20 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Waits until DescribeConfigs shows a topic config at `value`: Kafka applies an altered topic
   * config from its metadata log a moment after the alter request returns, so a describe sent at
   * once can still see the old value on a loaded machine.
   */
  async waitForTopicConfig(topic: string, name: string, value: string): Promise<void> {
    const deadline = Date.now() + 20_000;
    for (;;) {
      const res = await this.quiet<{ results: { errorCode: number; configs: { name: string; value: string | null }[] }[] }>(ApiKey.DescribeConfigs, 4, {
        resources: [{ resourceType: 2, resourceName: topic, configurationKeys: [name] }], includeSynonyms: false, includeDocumentation: false,
      });
      if (res.results[0]?.configs.find((c) => c.name === name)?.value === value) return;
      if (Date.now() > deadline) throw new Error(`${this.broker}: ${topic} ${name} not ${value} after 20 s`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /**
   * Retries a set-up request while the broker answers a retriable "not ready yet" error, as a
   * client would: Kafka creates __consumer_offsets on the first FindCoordinator and loads its
   * producer-id manager after start-up (COORDINATOR_NOT_AVAILABLE, COORDINATOR_LOAD_IN_PROGRESS).
   */
  async warmUp(apiKey: number, version: number, body: unknown, errorOf: (r: Answer) => number): Promise<void> {
    const deadline = Date.now() + 60_000;
    while (![0].includes(errorOf(await this.quiet(apiKey, version, body)))) {
      if (Date.now() > deadline) throw new Error(`${this.broker}: api ${apiKey} still not ready after 60 s`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Appends `count` records (keys k0.., values v0..) to one partition, acks=-1. */
  async produce(topic: string, partition: number, count: number, from = 0): Promise<void> {
    const records = Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`k${from + i}`), value: Buffer.from(`v${from + i}`) }));
    const res = await this.quiet<{ responses: { partitionResponses: { errorCode: number }[] }[] }>(ApiKey.Produce, 9, {
      transactionalId: null, acks: -1, timeoutMs: 10_000,
      topicData: [{ name: topic, partitionData: [{ index: partition, records: buildRecordBatch({ baseTimestamp: 1_700_000_000_000n, records }) }] }],
    });
    const error = res.responses[0]!.partitionResponses[0]!.errorCode;
    if (error !== 0) throw new Error(`${this.broker}: produce to ${topic}-${partition}: error ${error}`);
  }
}
