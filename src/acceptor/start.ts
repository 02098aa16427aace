// The entry point's wiring, done once: shards, partition directory, metadata store, group
// coordinator, the handlers' services, the Kafka listener and the HTTP side port. Start-up order:
// the HTTP side port first (so /healthz answers and /readyz says why it is not ready while a long
// recovery runs: issue 15 defect 5), shards, then the metadata log is replayed, then every
// partition is recovered by its shard, and only then does the Kafka listener accept connections.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FsObjectStore } from '../object-store/fs-store.ts';
import type { Logger } from 'pino';
import { ConfigError, formatFsyncPolicy, remoteStorageSystemEnabled, superUserList, type BrokerConfig } from '../config.ts';
import type { ObjectStore } from '../object-store/object-store.ts';
import { effectiveConfig } from '../metadata/topic-configs.ts';
import type { TopicInfo } from '../metadata/cluster-metadata.ts';
import { ChunkCache } from './tiering/chunk-cache.ts';
import { RemoteDeletions } from './tiering/remote-deletions.ts';
import { RemoteLogReader } from './tiering/remote-reader.ts';
import { TierManager, type TieredPartition } from './tiering/tier-manager.ts';
import { TierMetrics } from './tiering/tier-metrics.ts';
import { VERSION } from '../version.ts';
import { BrokerMetrics } from '../metrics.ts';
import { FetchSessionCache } from './fetch-sessions.ts';
import type { ClusterMetadata } from '../metadata/cluster-metadata.ts';
import { ShardPool } from './shards.ts';
import { effectiveTopicDefaults } from '../metadata/broker-configs.ts';
import { brokerConfigLayers } from './topic-configs-view.ts';
import { WatermarkReader } from '../shared-mem/watermarks.ts';
import { openGroupCoordinator } from '../coordinator/broker-coordinator.ts';
import type { GroupCoordinator } from '../coordinator/coordinator.ts';
import { openTransactionCoordinator } from '../coordinator/broker-transactions.ts';
import { startHttpServer, type HttpSurface } from '../http/server.ts';
import type { HttpBrokerView } from '../http/broker-view.ts';
import { DataDirLogDirs } from './log-dirs.ts';
import { HandlerRegistry, type BrokerEndpoint, type HandlerServices } from './registry.ts';
import { allHandlers } from './handlers/index.ts';
import { PartitionDirectory, type DirectoryHandle } from './partition-directory.ts';
import { MetadataStore } from './metadata-store.ts';
import { LongPollWatermarks } from './long-poll.ts';
import { loadFileSender } from './file-sender.ts';
import { BrokerServer, type ListenerRuntime } from './server.ts';
import { effectivePartitionBudget, openLogsPerShard, readHandleLimit } from './partition-budget.ts';
import { HandleCache } from '../segments/handle-cache.ts';
import { Scrubber } from './scrubber.ts';
import {
  isSaslProtocol, isTlsProtocol, parseBootstrapScram, parseConnectionOverrides, parseSaslMechanisms, resolveListeners,
} from '../security-config.ts';
import { SslPrincipalMapper, loadTlsOptions } from './tls.ts';
import type { SaslListenerSettings } from './sasl/authenticator.ts';
import { AuthenticationFailureLog } from './sasl/failure-log.ts';
import { credentialFromPassword, scramMechanismType } from './sasl/scram.ts';
import type { MetadataRecord } from '../metadata/cluster-metadata.ts';
import type { TestHooks } from './connection.ts';
import { StandardAuthorizer } from './acl/standard-authorizer.ts';
import { ClientQuotas } from './quotas/client-quotas.ts';

