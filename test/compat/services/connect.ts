// Kafka Connect in distributed mode (ConnectDistributed) against the broker under test: a
// FileStreamSource -> topic -> FileStreamSink pipeline, a kill -9 and restart that must resume from
// the offsets Connect stored in the broker, and a connector config changed through the REST API
// that must survive a restart. The three scenarios run in order on one worker group.
import { appendFileSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Jvm, until } from './jvm.ts';
import type { BrokerClient } from './kafka.ts';
import type { ScenarioContext } from './scenarios.ts';

const START_TIMEOUT_MS = 90_000;
const FLOW_TIMEOUT_MS = 60_000;
const FIRST_LINES = 1_000;
const LINES_WHILE_DOWN = 500;
const LINES_AFTER_CONFIG_CHANGE = 300;

interface RestAnswer {
  status: number;
  body: unknown;
}

/** One Connect worker group: its worker config, files and REST endpoint. */
export class ConnectCluster {
  readonly jvm: Jvm;
  readonly topic: string;
  readonly sourceFile: string;
  readonly secondSourceFile: string;
  readonly sinkFile: string;
  readonly internalTopics: string[];
  private readonly restBase: string;
  private readonly client: BrokerClient;
  /** Every line written to the source files so far, in order: what the sink file must hold. */
  readonly written: string[] = [];

  constructor(context: ScenarioContext) {
    const prefix = context.prefix;
    this.client = context.client;
    this.topic = `${prefix}-lines`;
    this.sourceFile = join(context.workDir, 'connect-source.txt');
    this.secondSourceFile = join(context.workDir, 'connect-source-2.txt');
    this.sinkFile = join(context.workDir, 'connect-sink.txt');
    this.internalTopics = [`${prefix}-connect-configs`, `${prefix}-connect-offsets`, `${prefix}-connect-status`];
    this.restBase = `http://127.0.0.1:${context.restPort}`;
    const workerConfig = join(context.workDir, 'connect-worker.properties');
    writeFileSync(
      workerConfig,
      [
        `bootstrap.servers=${context.bootstrap}`,
        `group.id=${prefix}-connect`,
        'key.converter=org.apache.kafka.connect.storage.StringConverter',
        'value.converter=org.apache.kafka.connect.storage.StringConverter',
        // The three internal topics; Connect creates them (compacted) on first start.
        `config.storage.topic=${this.internalTopics[0]}`,
        `offset.storage.topic=${this.internalTopics[1]}`,
        `status.storage.topic=${this.internalTopics[2]}`,
        'config.storage.replication.factor=1',
        'offset.storage.replication.factor=1',
        'status.storage.replication.factor=1',
        // Topic settings for the internal topics Connect creates (KIP-605 prefixes): a segment a
        // second and cleanable at once, so the broker's cleaner compacts them while the scenarios
        // run and every restart reads logs the cleaner has been through.
        ...['config', 'offset', 'status'].flatMap((t) => [`${t}.storage.segment.ms=1000`, `${t}.storage.min.cleanable.dirty.ratio=0.01`]),
        'offset.flush.interval.ms=1000',
        `listeners=http://127.0.0.1:${context.restPort}`,
        'rest.advertised.host.name=127.0.0.1',
        // A killed worker's tasks are reassigned at once (the default holds them 5 minutes for
        // the worker to come back), and its group member expires in 10 s.
        'scheduled.rebalance.max.delay.ms=0',
        'session.timeout.ms=10000',
        'heartbeat.interval.ms=2000',
        // The same for the sink task's consumer group.
        'consumer.session.timeout.ms=10000',
        'consumer.heartbeat.interval.ms=2000',
        '',
      ].join('\n'),
    );
    this.jvm = new Jvm({
      name: 'connect',
      module: 'connect',
      mainClass: 'org.apache.kafka.connect.cli.ConnectDistributed',
      args: [workerConfig],
      logFile: join(context.workDir, 'connect.log'),
      heap: '384m',
      systemProperties: { 'org.slf4j.simpleLogger.defaultLogLevel': 'info', 'org.slf4j.simpleLogger.showDateTime': 'true' },
    });
  }

  private async rest(method: string, path: string, body?: unknown): Promise<RestAnswer> {
    const response = await fetch(this.restBase + path, {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? null : JSON.stringify(body),
      signal: AbortSignal.timeout(20_000),
    });
    const text = await response.text();
    let parsed: unknown = text;
    try {
      parsed = JSON.parse(text);
    } catch {
      // Not JSON: kept as text.
    }
    return { status: response.status, body: parsed };
  }

