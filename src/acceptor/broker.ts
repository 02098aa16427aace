// The broker on the main thread: the listener, the handler registry, the cluster metadata and the
// partition directory (topic/partition -> owning shard, watermark slot and fetch-side reader).
// Start-up order: shards, then the metadata log is replayed, then every partition is recovered by
// its shard, and only then does the Kafka listener accept connections.
import net from 'node:net';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { Logger } from 'pino';
import { formatFsyncPolicy, type BrokerConfig } from '../config.ts';
import { VERSION } from '../version.ts';
import { Connection } from './connection.ts';
import { HandlerRegistry } from './registry.ts';
import { allHandlers } from './handlers/index.ts';
import { BrokerMetrics } from '../metrics.ts';
import { ClusterMetadata, newClusterId, type MetadataRecord, type TopicInfo } from '../metadata/cluster-metadata.ts';
import { MetadataLog, METADATA_LOG_CONFIG, METADATA_TOPIC } from '../metadata/metadata-log.ts';
import { InternalLog } from '../metadata/internal-log.ts';
import { ShardPool } from './shards.ts';
import { WatermarkReader } from '../shared-mem/watermarks.ts';
import { PartitionReader, type PartitionVisibility } from '../segments/reader.ts';
import { partitionDirName } from '../segments/layout.ts';
import { effectiveConfig } from '../metadata/topic-configs.ts';
import type { OpenPartitionRequest } from '../shared-mem/shard-messages.ts';
import { openGroupCoordinator } from '../coordinator/broker-coordinator.ts';
import type { GroupCoordinator } from '../coordinator/coordinator.ts';
import { startHttpServer, type HttpSurface } from '../http/server.ts';

/** Size of the acceptor's shared socket read buffer: the most one read can take in. */
const SOCKET_READ_BUFFER_BYTES = 256 * 1024;

export interface TestHooks {
  /** Called before each response is written; 'drop-connection' closes the socket instead. */
  beforeResponseWrite?: (connection: Connection, apiKey: number, response: Uint8Array[]) => 'drop-connection' | void;
}

/** Everything the main thread knows about one partition at run time. */
export interface PartitionHandle {
  topic: TopicInfo;
  partition: number;
  shard: number;
  /** Index into the shared watermark table; a run-time number, not stored. */
  slot: number;
  reader: PartitionReader;
}

/** Producer ids are reserved this many at a time, one metadata write per block. */
const PRODUCER_ID_BLOCK = 1000n;


export class Broker {
  readonly config: BrokerConfig;
  readonly log: Logger;
  readonly registry: HandlerRegistry;
  readonly metrics = new BrokerMetrics();
  readonly metadata: ClusterMetadata;
  readonly watermarks: WatermarkReader;
  readonly shards: ShardPool;
  testHooks: TestHooks = {};
  /** Consumer groups and committed offsets (src/coordinator/), opened before the listener accepts. */
  groupCoordinator!: GroupCoordinator;
  /** Partitions for the broker's own use (not topics), reopened with their shard after a restart. */
  readonly #internalPartitions: { shard: number; request: OpenPartitionRequest }[] = [];
  readonly #partitions = new Map<string, PartitionHandle[]>();
  readonly #freeSlots: number[] = [];
  #nextSlot = 0;
  readonly #closeInternalLogs: (() => Promise<void>)[] = [];
  #metadataLog!: MetadataLog;
  #server: net.Server | undefined;
  /**
   * Every connection's socket reads land here (socket-reads.ts). One buffer serves them all: each
   * read is consumed before the event loop performs the next.
   */
  readonly #readBuffer = Buffer.allocUnsafeSlow(SOCKET_READ_BUFFER_BYTES);
  readonly #connections = new Set<Connection>();
  #nextConnectionId = 1;
  /** Metadata writes are applied one at a time, in log order. */
  #metadataChain: Promise<unknown> = Promise.resolve();
  #ready = false;
  #http: HttpSurface | undefined;

