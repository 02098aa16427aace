// The entry point's wiring, done once: shards, partition directory, metadata store, group
// coordinator, the handlers' services, the Kafka listener and the HTTP side port. Start-up order:
// shards, then the metadata log is replayed, then every partition is recovered by its shard, and
// only then does the Kafka listener accept connections.
import { mkdirSync } from 'node:fs';
import type { Logger } from 'pino';
import { formatFsyncPolicy, type BrokerConfig } from '../config.ts';
import { VERSION } from '../version.ts';
import { BrokerMetrics } from '../metrics.ts';
import type { ClusterMetadata } from '../metadata/cluster-metadata.ts';
import { ShardPool } from './shards.ts';
import { effectiveTopicDefaults } from '../metadata/broker-configs.ts';
import { brokerConfigLayers } from './topic-configs-view.ts';
import { WatermarkReader } from '../shared-mem/watermarks.ts';
import { openGroupCoordinator } from '../coordinator/broker-coordinator.ts';
import type { GroupCoordinator } from '../coordinator/coordinator.ts';
import { startHttpServer, type HttpSurface } from '../http/server.ts';
import type { HttpBrokerView } from '../http/broker-view.ts';
import { DataDirLogDirs } from './log-dirs.ts';
import { HandlerRegistry, type BrokerEndpoint, type HandlerServices } from './registry.ts';
import { allHandlers } from './handlers/index.ts';
import { PartitionDirectory, type DirectoryHandle } from './partition-directory.ts';
import { MetadataStore } from './metadata-store.ts';
import { LongPollWatermarks } from './long-poll.ts';
import { BrokerServer } from './server.ts';
import type { TestHooks } from './connection.ts';

/** A started broker: what the CLI and the tests hold. */
export interface RunningBroker extends HttpBrokerView {
  readonly config: BrokerConfig;
  /** The bound Kafka port. */
  readonly port: number;
  /** The bound HTTP side port (/metrics, dashboard), or -1 when it is off. */
  readonly httpPort: number;
  readonly metadata: ClusterMetadata;
  readonly shards: ShardPool;
  readonly watermarks: WatermarkReader;
  readonly groupCoordinator: GroupCoordinator;
  readonly testHooks: TestHooks;
  partitions(topicName: string): DirectoryHandle[] | undefined;
  partition(topicName: string, partition: number): DirectoryHandle | undefined;
  /** The end of the log, from the one place that says it (DESIGN.md §2). */
  highWatermark(handle: { slot: number }): bigint;
  /**
   * Graceful stop: no new connections, no new requests read, in-flight requests finished and
   * answered (bounded by `drainMs`), then the shards sync and close their logs with clean-shutdown
   * markers, so the next start skips the tail scan.
   */
  stop(options?: { drainMs?: number }): Promise<void>;
}

export async function startBroker(config: BrokerConfig, log: Logger): Promise<RunningBroker> {
  const began = performance.now();
  mkdirSync(config.dataDir, { recursive: true });
  const metrics = new BrokerMetrics();
  const watermarks = WatermarkReader.create(config.maxPartitions);
  // The pool asks the directory what a restarted shard reopens; the directory opens through the
  // pool, and asks the metadata (replayed through the directory) which shard serves a partition.
  // Each closure below runs only after the name it uses is initialised.
  const shards: ShardPool = new ShardPool({
    shards: config.shards,
    dataDir: config.dataDir,
    fsync: config.fsync,
    ringBytes: config.ringBytes,
    watermarks,
    log,
    metrics,
    partitionsOf: (shard) => directory.openRequestsFor(shard),
    retentionCheckMs: config.retentionCheckMs,
  });
  const directory: PartitionDirectory = new PartitionDirectory({
    dataDir: config.dataDir,
    maxPartitions: config.maxPartitions,
    topicDefaults: () => effectiveTopicDefaults(brokerConfigLayers(config, store.metadata, config.nodeId)),
    shards,
    watermarks,
    shardOf: (p) => store.metadata.effectiveShard(p),
  });
  await shards.start();
  const store = await MetadataStore.open({ shards: config.shards, clusterId: config.clusterId, partitions: directory });
  const recoveryBegan = performance.now();
  await Promise.all([...store.topics].map((topic) => directory.openTopicPartitions(topic, 0)));
  const recoveryMs = Math.round(performance.now() - recoveryBegan);
  const groupCoordinator = await openGroupCoordinator({
    shardCount: config.shards,
    openInternalLog: (name, shard, logConfig) => directory.openInternalLog(name, shard, logConfig),
    partitions: directory,
    topics: () => store.topics,
    log,
    config,
  });

  const registry = new HandlerRegistry(allHandlers);
  const longPolls = new LongPollWatermarks(watermarks);
  const node: BrokerEndpoint = {
    nodeId: config.nodeId,
    host: config.advertisedHost,
    // The port clients are told to connect to: the listener's, unless a proxy stands in front.
    get port() { return config.advertisedPort > 0 ? config.advertisedPort : server.port; },
  };
  const services: HandlerServices = {
    partitions: directory,
    append: shards,
    watermarks: longPolls,
    metadata: store,
    node,
    coordinator: groupCoordinator,
    config,
    metrics,
    log,
    producers: shards,
    logDirs: new DataDirLogDirs(config.dataDir),
    authorizer: null,
    apiVersions: () => registry.apiVersions(),
  };
  const server = new BrokerServer({ host: config.host, port: config.port, maxFrameBytes: config.maxFrameBytes, registry, services, metrics, log });
  await server.listen();

  let ready = true;
  let http: HttpSurface | undefined;
  const broker: RunningBroker = {
    config, log, metrics, shards, watermarks, groupCoordinator,
    metadata: store.metadata,
    testHooks: server.testHooks,
    get ready() { return ready; },
    get port() { return server.port; },
    get httpPort() { return http?.port ?? -1; },
    partitions: (topicName) => directory.partitions(topicName),
    partition: (topicName, partition) => directory.partition(topicName, partition),
    highWatermark: (handle) => watermarks.highWatermark(handle.slot),
    async stop(options = {}) {
      ready = false;
      longPolls.stopWaiting();
      await http?.close();
      http = undefined;
      await server.stop(options.drainMs ?? 5000);
      await store.settled();
      await groupCoordinator.close();
      await shards.stop();
      await directory.close();
    },
  };
  if (config.httpPort >= 0) http = await startHttpServer(broker, { port: config.httpPort, host: config.host });
  log.info({
    version: VERSION,
    port: server.port,
    httpPort: broker.httpPort,
    shards: config.shards,
    fsync: formatFsyncPolicy(config.fsync),
    dataDir: config.dataDir,
    topics: [...store.topics].length,
    partitions: directory.count,
    recoveryMs,
    startupMs: Math.round(performance.now() - began),
  }, 'broker ready');
  return broker;
}