  /** Starts the worker and waits until it says it has finished starting. */
  async start(): Promise<void> {
    this.jvm.start();
    await until('the Connect worker to report healthy', START_TIMEOUT_MS, async () => {
      this.jvm.assertAlive();
      // GET /health (KIP-1017) answers 200 once the worker's herder has started: its internal
      // topics exist and it has read them; 503 before, or 404 while the REST resources load.
      const answer = await this.rest('GET', '/health');
      return answer.status === 200 ? true : undefined;
    });
  }

  async putConnector(name: string, config: Record<string, string>): Promise<void> {
    const answer = await this.rest('PUT', `/connectors/${name}/config`, config);
    if (answer.status !== 200 && answer.status !== 201) {
      throw new Error(`PUT /connectors/${name}/config answered ${answer.status}: ${JSON.stringify(answer.body).slice(0, 300)}`);
    }
  }

  async connectorConfig(name: string): Promise<Record<string, string>> {
    const answer = await this.rest('GET', `/connectors/${name}/config`);
    if (answer.status !== 200) throw new Error(`GET /connectors/${name}/config answered ${answer.status}`);
    return answer.body as Record<string, string>;
  }

  async waitRunning(name: string): Promise<void> {
    await until(`connector ${name} and its task RUNNING`, FLOW_TIMEOUT_MS, async () => {
      const answer = await this.rest('GET', `/connectors/${name}/status`);
      if (answer.status !== 200) return undefined;
      const status = answer.body as { connector: { state: string }; tasks: { state: string; trace?: string }[] };
      const failed = status.tasks.find((t) => t.state === 'FAILED');
      if (failed) throw new Error(`task of ${name} FAILED: ${(failed.trace ?? '').split('\n')[0]}`);
      return status.connector.state === 'RUNNING' && status.tasks.length > 0 && status.tasks.every((t) => t.state === 'RUNNING')
        ? true
        : undefined;
    });
  }

  sourceConfig(file: string): Record<string, string> {
    return { 'connector.class': 'org.apache.kafka.connect.file.FileStreamSourceConnector', 'tasks.max': '1', file, topic: this.topic };
  }

  sinkConfig(): Record<string, string> {
    return { 'connector.class': 'org.apache.kafka.connect.file.FileStreamSinkConnector', 'tasks.max': '1', file: this.sinkFile, topics: this.topic };
  }

  appendLines(file: string, count: number, tag: string): void {
    const lines = Array.from({ length: count }, (_, i) => `${tag}-${String(this.written.length + i).padStart(6, '0')} ${'x'.repeat(40)}`);
    appendFileSync(file, lines.map((l) => l + '\n').join(''));
    this.written.push(...lines);
  }

  sinkLines(): string[] {
    if (!existsSync(this.sinkFile)) return [];
    return readFileSync(this.sinkFile, 'utf8').split('\n').filter((l) => l.length > 0);
  }

  /**
   * Waits until the whole pipeline is at rest with everything stored: the sink file has every
   * written line, the source's stored offset is the end of its file, and the sink's committed
   * offsets are the topic's end. Only then does a kill -9 lose nothing and replay nothing.
   */
  async waitSettled(sourceFile: string): Promise<void> {
    await until(`${this.written.length} lines in the sink file`, FLOW_TIMEOUT_MS, async () =>
      this.sinkLines().length >= this.written.length ? true : undefined,
    );
    const size = statSync(sourceFile).size;
    await until(`the source's stored offset to reach ${size} bytes`, FLOW_TIMEOUT_MS, async () => {
      const answer = await this.rest('GET', '/connectors/source/offsets');
      const offsets = (answer.body as { offsets?: { partition: { filename?: string }; offset: { position?: number } }[] }).offsets ?? [];
      return offsets.some((o) => o.partition.filename === sourceFile && o.offset.position === size) ? true : undefined;
    });
    const ends = await this.client.endOffsets(this.topic);
    await until(`the sink's committed offsets to reach the topic's end`, FLOW_TIMEOUT_MS, async () => {
      const answer = await this.rest('GET', '/connectors/sink/offsets');
      const offsets = (answer.body as { offsets?: { partition: { kafka_partition: number }; offset: { kafka_offset: number } }[] }).offsets ?? [];
      const committed = new Map(offsets.map((o) => [o.partition.kafka_partition, BigInt(o.offset.kafka_offset)]));
      return [...ends].every(([p, end]) => end === 0n || committed.get(p) === end) ? true : undefined;
    });
  }