/** A started broker: what the CLI and the tests hold. */
export interface RunningBroker extends HttpBrokerView {
  readonly config: BrokerConfig;
  /** The bound Kafka port (of the first listener). */
  readonly port: number;
  /** The bound port of a listener by name. */
  listenerPort(name: string): number;
  /** Reads the TLS key material again and uses it for every new TLS connection (SIGHUP). */
  reloadTls(): Promise<void>;
  /** The bound HTTP side port (/metrics, dashboard), or -1 when it is off. */
  readonly httpPort: number;
  readonly metadata: ClusterMetadata;
  readonly shards: ShardPool;
  readonly watermarks: WatermarkReader;
  readonly groupCoordinator: GroupCoordinator;
  readonly testHooks: TestHooks;
  /** Tiered storage's uploader and remote deleter; absent without an object store. */
  readonly tierManager: TierManager | undefined;
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

export interface StartOptions {
  /**
   * Tiered storage: the object store to use in place of the S3 client the bucket settings would
   * build (tests; another backend). Needs --remote-storage-bucket set, which turns tiering on.
   */
  objectStore?: ObjectStore;
}

export async function startBroker(config: BrokerConfig, log: Logger, options: StartOptions = {}): Promise<RunningBroker> {
  const began = performance.now();
  mkdirSync(config.dataDir, { recursive: true });
  // Resolved once here: topic administration reads the number (issue 15 defect 3).
  config.partitionBudget = effectivePartitionBudget(config.partitionBudget, config.maxPartitions);
  HandleCache.setThreadLimit(readHandleLimit());
  const metrics = new BrokerMetrics();
  const tiering = await openTiering(config, options, metrics, log);
  const watermarks = WatermarkReader.create(config.maxPartitions);
  // The pool asks the directory what a restarted shard reopens; the directory opens through the
  // pool, and asks the metadata (replayed through the directory) which shard serves a partition.
  // Each closure below runs only after the name it uses is initialised.
  const shards: ShardPool = new ShardPool({
    shards: config.shards,
    openLogsPerShard: openLogsPerShard(config.shards),
    dataDir: config.dataDir,
    fsync: config.fsync,
    ringBytes: config.ringBytes,
    ringInitialBytes: config.ringInitialBytes,
    watermarks,
    log,
    logPretty: config.logPretty,
    metrics,
    partitionsOf: (shard) => directory.openRequestsFor(shard),
    retentionCheckMs: config.retentionCheckMs,
    cleaner: { enabled: config.logCleanerEnable, backoffMs: config.logCleanerBackoffMs, ioMaxBytesPerSecond: Number(config.logCleanerIoMaxBytesPerSecond) },
  });
  const directory: PartitionDirectory = new PartitionDirectory({
    dataDir: config.dataDir,
    maxPartitions: config.maxPartitions,
    topicDefaults: () => effectiveTopicDefaults(brokerConfigLayers(config, store!.metadata, config.nodeId)),
    shards,
    watermarks,
    shardOf: (p) => store!.metadata.effectiveShard(p),
    ...(tiering ? { remote: tiering.directoryHooks } : {}),
  });
  // What the HTTP side port sees while the broker starts: the pieces as they come up, and why it
  // is not ready yet. Replaced by the running broker below once it is.
  let notReady: string | null = 'starting shard threads';
  let store: MetadataStore | undefined = undefined;
  let coordinator: GroupCoordinator | undefined;
  let http: HttpSurface | undefined;
  let scrubber: Scrubber | undefined = undefined;
  const noTopics: { name: string }[] = [];
  const startingView: HttpBrokerView = {
    log, metrics, shards, watermarks,
    get ready() { return notReady === null; },
    get notReadyReason() { return notReady; },
    get metadata() { return store?.metadata ?? { topics: noTopics }; },
    get groupCoordinator() { return coordinator; },
    damagedBatches: () => scrubber?.damaged ?? [],
    partitions: (topicName) => (store ? directory.partitions(topicName) : undefined),
    partition: (topicName, partition) => (store ? directory.partition(topicName, partition) : undefined),
  };
  if (config.httpPort >= 0) http = await startHttpServer(startingView, { port: config.httpPort, host: config.host, dataDir: config.dataDir });
  try {
    await shards.start();
  } catch (err) {
    await http?.close();
    throw err;
  }
  notReady = 'replaying the metadata log';
  store = await MetadataStore.open({
    shards: config.shards, clusterId: config.clusterId, partitions: directory, dataDir: config.dataDir,
    maxRecordBytesBetweenSnapshots: config.metadataLogMaxRecordBytesBetweenSnapshots, log,
  }).catch(async (err: unknown) => {
    // A refused metadata log (e.g. its snapshot lost) must not leave the shard threads behind.
    await shards.stop().catch(() => undefined);
    await directory.close().catch(() => undefined);
    await http?.close();
    throw err;
  });
  const recoveryBegan = performance.now();
  const topicsToOpen = [...store.topics];
  let topicsOpened = 0;
  notReady = `recovering partitions: 0 of ${topicsToOpen.length} topics opened`;
  await Promise.all(topicsToOpen.map(async (topic) => {
    await directory.openTopicPartitions(topic, 0);
    topicsOpened++;
    notReady = `recovering partitions: ${topicsOpened} of ${topicsToOpen.length} topics opened`;
  })).catch(async (err: unknown) => {
    await http?.close();
    throw err;
  });
  const recoveryMs = Math.round(performance.now() - recoveryBegan);
  notReady = 'loading consumer groups';
  const groupCoordinator = coordinator = await openGroupCoordinator({
    shardCount: config.shards,
    openInternalLog: (name, shard, logConfig) => directory.openInternalLog(name, shard, logConfig),
    partitions: directory,
    topics: () => store.topics,
    log,
    config,
  });

  notReady = 'loading transactions';
  const transactions = await openTransactionCoordinator({
    shardCount: config.shards,
    openInternalLog: (name, shard, logConfig) => directory.openInternalLog(name, shard, logConfig),
    partitions: directory,
    markers: shards,
    allocateProducerId: () => store.allocateProducerId(),
    groups: groupCoordinator,
    settings: { transactionMaxTimeoutMs: config.transactionMaxTimeoutMs, transactionalIdExpirationMs: config.transactionalIdExpirationMs },
    log,
  });

  const registry = new HandlerRegistry(allHandlers);
  // ACLs and quotas are read from the replayed metadata and written through the metadata store.
  const aclStore = {
    get acls() { return store.metadata.acls; },
    get aclVersion() { return store.metadata.aclVersion; },
    write: (records: Parameters<typeof store.write>[0]) => store.write(records),
  };
  const authorizer = config.authorizerClassName ? new StandardAuthorizer({
    store: aclStore,
    settings: { superUsers: superUserList(config), allowEveryoneIfNoAclFound: config.allowEveryoneIfNoAclFound },
    log,
    onDenied: (operation, resourceType) => metrics.authorizationDenials.inc({ operation, resource_type: resourceType }),
  }) : null;
  const quotas = new ClientQuotas({
    store: { get clientQuotas() { return store.metadata.clientQuotas; }, write: (records) => store.write(records) },
    settings: config,
    onThrottle: (quota) => metrics.throttles.inc({ quota }),
  });
  const longPolls = new LongPollWatermarks(watermarks);
  const fetchSessions = new FetchSessionCache({
    slots: config.maxIncrementalFetchSessionCacheSlots,
    onEviction: () => metrics.fetchSessionEvictions.inc(),
    onIncrementalFetch: () => metrics.incrementalFetches.inc(),
  });
  metrics.fetchSessionCache = () => ({ sessions: fetchSessions.size, partitions: fetchSessions.cachedPartitions });
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
    transactions: transactions.coordinator,
    config,
    metrics,
    log,
    producers: shards,
    logDirs: new DataDirLogDirs(config.dataDir),
    authorizer,
    acls: authorizer,
    quotas,
    fetchSessions,
    apiVersions: () => registry.apiVersions(),
  };
  await bootstrapScramCredentials(config, store, log);
  const listeners = await listenerRuntimes(config, store, metrics, log);
  notReady = 'opening the Kafka listeners';
  // Which path serves Fetch record sets, said once (docs/notes/read-path.md).
  const fileSenderLoad = config.fetchSendfile ? loadFileSender() : { reason: 'turned off (--fetch-sendfile false)' };
  const fileSender = 'sender' in fileSenderLoad ? fileSenderLoad.sender : null;
  if ('reason' in fileSenderLoad) log.info({ fetchPath: 'js', reason: fileSenderLoad.reason }, 'Fetch record sets are read into memory and written by Node');
  else log.info({ fetchPath: 'sendfile' }, 'Fetch record sets are sent from the segment files with sendfile (TLS listeners: read into memory)');
  const server = new BrokerServer({
    host: config.host,
    port: config.port,
    listeners,
    limits: {
      maxConnections: config.maxConnections,
      maxConnectionsPerIp: config.maxConnectionsPerIp,
      perIpOverrides: parseConnectionOverrides(config.maxConnectionsPerIpOverrides),
    },
    idleMs: config.connectionsMaxIdleMs,
    maxFrameBytes: config.maxFrameBytes,
    queuedMaxRequestBytes: config.queuedMaxRequestBytes,
    fileSender,
    registry,
    services,
    metrics,
    log,
  });
  await server.listen().catch(async (err: unknown) => {
    await http?.close();
    throw err;
  });