  private constructor(config: BrokerConfig, log: Logger) {
    this.config = config;
    this.log = log;
    this.registry = new HandlerRegistry(allHandlers);
    this.metadata = new ClusterMetadata(config.shards);
    this.watermarks = WatermarkReader.create(config.maxPartitions);
    this.shards = new ShardPool({
      shards: config.shards,
      dataDir: config.dataDir,
      fsync: config.fsync,
      ringBytes: config.ringBytes,
      watermarks: this.watermarks,
      log,
      metrics: this.metrics,
      partitionsOf: (shard) => this.#openRequestsFor(shard),
      retentionCheckMs: config.retentionCheckMs,
    });
  }

  static async start(config: BrokerConfig, log: Logger): Promise<Broker> {
    const broker = new Broker(config, log);
    await broker.#start();
    return broker;
  }

  get ready(): boolean {
    return this.#ready;
  }

  /** The bound HTTP side port (/metrics, dashboard), or -1 when it is off. */
  get httpPort(): number {
    return this.#http?.port ?? -1;
  }

  /** The port clients are told to connect to (Metadata, DescribeCluster, FindCoordinator). */
  get advertisedPort(): number {
    return this.config.advertisedPort > 0 ? this.config.advertisedPort : this.port;
  }

  get port(): number {
    const address = this.#server?.address();
    return typeof address === 'object' && address ? address.port : this.config.port;
  }

  async #start(): Promise<void> {
    const began = performance.now();
    mkdirSync(this.config.dataDir, { recursive: true });
    await this.shards.start();
    // The first partition allocated, so the metadata log always has slot 0 and lives on shard 0.
    const metadataLog = this.openInternalLog(METADATA_TOPIC, 0, { ...METADATA_LOG_CONFIG });
    this.#metadataLog = new MetadataLog(metadataLog);
    this.#closeInternalLogs.push(() => metadataLog.close());
    await metadataLog.open();
    for (const record of await this.#metadataLog.replay()) this.metadata.apply(record);
    if (!this.metadata.clusterId) {
      await this.writeMetadata([{ type: 'cluster', clusterId: this.config.clusterId || newClusterId() }]);
    }
    const recoveryBegan = performance.now();
    await Promise.all([...this.metadata.topics].map((topic) => this.#openTopicPartitions(topic, 0)));
    const recoveryMs = Math.round(performance.now() - recoveryBegan);
    this.groupCoordinator = await openGroupCoordinator(this);
    // Accepted paused: each Connection moves the socket onto the shared read buffer first.
    this.#server = net.createServer({ pauseOnConnect: true }, (socket) => this.#accept(socket));
    await new Promise<void>((resolve, reject) => {
      this.#server!.once('error', reject);
      this.#server!.listen(this.config.port, this.config.host, () => resolve());
    });
    this.#ready = true;
    if (this.config.httpPort >= 0) this.#http = await startHttpServer(this, { port: this.config.httpPort, host: this.config.host });
    this.log.info({
      version: VERSION,
      port: this.port,
      httpPort: this.httpPort,
      shards: this.config.shards,
      fsync: formatFsyncPolicy(this.config.fsync),
      dataDir: this.config.dataDir,
      topics: [...this.metadata.topics].length,
      partitions: [...this.#partitions.values()].reduce((n, h) => n + h.length, 0),
      recoveryMs,
      startupMs: Math.round(performance.now() - began),
    }, 'broker ready');
  }

  #accept(socket: net.Socket): void {
    const connection = new Connection(this.#nextConnectionId++, socket, this, this.#readBuffer);
    this.#connections.add(connection);
    this.metrics.connections.inc();
    this.metrics.connectionsTotal.inc();
  }

  connectionClosed(connection: Connection): void {
    if (this.#connections.delete(connection)) this.metrics.connections.dec();
  }

  apiVersionsList(): { apiKey: number; minVersion: number; maxVersion: number }[] {
    return this.registry.all.map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }));
  }

  // ---- partition directory ----

  partitions(topicName: string): PartitionHandle[] | undefined {
    return this.#partitions.get(topicName);
  }

  partition(topicName: string, partition: number): PartitionHandle | undefined {
    return this.#partitions.get(topicName)?.[partition];
  }

  /** The end of the log, from the one place that says it (DESIGN.md §2). */
  highWatermark(handle: PartitionHandle): bigint {
    return this.watermarks.highWatermark(handle.slot);
  }

  logStartOffset(handle: PartitionHandle): bigint {
    return this.watermarks.logStartOffset(handle.slot);
  }

  /** What the fetch-side reader may serve, read once from the slot group. */
  visibility(handle: PartitionHandle): PartitionVisibility {
    const offsets = this.watermarks.readOffsets(handle.slot);
    return { highWatermark: offsets.highWatermark, logStartOffset: offsets.logStartOffset, segmentsVersion: this.watermarks.segmentEpoch(handle.slot) };
  }

  topicConfig(topic: TopicInfo, name: string): string {
    return effectiveConfig(name, topic.configs, this.config.topicDefaults);
  }

  #allocateSlot(): number {
    const slot = this.#freeSlots.pop() ?? this.#nextSlot++;
    if (slot >= this.config.maxPartitions) throw new Error(`watermark table full: more than ${this.config.maxPartitions} partitions (--max-partitions)`);
    return slot;
  }