  /** How far the cleaner got with the internal topics: records held against offsets, per topic. */
  async internalTopicsHeld(): Promise<string> {
    const parts: string[] = [];
    for (const topic of this.internalTopics) {
      const held = (await this.client.readAll(topic, 30_000)).length;
      parts.push(`${topic.slice(topic.lastIndexOf('-') + 1)} ${held}/${await this.client.recordCount(topic)}`);
    }
    return parts.join(', ');
  }

  /** The sink file against every line written, and the topic's record count against the line count. */
  async checkExactlyOnce(): Promise<string> {
    const sink = this.sinkLines();
    const count = await this.client.recordCount(this.topic);
    if (count !== BigInt(this.written.length)) {
      throw new Error(`the topic holds ${count} records for ${this.written.length} lines written (duplicates or losses at the source)`);
    }
    if (sink.length !== this.written.length) {
      throw new Error(`the sink file has ${sink.length} lines for ${this.written.length} written`);
    }
    const firstDifference = sink.findIndex((line, i) => line !== this.written[i]);
    if (firstDifference >= 0) {
      throw new Error(`sink line ${firstDifference} is "${sink[firstDifference]}", expected "${this.written[firstDifference]}"`);
    }
    return `${sink.length} lines, each once and in order; topic holds ${count} records`;
  }
}

/** FileStreamSource -> topic -> FileStreamSink, on a worker that creates its own internal topics. */
export async function connectPipeline(context: ScenarioContext, cluster: ConnectCluster): Promise<string> {
  // One partition keeps the lines' order, so the sink file can be compared line by line.
  await context.client.createTopic(cluster.topic, 1);
  cluster.appendLines(cluster.sourceFile, FIRST_LINES, 'first');
  await cluster.start();
  const policies: string[] = [];
  for (const topic of cluster.internalTopics) {
    if (!(await context.client.topicExists(topic))) throw new Error(`Connect did not create ${topic}`);
    const policy = await context.client.topicConfig(topic, 'cleanup.policy');
    if (policy !== 'compact') throw new Error(`${topic} has cleanup.policy=${policy}, Connect requires compact`);
    policies.push(policy);
  }
  await cluster.putConnector('source', cluster.sourceConfig(cluster.sourceFile));
  await cluster.putConnector('sink', cluster.sinkConfig());
  await cluster.waitRunning('source');
  await cluster.waitRunning('sink');
  await cluster.waitSettled(cluster.sourceFile);
  const moved = await cluster.checkExactlyOnce();
  return `${moved}; Connect created its 3 internal topics, cleanup.policy=compact`;
}

/** kill -9, lines appended while the worker is down, restart: resume from the stored offsets. */
export async function connectKillResume(_context: ScenarioContext, cluster: ConnectCluster): Promise<string> {
  await cluster.waitSettled(cluster.sourceFile);
  await cluster.jvm.kill();
  cluster.appendLines(cluster.sourceFile, LINES_WHILE_DOWN, 'down');
  await cluster.start();
  await cluster.waitRunning('source');
  await cluster.waitRunning('sink');
  await cluster.waitSettled(cluster.sourceFile);
  const moved = await cluster.checkExactlyOnce();
  return `kill -9, ${LINES_WHILE_DOWN} lines appended while down, restarted: ${moved}`;
}

/**
 * The source connector's file changed through PUT /connectors/source/config, the worker killed
 * right after the answer, restarted: the new config is what GET answers and what runs.
 */
export async function connectConfigRestart(_context: ScenarioContext, cluster: ConnectCluster): Promise<string> {
  await cluster.waitSettled(cluster.sourceFile);
  await cluster.putConnector('source', cluster.sourceConfig(cluster.secondSourceFile));
  const before = await cluster.connectorConfig('source');
  if (before['file'] !== cluster.secondSourceFile) throw new Error(`GET after PUT answered file=${before['file']}`);
  await cluster.jvm.kill();
  // Written while the worker is down: only a source that runs the new config reads this file.
  cluster.appendLines(cluster.secondSourceFile, LINES_AFTER_CONFIG_CHANGE, 'second');
  await cluster.start();
  const after = await cluster.connectorConfig('source');
  if (after['file'] !== cluster.secondSourceFile) {
    throw new Error(`after the restart GET /connectors/source/config answered file=${after['file']}, not the new file`);
  }
  await cluster.waitRunning('source');
  await cluster.waitSettled(cluster.secondSourceFile);
  const moved = await cluster.checkExactlyOnce();
  await cluster.jvm.stop();
  return `file changed by PUT, kill -9, restart: GET answers the new file and it runs; ${moved}; internal topics at the end, records/offsets: ${await cluster.internalTopicsHeld()}`;
}