  const metadataStore = store;
  const tierManager = tiering ? new TierManager({
    store: tiering.store,
    shards,
    partitions: () => remoteEnabledPartitions(metadataStore.topics, directory, () => effectiveTopicDefaults(brokerConfigLayers(config, metadataStore.metadata, config.nodeId))),
    deletions: tiering.deletions,
    intervalMs: config.remoteLogManagerTaskIntervalMs,
    concurrency: config.remoteLogUploadConcurrency,
    maxBytesPerSecond: config.remoteLogUploadMaxBytesPerSecond,
    metrics: tiering.metrics,
    log: log.child({ component: 'tiering' }),
  }) : undefined;
  tierManager?.start();
  let ready = true;
  // The scrubber starts a while after start-up (not competing with recovery and the first
  // clients), or after one interval when that is shorter.
  const scrubStart = config.scrubBytesPerSecond > 0
    ? setTimeout(() => {
      scrubber = new Scrubber({ dataDir: config.dataDir, bytesPerSecond: config.scrubBytesPerSecond, passIntervalMs: config.scrubIntervalMs }, log, metrics);
    }, Math.min(30_000, config.scrubIntervalMs))
    : undefined;
  scrubStart?.unref();
  const broker: RunningBroker = {
    config, log, metrics, shards, watermarks, groupCoordinator,
    metadata: metadataStore.metadata,
    testHooks: server.testHooks,
    get ready() { return ready; },
    get notReadyReason() { return ready ? null : 'stopping'; },
    damagedBatches: () => scrubber?.damaged ?? [],
    get port() { return server.port; },
    listenerPort: (name) => server.listenerPort(name),
    reloadTls: async () => {
      await server.reloadTls(() => loadTlsOptions(config));
      log.info('TLS key material reloaded');
    },
    get httpPort() { return http?.port ?? -1; },
    partitions: (topicName) => directory.partitions(topicName),
    partition: (topicName, partition) => directory.partition(topicName, partition),
    highWatermark: (handle) => watermarks.highWatermark(handle.slot),
    async stop(options = {}) {
      ready = false;
      notReady = 'stopping';
      clearTimeout(scrubStart);
      await scrubber?.stop();
      await tierManager?.stop();
      longPolls.stopWaiting();
      await http?.close();
      http = undefined;
      await server.stop(options.drainMs ?? 5000);
      await metadataStore.settled();
      await transactions.close();
      await groupCoordinator.close();
      await shards.stop();
      await directory.close();
      await tiering?.store.close();
    },
    tierManager,
  };
  notReady = null;
  log.info({
    version: VERSION,
    port: server.port,
    listeners: listeners.map((l) => `${l.spec.name}://${l.spec.host}:${server.listenerPort(l.spec.name)}`),
    httpPort: broker.httpPort,
    shards: config.shards,
    fsync: formatFsyncPolicy(config.fsync),
    dataDir: config.dataDir,
    topics: topicsToOpen.length,
    partitions: directory.count,
    partitionBudget: config.partitionBudget,
    recoveryMs,
    startupMs: Math.round(performance.now() - began),
  }, 'broker ready');
  return broker;
}