  /** A watermark slot and a directory for an internal log owned by `shard`; the caller opens it. */
  /**
   * An internal partition (metadata, committed offsets) on a fixed shard: given a slot and a
   * directory, and reopened with the shard's other partitions if the shard restarts. The caller
   * opens it, and closes it before the broker stops.
   */
  openInternalLog(name: string, shard: number, config: Record<string, string>): InternalLog {
    const request = { slot: this.#allocateSlot(), topic: name, partition: 0, dir: this.#partitionDir(name, 0), config };
    this.#internalPartitions.push({ shard, request });
    return new InternalLog({ shards: this.shards, shard, request, watermarks: this.watermarks });
  }

  #partitionDir(topic: string, partition: number): string {
    return path.join(this.config.dataDir, partitionDirName(topic, partition));
  }

  #logConfigFor(topic: TopicInfo): Record<string, string> {
    const out: Record<string, string> = {};
    for (const name of ['segment.bytes', 'segment.ms', 'retention.ms', 'retention.bytes', 'index.interval.bytes', 'max.message.bytes', 'message.timestamp.type']) {
      out[name] = this.topicConfig(topic, name);
    }
    return out;
  }

  /** Opens (recovers) partitions from index `from` on, each on its owning shard. */
  async #openTopicPartitions(topic: TopicInfo, from: number): Promise<void> {
    const handles = this.#partitions.get(topic.name) ?? [];
    this.#partitions.set(topic.name, handles);
    const opening: Promise<void>[] = [];
    for (const p of topic.partitions.slice(from)) {
      const handle: PartitionHandle = {
        topic,
        partition: p.partition,
        shard: this.metadata.effectiveShard(p),
        slot: this.#allocateSlot(),
        reader: new PartitionReader(this.#partitionDir(topic.name, p.partition)),
      };
      handles[p.partition] = handle;
      opening.push(this.shards.openPartition(handle.shard, this.#openRequest(handle)));
    }
    await Promise.all(opening);
  }

  #openRequest(handle: PartitionHandle) {
    return {
      slot: handle.slot,
      topic: handle.topic.name,
      partition: handle.partition,
      dir: this.#partitionDir(handle.topic.name, handle.partition),
      config: this.#logConfigFor(handle.topic),
    };
  }

  /** What a restarted shard must reopen: every partition it owns, internal ones included. */
  #openRequestsFor(shard: number) {
    const requests = [];
    for (const p of this.#internalPartitions) if (p.shard === shard) requests.push(p.request);
    for (const handles of this.#partitions.values()) {
      for (const h of handles) if (h.shard === shard) requests.push(this.#openRequest(h));
    }
    return requests;
  }

  // ---- producer ids: handed out from blocks made durable in the metadata log ----

  #nextProducerId = -1n;
  #producerIdChain: Promise<unknown> = Promise.resolve();

  /** A producer id no earlier or later run of this broker hands out again. */
  allocateProducerId(): Promise<bigint> {
    const run = async (): Promise<bigint> => {
      if (this.#nextProducerId < 0n || this.#nextProducerId >= this.metadata.producerIdBlockEnd) {
        const start = this.metadata.producerIdBlockEnd;
        await this.writeMetadata([{ type: 'producer-id-block', end: String(start + PRODUCER_ID_BLOCK) }]);
        this.#nextProducerId = start;
      }
      return this.#nextProducerId++;
    };
    const next = this.#producerIdChain.then(run, run);
    this.#producerIdChain = next.catch(() => undefined);
    return next;
  }

  // ---- metadata writes: durable first, then applied, one at a time ----

  writeMetadata(records: MetadataRecord[]): Promise<void> {
    const run = async () => {
      await this.#metadataLog.append(records);
      for (const r of records) await this.#applyLive(r);
    };
    const next = this.#metadataChain.then(run, run);
    this.#metadataChain = next.catch(() => undefined);
    return next;
  }

  async #applyLive(record: MetadataRecord): Promise<void> {
    const before = record.type === 'delete-topic' || record.type === 'add-partitions' ? this.metadata.topicById(record.topicId) : undefined;
    const previousCount = before?.partitions.length ?? 0;
    this.metadata.apply(record);
    switch (record.type) {
      case 'create-topic':
        await this.#openTopicPartitions(this.metadata.topicByName(record.name)!, 0);
        return;
      case 'add-partitions':
        if (before) await this.#openTopicPartitions(before, previousCount);
        return;
      case 'alter-configs': {
        const topic = this.metadata.topicById(record.topicId);
        if (!topic) return;
        await Promise.all((this.#partitions.get(topic.name) ?? []).map((h) =>
          this.shards.updateConfig(h.shard, h.slot, this.#logConfigFor(topic))));
        return;
      }
      case 'delete-topic': {
        if (!before) return;
        const handles = this.#partitions.get(before.name) ?? [];
        this.#partitions.delete(before.name);
        await Promise.all(handles.map(async (h) => {
          await this.shards.closePartition(h.shard, h.slot, { deleteFiles: true });
          await h.reader.close();
          this.#freeSlots.push(h.slot);
        }));
        return;
      }
      case 'cluster':
      case 'producer-id-block':
        return;
    }
  }

  // ---- shutdown ----

  /** Long polls waiting now; shutdown wakes them so they answer with what they have. */
  readonly #longPolls = new Set<() => void>();
  #stopping = false;

  /**
   * Resolves after `timeoutMs`, when a watched slot changes, or when shutdown begins. A set of
   * wakers rather than one shared "shutting down" promise: racing against a promise that stays
   * pending would leave one reaction behind per long poll for the life of the broker.
   */
  async waitForPartitions(slots: readonly number[], seenWakeWords: ArrayLike<number>, timeoutMs: number): Promise<'changed' | 'timeout' | 'shutdown'> {
    if (this.#stopping) return 'shutdown';
    let wake!: () => void;
    const shutdown = new Promise<'shutdown'>((resolve) => { wake = () => resolve('shutdown'); });
    this.#longPolls.add(wake);
    try {
      return await Promise.race([this.watermarks.waitForChange(slots, seenWakeWords, timeoutMs), shutdown]);
    } finally {
      this.#longPolls.delete(wake);
    }
  }

  /**
   * Graceful stop: no new connections, no new requests read, in-flight requests finished and
   * answered (bounded by `drainMs`), then the shards sync and close their logs with clean-shutdown
   * markers, so the next start skips the tail scan.
   */
  async stop(options: { drainMs?: number } = {}): Promise<void> {
    this.#ready = false;
    this.#stopping = true;
    for (const wake of this.#longPolls) wake();
    await this.#http?.close();
    this.#http = undefined;
    const server = this.#server;
    this.#server = undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const c of this.#connections) c.pause('shutdown');
    const deadline = performance.now() + (options.drainMs ?? 5000);
    while ([...this.#connections].some((c) => c.inFlight > 0) && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    for (const c of this.#connections) c.close('broker shutting down', { inFlight: c.inFlight }, c.inFlight > 0 ? 'warn' : 'debug');
    await closed;
    await this.#metadataChain;
    await this.groupCoordinator?.close();
    await this.shards.stop();
    for (const handles of this.#partitions.values()) for (const h of handles) await h.reader.close();
    for (const close of this.#closeInternalLogs) await close();
  }
}