/**
 * Creates the bootstrap SCRAM users that do not have a credential for that mechanism yet (Kafka
 * writes them when the storage is formatted; here a fresh broker's first start does), so the first
 * admin can log in. An existing credential is never overwritten: the metadata log is the truth.
 */
async function bootstrapScramCredentials(config: BrokerConfig, store: MetadataStore, log: Logger): Promise<void> {
  const records: MetadataRecord[] = [];
  for (const c of parseBootstrapScram(config.scramBootstrapCredentials)) {
    if (store.scramCredentials(c.name)?.has(c.mechanism)) continue;
    const credential = await credentialFromPassword(c.mechanism, c.password, c.iterations);
    records.push({
      type: 'scram-credential', name: c.name, mechanism: c.mechanism, iterations: c.iterations,
      salt: credential.salt.toString('base64'), storedKey: credential.storedKey.toString('base64'), serverKey: credential.serverKey.toString('base64'),
    });
    log.info({ user: c.name, mechanism: c.mechanism, mechanismType: scramMechanismType(c.mechanism) }, 'bootstrap SCRAM credential created');
  }
  if (records.length > 0) await store.write(records);
}

async function listenerRuntimes(config: BrokerConfig, store: MetadataStore, metrics: BrokerMetrics, log: Logger): Promise<ListenerRuntime[]> {
  const failures = new AuthenticationFailureLog(log);
  const mechanisms = parseSaslMechanisms(config.saslEnabledMechanisms);
  const out: ListenerRuntime[] = [];
  for (const spec of resolveListeners(config)) {
    const sasl: SaslListenerSettings | null = isSaslProtocol(spec.securityProtocol) ? {
      listener: spec.name,
      mechanisms,
      lookup: (user, mechanism) => store.scramCredentials(user)?.get(mechanism),
      maxReauthMs: config.connectionsMaxReauthMs,
      failedAuthenticationDelayMs: config.connectionFailedAuthenticationDelayMs,
      outcome(result, details) {
        metrics.authentications.inc({ listener: details.listener, mechanism: details.mechanism, result });
        if (result === 'failure') failures.failed(details);
      },
    } : null;
    const tls = isTlsProtocol(spec.securityProtocol)
      ? { options: await loadTlsOptions(config), principalMapper: new SslPrincipalMapper(config.sslPrincipalMappingRules) }
      : null;
    out.push({ spec, sasl, tls });
  }
  return out;
}

/** Tiered storage's pieces on the main thread, when the broker has an object store. */
async function openTiering(config: BrokerConfig, options: StartOptions, brokerMetrics: BrokerMetrics, log: Logger) {
  if (!remoteStorageSystemEnabled(config)) {
    if (options.objectStore) throw new ConfigError('an object store was given but --remote-storage-bucket is empty: tiering is off');
    return undefined;
  }
  let store: ObjectStore;
  if (options.objectStore) {
    store = options.objectStore;
  } else if (config.remoteStorageEndpoint.startsWith('file:')) {
    // A directory as the bucket (src/object-store/fs-store.ts).
    store = new FsObjectStore(path.join(fileURLToPath(config.remoteStorageEndpoint), config.remoteStorageBucket, ...config.remoteStoragePrefix.split('/').filter((p) => p !== '')));
  } else {
    // S3 or an S3-compatible server; empty credentials: the SDK's chain (AWS_ACCESS_KEY_ID, ...).
    // Loaded only here, so a broker without tiering never loads the AWS SDK.
    const { S3ObjectStore } = await import('../object-store/s3-store.ts');
    store = new S3ObjectStore({
      bucket: config.remoteStorageBucket, endpoint: config.remoteStorageEndpoint, region: config.remoteStorageRegion,
      accessKeyId: config.remoteStorageAccessKeyId, secretAccessKey: config.remoteStorageSecretAccessKey, prefix: config.remoteStoragePrefix,
    });
  }
  const metrics = new TierMetrics(brokerMetrics.registry);
  const cache = new ChunkCache(config.remoteLogChunkCacheBytes, metrics);
  const deletions = await RemoteDeletions.open(config.dataDir, (topicId) => cache.forgetPrefix(`${topicId}/`));
  log.info({ bucket: config.remoteStorageBucket, prefix: config.remoteStoragePrefix, pendingTopicDeletions: deletions.pending.length }, 'tiered storage on');
  return {
    store, metrics, cache, deletions,
    directoryHooks: {
      reader: (partitionDir: string, topic: TopicInfo, partition: number) => new RemoteLogReader({ partitionDir, topicId: topic.topicId, partition, store, cache, metrics }),
      topicDeleted: async (topic: TopicInfo) => {
        if (effectiveConfig('remote.storage.enable', topic.configs, config.topicDefaults) === 'true') await deletions.add(topic.topicId);
      },
    },
  };
}

/** The partitions of topics with remote.storage.enable=true, as the tier manager walks them. */
function remoteEnabledPartitions(topics: Iterable<TopicInfo>, directory: PartitionDirectory, defaults: () => Record<string, string>): TieredPartition[] {
  const out: TieredPartition[] = [];
  const brokerDefaults = defaults();
  for (const topic of topics) {
    if (effectiveConfig('remote.storage.enable', topic.configs, brokerDefaults).trim().toLowerCase() !== 'true') continue;
    for (const h of directory.partitions(topic.name) ?? []) out.push({ topic: topic.name, topicId: topic.topicId, partition: h.partition, shard: h.shard, slot: h.slot });
  }
  return out;
}
