// The broker's settings: one schema, read from a JSON config file, then HIGHWATER_* environment
// variables, then command-line flags (later wins). `highwater start --help` prints this schema.
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';
import {
  SecurityConfigError, SslPrincipalMapper, parseBootstrapScram, parseClientAuth, parseConnectionOverrides, parseSaslMechanisms, parseTlsProtocols, resolveListeners,
} from './security-config.ts';
import { DEFAULT_MAX_RECORD_BYTES_BETWEEN_SNAPSHOTS } from './metadata/metadata-snapshot.ts';

/** --ring-bytes and --ring-initial-bytes: powers of two in this range (the ring's own bound is 64 B..1 GiB). */
const RING_SETTING_MIN_BYTES = 64 * 1024;
const RING_SETTING_MAX_BYTES = 2 ** 30;

/** Shards when none are asked for: one core is left to the acceptor thread. */
export function defaultShardCount(): number {
  return Math.max(1, availableParallelism() - 1);
}

export type FsyncPolicy = { kind: 'always' } | { kind: 'interval'; intervalMs: number } | { kind: 'never' };

/** The group coordinator's settings (src/coordinator/), each named after Kafka's broker setting. */
export interface GroupCoordinatorSettings {
  /** group.min.session.timeout.ms */
  groupMinSessionTimeoutMs: number;
  /** group.max.session.timeout.ms */
  groupMaxSessionTimeoutMs: number;
  /** group.initial.rebalance.delay.ms: how long the first rebalance of an empty group waits for more members. */
  groupInitialRebalanceDelayMs: number;
  /** offsets.retention.minutes, in ms: how long an empty group's offsets are kept. */
  offsetsRetentionMs: number;
  /** offsets.retention.check.interval.ms */
  offsetsRetentionCheckIntervalMs: number;
  /** offset.metadata.max.bytes */
  offsetMetadataMaxBytes: number;
  /** group.consumer.session.timeout.ms: a consumer-protocol member silent this long is fenced (KIP-848). */
  groupConsumerSessionTimeoutMs: number;
  /** group.consumer.min.session.timeout.ms / group.consumer.max.session.timeout.ms bound the setting above. */
  groupConsumerMinSessionTimeoutMs: number;
  groupConsumerMaxSessionTimeoutMs: number;
  /** group.consumer.heartbeat.interval.ms: what members are told to heartbeat at. */
  groupConsumerHeartbeatIntervalMs: number;
  groupConsumerMinHeartbeatIntervalMs: number;
  groupConsumerMaxHeartbeatIntervalMs: number;
  /** group.consumer.max.size */
  groupConsumerMaxSize: number;
  /** group.consumer.assignors: server-side assignors by name, the first is the default. */
  groupConsumerAssignors: string;
  /** group.consumer.assignment.interval.ms: a group's target assignment is recomputed at most this often. */
  groupConsumerAssignmentIntervalMs: number;
  /**
   * group.consumer.migration.policy: whether a non-empty classic group converts online into a
   * consumer group (upgrade) and back (downgrade): bidirectional, upgrade, downgrade, disabled.
   */
  groupConsumerMigrationPolicy: string;
}

export const DEFAULT_GROUP_COORDINATOR_SETTINGS: Readonly<GroupCoordinatorSettings> = Object.freeze({
  groupMinSessionTimeoutMs: 6_000,
  groupMaxSessionTimeoutMs: 1_800_000,
  // Kafka's default is 3 s; a short delay still folds consumers started together into one rebalance.
  groupInitialRebalanceDelayMs: 300,
  offsetsRetentionMs: 7 * 24 * 60 * 60 * 1000,
  offsetsRetentionCheckIntervalMs: 600_000,
  offsetMetadataMaxBytes: 4096,
  groupConsumerSessionTimeoutMs: 45_000,
  groupConsumerMinSessionTimeoutMs: 45_000,
  groupConsumerMaxSessionTimeoutMs: 60_000,
  groupConsumerHeartbeatIntervalMs: 5_000,
  groupConsumerMinHeartbeatIntervalMs: 5_000,
  groupConsumerMaxHeartbeatIntervalMs: 15_000,
  groupConsumerMaxSize: 2_147_483_647,
  groupConsumerAssignors: 'uniform,range',
  groupConsumerAssignmentIntervalMs: 1_000,
  groupConsumerMigrationPolicy: 'bidirectional',
});

export interface BrokerConfig extends GroupCoordinatorSettings {
  /** transaction.max.timeout.ms: the longest transaction timeout a producer may ask for. */
  transactionMaxTimeoutMs: number;
  /** transactional.id.expiration.ms: an idle transactional id is forgotten after this. */
  transactionalIdExpirationMs: number;
  /** transaction.partition.verification.enable: Produce checks a transactional batch's partition is in its transaction (KIP-890). */
  transactionPartitionVerificationEnable: boolean;
  host: string;
  port: number;
  advertisedHost: string;
  advertisedPort: number;
  httpPort: number;
  dataDir: string;
  shards: number;
  fsync: FsyncPolicy;
  logLevel: string;
  logPretty: boolean;
  autoCreateTopics: boolean;
  numPartitions: number;
  maxFrameBytes: number;
  /** max.incremental.fetch.session.cache.slots: the most KIP-227 fetch sessions kept (split over 8 cache shards, as Kafka). */
  maxIncrementalFetchSessionCacheSlots: number;
  /** queued.max.request.bytes: bytes of all partially received and queued requests together; <= 0: no bound. */
  queuedMaxRequestBytes: number;
  /** Most partitions the broker holds (CreateTopics/CreatePartitions beyond it get POLICY_VIOLATION); 0: derived from the open-file limit at start. */
  partitionBudget: number;
  /** Read rate of the background CRC scrubber of closed segments, bytes/s; 0: off. */
  scrubBytesPerSecond: number;
  /** Pause between two scrubber passes over every closed segment. */
  scrubIntervalMs: number;
  maxPartitions: number;
  /** Most bytes a shard request ring may grow to. */
  ringBytes: number;
  /** Bytes a shard request ring starts at (clamped to ringBytes); it doubles when a request larger than it finds it empty. */
  ringInitialBytes: number;
  /** MiB; 0: V8's own default. Applied by the CLI, which re-executes node with the flag. */
  v8MaxSemiSpaceSize: number;
  /** Percent; 0: V8's own (dynamic) old-generation growing factor. Applied by the CLI, like v8MaxSemiSpaceSize. */
  v8HeapGrowingPercent: number;
  nodeId: number;
  clusterId: string;
  retentionCheckMs: number;
  /** metadata.log.max.record.bytes.between.snapshots: metadata log bytes after which the metadata image is snapshotted and the log below it deleted. */
  metadataLogMaxRecordBytesBetweenSnapshots: number;
  /** Fetch responses from segment files with sendfile when the native addon was built (else Node writes them). */
  fetchSendfile: boolean;
  /** log.cleaner.enable: whether compacted topics are cleaned. */
  logCleanerEnable: boolean;
  /** log.cleaner.backoff.ms: how often each shard checks its compacted partitions. */
  logCleanerBackoffMs: number;
  /** log.cleaner.io.max.bytes.per.second, as Kafka's (a double; its default, Double.MAX_VALUE, is no limit). */
  logCleanerIoMaxBytesPerSecond: string;
  /** Topic config defaults (Kafka's names), applied to topics that do not override them. */
  topicDefaults: Record<string, string>;
  // ---- security and connections (docs/security.md); each named after Kafka's setting ----
  listeners: string;
  advertisedListeners: string;
  listenerSecurityProtocolMap: string;
  saslEnabledMechanisms: string;
  scramBootstrapCredentials: string;
  connectionsMaxReauthMs: number;
  connectionFailedAuthenticationDelayMs: number;
  sslKeystoreType: string;
  sslKeystoreLocation: string;
  sslKeystorePassword: string;
  sslKeyPassword: string;
  sslKeystoreCertificateChain: string;
  sslKeystoreKey: string;
  sslTruststoreType: string;
  sslTruststoreLocation: string;
  sslTruststoreCertificates: string;
  sslClientAuth: string;
  sslEnabledProtocols: string;
  sslCipherSuites: string;
  sslPrincipalMappingRules: string;
  maxConnections: number;
  maxConnectionsPerIp: number;
  maxConnectionsPerIpOverrides: string;
  connectionsMaxIdleMs: number;
  /** authorizer.class.name: '' (no authorizer) or STANDARD_AUTHORIZER_CLASS. */
  authorizerClassName: string;
  /** super.users, as Kafka writes it: principals separated by ';'. */
  superUsers: string;
  /** allow.everyone.if.no.acl.found */
  allowEveryoneIfNoAclFound: boolean;
  /** quota.window.num: samples a client quota's rate is measured over. */
  quotaWindowNum: number;
  /** quota.window.size.seconds: the length of one sample. */
  quotaWindowSizeSeconds: number;
  // ---- tiered storage (docs/notes/tiered-storage.md) ----
  /** The S3 bucket; empty: no object store (Kafka's remote.log.storage.system.enable=false). */
  remoteStorageBucket: string;
  remoteStorageEndpoint: string;
  remoteStorageRegion: string;
  /** Empty: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY from the environment. */
  remoteStorageAccessKeyId: string;
  remoteStorageSecretAccessKey: string;
  /** Key prefix inside the bucket. */
  remoteStoragePrefix: string;
  /** Segment uploads in flight, whole broker. */
  remoteLogUploadConcurrency: number;
  /** Upload byte rate, whole broker; 0: no limit. */
  remoteLogUploadMaxBytesPerSecond: number;
  /** Bytes of remote chunks the fetch path caches (LRU). */
  remoteLogChunkCacheBytes: number;
  /** remote.log.manager.task.interval.ms: how often partitions are checked for uploads and remote deletions. */
  remoteLogManagerTaskIntervalMs: number;
}

/** Whether the broker has an object store, so topics may set remote.storage.enable=true. */
export function remoteStorageSystemEnabled(config: Pick<BrokerConfig, 'remoteStorageBucket'>): boolean {
  return config.remoteStorageBucket !== '';
}

/** Kafka's ACL authorizer (KRaft), the one authorizer.class.name Highwater accepts. */
export const STANDARD_AUTHORIZER_CLASS = 'org.apache.kafka.metadata.authorizer.StandardAuthorizer';

/** super.users as a list. */
export function superUserList(config: Pick<BrokerConfig, 'superUsers'>): string[] {
  return config.superUsers.split(';').map((s) => s.trim()).filter((s) => s.length > 0);
}

type Kind = 'string' | 'int' | 'bool' | 'fsync' | 'json';

interface Setting {
  key: keyof BrokerConfig;
  flag: string;
  kind: Kind;
  description: string;
  defaultValue: () => unknown;
}

export const SETTINGS: readonly Setting[] = [
  { key: 'host', flag: 'host', kind: 'string', description: 'address the Kafka listener binds to', defaultValue: () => '127.0.0.1' },
  { key: 'port', flag: 'port', kind: 'int', description: 'Kafka listener port', defaultValue: () => 9092 },
  { key: 'advertisedHost', flag: 'advertised-host', kind: 'string', description: 'host name given to clients in Metadata (default: --host, or 127.0.0.1 when binding all interfaces)', defaultValue: () => '' },
  { key: 'advertisedPort', flag: 'advertised-port', kind: 'int', description: 'port given to clients in Metadata, when they reach the broker through a proxy or NAT (0: the listener port)', defaultValue: () => 0 },
  { key: 'httpPort', flag: 'http-port', kind: 'int', description: 'HTTP port for /metrics, /healthz, /readyz and the dashboard, up before log recovery (0 = any free port, -1 = off)', defaultValue: () => 7092 },
  { key: 'dataDir', flag: 'data-dir', kind: 'string', description: 'directory holding the logs and the metadata', defaultValue: () => './data' },
  { key: 'shards', flag: 'shards', kind: 'int', description: 'shard worker threads (each owns a fixed set of partitions)', defaultValue: defaultShardCount },
  { key: 'fsync', flag: 'fsync', kind: 'fsync', description: 'durability: always | interval:<ms> | never (see README)', defaultValue: () => ({ kind: 'always' }) },
  { key: 'logLevel', flag: 'log-level', kind: 'string', description: 'pino log level: trace, debug, info, warn, error, fatal, silent', defaultValue: () => 'info' },
  { key: 'logPretty', flag: 'log-pretty', kind: 'bool', description: 'human-readable logs instead of JSON (default: on when stdout is a terminal; coloured only then)', defaultValue: () => Boolean(process.stdout.isTTY) },
  { key: 'autoCreateTopics', flag: 'auto-create-topics', kind: 'bool', description: 'create unknown topics asked for by Metadata, in the background (auto.create.topics.enable); Produce never creates, as in Kafka', defaultValue: () => true },
  { key: 'numPartitions', flag: 'num-partitions', kind: 'int', description: 'partitions of an auto-created topic (num.partitions)', defaultValue: () => 1 },
  { key: 'maxFrameBytes', flag: 'max-frame-bytes', kind: 'int', description: 'largest request frame accepted; a larger one closes the connection', defaultValue: () => 100 * 1024 * 1024 },
  { key: 'maxIncrementalFetchSessionCacheSlots', flag: 'max-incremental-fetch-session-cache-slots', kind: 'int', description: 'most incremental fetch sessions kept, divided equally over 8 cache shards (max.incremental.fetch.session.cache.slots; 0: none)', defaultValue: () => 1000 },
  { key: 'queuedMaxRequestBytes', flag: 'queued-max-request-bytes', kind: 'int', description: 'bytes of requests being received or waiting, all connections together, before sockets stop being read (queued.max.request.bytes; -1 = no bound, Kafka\'s default); at least --max-frame-bytes', defaultValue: () => 256 * 1024 * 1024 },
  { key: 'partitionBudget', flag: 'partition-budget', kind: 'int', description: 'most partitions the broker holds, internal ones included; creations beyond it are refused with POLICY_VIOLATION (0 = from the open-file limit: (limit - reserve) / 4 files per partition)', defaultValue: () => 0 },
  { key: 'scrubBytesPerSecond', flag: 'scrub-bytes-per-second', kind: 'int', description: 'read rate of the background scrubber that verifies the CRC of every batch in closed segments (0 = off)', defaultValue: () => 4 * 1024 * 1024 },
  { key: 'scrubIntervalMs', flag: 'scrub-interval-ms', kind: 'int', description: 'pause between two scrubber passes over all closed segments', defaultValue: () => 3_600_000 },
  { key: 'maxPartitions', flag: 'max-partitions', kind: 'int', description: 'capacity of the shared watermark table (partitions in all)', defaultValue: () => 65_536 },
  { key: 'v8MaxSemiSpaceSize', flag: 'v8-max-semi-space-size', kind: 'int', description: 'MiB: bound on V8\'s young-generation semi-spaces in every broker thread (node --max-semi-space-size; the CLI restarts node with it unless node was given its own); 0 = V8\'s default (on a 24 GiB machine the main thread\'s grew to 64 MiB: 128 MiB of young generation; docs/notes/memory.md)', defaultValue: () => 8 },
  { key: 'v8HeapGrowingPercent', flag: 'v8-heap-growing-percent', kind: 'int', description: 'percent: how far V8 lets each broker thread\'s old generation grow past what survived its last full GC before the next one (node --heap-growing-percent; the CLI restarts node with it unless node was given its own); 0 (default) = V8\'s own factor, which let the main thread\'s old space hold ~40 MiB of garbage over ~20 MiB live; 50 lowered the peak RSS by ~70 MiB but cost 1,000-partition produce 12% of its throughput (docs/notes/memory.md)', defaultValue: () => 0 },
  { key: 'ringBytes', flag: 'ring-bytes', kind: 'int', description: 'most bytes each shard request ring may grow to (a power of two, 64 KiB..1 GiB); a full ring pauses the sockets feeding it; half of it is the most record bytes one partition may get in one produce request (16 MiB at the default; docs/notes/memory.md)', defaultValue: () => 32 * 1024 * 1024 },
  { key: 'ringInitialBytes', flag: 'ring-initial-bytes', kind: 'int', description: 'size each shard request ring starts at (a power of two, 64 KiB..1 GiB; above --ring-bytes: --ring-bytes); it doubles, up to --ring-bytes, when a request larger than it finds it empty: every byte of a ring becomes resident once it has wrapped, so it stays only as big as the largest request (docs/notes/memory.md)', defaultValue: () => 4 * 1024 * 1024 },
  { key: 'nodeId', flag: 'node-id', kind: 'int', description: 'this broker\'s node id', defaultValue: () => 1 },
  { key: 'clusterId', flag: 'cluster-id', kind: 'string', description: 'cluster id reported in Metadata (default: generated once and kept in the data dir)', defaultValue: () => '' },
  { key: 'retentionCheckMs', flag: 'retention-check-ms', kind: 'int', description: 'how often each shard applies retention.ms/retention.bytes (log.retention.check.interval.ms)', defaultValue: () => 300_000 },
  { key: 'metadataLogMaxRecordBytesBetweenSnapshots', flag: 'metadata-log-max-record-bytes-between-snapshots', kind: 'int', description: 'metadata log bytes appended after which the whole metadata image is snapshotted and the log below it deleted (metadata.log.max.record.bytes.between.snapshots)', defaultValue: () => DEFAULT_MAX_RECORD_BYTES_BETWEEN_SNAPSHOTS },
  { key: 'fetchSendfile', flag: 'fetch-sendfile', kind: 'bool', description: 'write Fetch responses\' record sets from the segment files with sendfile (the native addon built at install, native/sendfile); false, or no addon: read into memory and written by Node', defaultValue: () => true },
  { key: 'logCleanerEnable', flag: 'log-cleaner-enable', kind: 'bool', description: 'clean compacted topics (log.cleaner.enable)', defaultValue: () => true },
  { key: 'logCleanerBackoffMs', flag: 'log-cleaner-backoff-ms', kind: 'int', description: 'how often each shard looks for compacted partitions to clean (log.cleaner.backoff.ms)', defaultValue: () => 15_000 },
  { key: 'logCleanerIoMaxBytesPerSecond', flag: 'log-cleaner-io-max-bytes-per-second', kind: 'string', description: 'the cleaner\'s read plus write byte rate per shard (log.cleaner.io.max.bytes.per.second; default no limit)', defaultValue: () => '1.7976931348623157E308' },
  { key: 'groupMinSessionTimeoutMs', flag: 'group-min-session-timeout-ms', kind: 'int', description: 'shortest session timeout a member may ask for (group.min.session.timeout.ms)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.groupMinSessionTimeoutMs },
  { key: 'groupMaxSessionTimeoutMs', flag: 'group-max-session-timeout-ms', kind: 'int', description: 'longest session timeout a member may ask for (group.max.session.timeout.ms)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.groupMaxSessionTimeoutMs },
  { key: 'groupInitialRebalanceDelayMs', flag: 'group-initial-rebalance-delay-ms', kind: 'int', description: 'wait for more members before the first rebalance of an empty group (group.initial.rebalance.delay.ms)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.groupInitialRebalanceDelayMs },
  { key: 'offsetsRetentionMs', flag: 'offsets-retention-ms', kind: 'int', description: 'committed offsets of an empty group expire after this (offsets.retention.minutes)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.offsetsRetentionMs },
  { key: 'offsetsRetentionCheckIntervalMs', flag: 'offsets-retention-check-interval-ms', kind: 'int', description: 'how often expired offsets are removed (offsets.retention.check.interval.ms)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.offsetsRetentionCheckIntervalMs },
  { key: 'offsetMetadataMaxBytes', flag: 'offset-metadata-max-bytes', kind: 'int', description: 'largest metadata string accepted with a commit (offset.metadata.max.bytes)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.offsetMetadataMaxBytes },
  { key: 'transactionMaxTimeoutMs', flag: 'transaction-max-timeout-ms', kind: 'int', description: 'longest transaction.timeout.ms a producer may ask for (transaction.max.timeout.ms)', defaultValue: () => 900_000 },
  { key: 'transactionalIdExpirationMs', flag: 'transactional-id-expiration-ms', kind: 'int', description: 'a transactional id idle this long is forgotten (transactional.id.expiration.ms)', defaultValue: () => 604_800_000 },
  { key: 'transactionPartitionVerificationEnable', flag: 'transaction-partition-verification-enable', kind: 'bool', description: 'refuse a transactional batch for a partition not in its producer\'s transaction (transaction.partition.verification.enable, KIP-890)', defaultValue: () => true },
  { key: 'authorizerClassName', flag: 'authorizer-class-name', kind: 'string', description: `authorizer.class.name: empty (no authorizer: everything allowed) or ${STANDARD_AUTHORIZER_CLASS} (ACLs, see docs/security.md)`, defaultValue: () => '' },
  { key: 'superUsers', flag: 'super-users', kind: 'string', description: 'super.users: principals the authorizer allows everything, separated by ";" (e.g. User:admin;User:ops)', defaultValue: () => '' },
  { key: 'allowEveryoneIfNoAclFound', flag: 'allow-everyone-if-no-acl-found', kind: 'bool', description: 'allow.everyone.if.no.acl.found: with the authorizer on, allow a resource no ACL covers', defaultValue: () => false },
  { key: 'quotaWindowNum', flag: 'quota-window-num', kind: 'int', description: 'quota.window.num: samples a client quota rate is measured over', defaultValue: () => 11 },
  { key: 'quotaWindowSizeSeconds', flag: 'quota-window-size-seconds', kind: 'int', description: 'quota.window.size.seconds: length of one client quota sample', defaultValue: () => 1 },
  { key: 'groupConsumerSessionTimeoutMs', flag: 'group-consumer-session-timeout-ms', kind: 'int', description: 'a consumer-protocol member that stops heartbeating is fenced after this (group.consumer.session.timeout.ms)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.groupConsumerSessionTimeoutMs },
  { key: 'groupConsumerMinSessionTimeoutMs', flag: 'group-consumer-min-session-timeout-ms', kind: 'int', description: 'lower bound of group.consumer.session.timeout.ms (group.consumer.min.session.timeout.ms)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.groupConsumerMinSessionTimeoutMs },
  { key: 'groupConsumerMaxSessionTimeoutMs', flag: 'group-consumer-max-session-timeout-ms', kind: 'int', description: 'upper bound of group.consumer.session.timeout.ms (group.consumer.max.session.timeout.ms)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.groupConsumerMaxSessionTimeoutMs },
  { key: 'groupConsumerHeartbeatIntervalMs', flag: 'group-consumer-heartbeat-interval-ms', kind: 'int', description: 'heartbeat interval given to consumer-protocol members (group.consumer.heartbeat.interval.ms)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.groupConsumerHeartbeatIntervalMs },
  { key: 'groupConsumerMinHeartbeatIntervalMs', flag: 'group-consumer-min-heartbeat-interval-ms', kind: 'int', description: 'lower bound of group.consumer.heartbeat.interval.ms (group.consumer.min.heartbeat.interval.ms)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.groupConsumerMinHeartbeatIntervalMs },
  { key: 'groupConsumerMaxHeartbeatIntervalMs', flag: 'group-consumer-max-heartbeat-interval-ms', kind: 'int', description: 'upper bound of group.consumer.heartbeat.interval.ms (group.consumer.max.heartbeat.interval.ms)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.groupConsumerMaxHeartbeatIntervalMs },
  { key: 'groupConsumerMaxSize', flag: 'group-consumer-max-size', kind: 'int', description: 'most members of one consumer-protocol group (group.consumer.max.size)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.groupConsumerMaxSize },
  { key: 'groupConsumerAssignors', flag: 'group-consumer-assignors', kind: 'string', description: 'server-side assignors, comma-separated, the first is the default: uniform, range (group.consumer.assignors)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.groupConsumerAssignors },
  { key: 'groupConsumerAssignmentIntervalMs', flag: 'group-consumer-assignment-interval-ms', kind: 'int', description: 'a consumer-protocol group\'s target assignment is recomputed at most this often, 0-15000 (group.consumer.assignment.interval.ms)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.groupConsumerAssignmentIntervalMs },
  { key: 'groupConsumerMigrationPolicy', flag: 'group-consumer-migration-policy', kind: 'string', description: 'online conversion of a non-empty group between the classic and the consumer protocol during a rolling upgrade: bidirectional, upgrade, downgrade, disabled (group.consumer.migration.policy)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.groupConsumerMigrationPolicy },
  { key: 'topicDefaults', flag: 'topic-defaults', kind: 'json', description: 'JSON object of default topic configs, e.g. {"segment.bytes":"1073741824"}', defaultValue: () => ({}) },
  { key: 'listeners', flag: 'listeners', kind: 'string', description: 'Kafka listeners NAME://host:port,... (listeners); empty: one PLAINTEXT listener on --host/--port', defaultValue: () => '' },
  { key: 'advertisedListeners', flag: 'advertised-listeners', kind: 'string', description: 'NAME://host:port,... told to clients in Metadata (advertised.listeners); a listener not named advertises its own address', defaultValue: () => '' },
  { key: 'listenerSecurityProtocolMap', flag: 'listener-security-protocol-map', kind: 'string', description: 'NAME:PROTOCOL,... with PLAINTEXT, SSL, SASL_PLAINTEXT, SASL_SSL (listener.security.protocol.map)', defaultValue: () => 'PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_PLAINTEXT:SASL_PLAINTEXT,SASL_SSL:SASL_SSL' },
  { key: 'saslEnabledMechanisms', flag: 'sasl-enabled-mechanisms', kind: 'string', description: 'SASL mechanisms offered on SASL listeners: PLAIN, SCRAM-SHA-256, SCRAM-SHA-512 (sasl.enabled.mechanisms)', defaultValue: () => 'SCRAM-SHA-256,SCRAM-SHA-512' },
  { key: 'scramBootstrapCredentials', flag: 'scram-bootstrap-credentials', kind: 'string', description: 'SCRAM users created at start when missing, as kafka-storage format --add-scram: \'SCRAM-SHA-512=[name=admin,password=secret]\', several separated by ;', defaultValue: () => '' },
  { key: 'connectionsMaxReauthMs', flag: 'connections-max-reauth-ms', kind: 'int', description: 'SASL session lifetime; a client must re-authenticate within it or is disconnected (connections.max.reauth.ms, 0: no limit)', defaultValue: () => 0 },
  { key: 'connectionFailedAuthenticationDelayMs', flag: 'connection-failed-authentication-delay-ms', kind: 'int', description: 'delay before a failed authentication is answered and the connection closed (connection.failed.authentication.delay.ms)', defaultValue: () => 100 },
  { key: 'sslKeystoreType', flag: 'ssl-keystore-type', kind: 'string', description: 'PEM or PKCS12 (ssl.keystore.type; JKS is not read)', defaultValue: () => 'PEM' },
  { key: 'sslKeystoreLocation', flag: 'ssl-keystore-location', kind: 'string', description: 'file with the private key and certificate chain: PEM, or PKCS12 (ssl.keystore.location)', defaultValue: () => '' },
  { key: 'sslKeystorePassword', flag: 'ssl-keystore-password', kind: 'string', description: 'password of a PKCS12 keystore (ssl.keystore.password)', defaultValue: () => '' },
  { key: 'sslKeyPassword', flag: 'ssl-key-password', kind: 'string', description: 'password of an encrypted PEM private key (ssl.key.password)', defaultValue: () => '' },
  { key: 'sslKeystoreCertificateChain', flag: 'ssl-keystore-certificate-chain', kind: 'string', description: 'the certificate chain as PEM text, instead of a keystore file (ssl.keystore.certificate.chain)', defaultValue: () => '' },
  { key: 'sslKeystoreKey', flag: 'ssl-keystore-key', kind: 'string', description: 'the private key as PEM text, with --ssl-keystore-certificate-chain (ssl.keystore.key)', defaultValue: () => '' },
  { key: 'sslTruststoreType', flag: 'ssl-truststore-type', kind: 'string', description: 'PEM (ssl.truststore.type)', defaultValue: () => 'PEM' },
  { key: 'sslTruststoreLocation', flag: 'ssl-truststore-location', kind: 'string', description: 'PEM file of the CA certificates client certificates are checked against (ssl.truststore.location)', defaultValue: () => '' },
  { key: 'sslTruststoreCertificates', flag: 'ssl-truststore-certificates', kind: 'string', description: 'the CA certificates as PEM text (ssl.truststore.certificates)', defaultValue: () => '' },
  { key: 'sslClientAuth', flag: 'ssl-client-auth', kind: 'string', description: 'client certificates on TLS listeners: none, requested or required (ssl.client.auth)', defaultValue: () => 'none' },
  { key: 'sslEnabledProtocols', flag: 'ssl-enabled-protocols', kind: 'string', description: 'TLS versions accepted: TLSv1.2, TLSv1.3 (ssl.enabled.protocols)', defaultValue: () => 'TLSv1.2,TLSv1.3' },
  { key: 'sslCipherSuites', flag: 'ssl-cipher-suites', kind: 'string', description: 'TLS 1.2 cipher suites (OpenSSL names) and TLS 1.3 suites, comma-separated; empty: Node\'s defaults (ssl.cipher.suites)', defaultValue: () => '' },
  { key: 'sslPrincipalMappingRules', flag: 'ssl-principal-mapping-rules', kind: 'string', description: 'client certificate subject to principal name: RULE:pattern/replacement/[LU],...,DEFAULT (ssl.principal.mapping.rules)', defaultValue: () => 'DEFAULT' },
  { key: 'maxConnections', flag: 'max-connections', kind: 'int', description: 'open connections over all listeners; beyond it new connections wait to be accepted (max.connections)', defaultValue: () => 2_147_483_647 },
  { key: 'maxConnectionsPerIp', flag: 'max-connections-per-ip', kind: 'int', description: 'open connections from one address; beyond it new ones are closed at once (max.connections.per.ip)', defaultValue: () => 2_147_483_647 },
  { key: 'maxConnectionsPerIpOverrides', flag: 'max-connections-per-ip-overrides', kind: 'string', description: 'per-address limits, host:count,... (max.connections.per.ip.overrides)', defaultValue: () => '' },
  { key: 'remoteStorageBucket', flag: 'remote-storage-bucket', kind: 'string', description: 'tiered storage: the S3 bucket rolled segments of remote.storage.enable topics go to (empty: no object store, as remote.log.storage.system.enable=false)', defaultValue: () => '' },
  { key: 'remoteStorageEndpoint', flag: 'remote-storage-endpoint', kind: 'string', description: 'tiered storage: the S3 endpoint URL, e.g. http://127.0.0.1:8333 (empty: AWS\'s for the region); file:///dir keeps the bucket as a directory (src/object-store/fs-store.ts)', defaultValue: () => '' },
  { key: 'remoteStorageRegion', flag: 'remote-storage-region', kind: 'string', description: 'tiered storage: S3 region', defaultValue: () => 'us-east-1' },
  { key: 'remoteStorageAccessKeyId', flag: 'remote-storage-access-key-id', kind: 'string', description: 'tiered storage: access key id (empty: AWS_ACCESS_KEY_ID)', defaultValue: () => '' },
  { key: 'remoteStorageSecretAccessKey', flag: 'remote-storage-secret-access-key', kind: 'string', description: 'tiered storage: secret access key (empty: AWS_SECRET_ACCESS_KEY)', defaultValue: () => '' },
  { key: 'remoteStoragePrefix', flag: 'remote-storage-prefix', kind: 'string', description: 'tiered storage: key prefix inside the bucket', defaultValue: () => '' },
  { key: 'remoteLogUploadConcurrency', flag: 'remote-log-upload-concurrency', kind: 'int', description: 'tiered storage: segment uploads in flight, whole broker', defaultValue: () => 2 },
  { key: 'remoteLogUploadMaxBytesPerSecond', flag: 'remote-log-upload-max-bytes-per-second', kind: 'int', description: 'tiered storage: upload byte rate, whole broker (0 = no limit)', defaultValue: () => 0 },
  { key: 'remoteLogChunkCacheBytes', flag: 'remote-log-chunk-cache-bytes', kind: 'int', description: 'tiered storage: bytes of remote log chunks the fetch path keeps (LRU)', defaultValue: () => 64 * 1024 * 1024 },
  { key: 'remoteLogManagerTaskIntervalMs', flag: 'remote-log-manager-task-interval-ms', kind: 'int', description: 'tiered storage: how often each remote-enabled partition is checked for segments to upload and objects to delete (remote.log.manager.task.interval.ms)', defaultValue: () => 30_000 },
  { key: 'connectionsMaxIdleMs', flag: 'connections-max-idle-ms', kind: 'int', description: 'a connection with no request for this long is closed (connections.max.idle.ms)', defaultValue: () => 600_000 },
];

/** Settings whose values are secrets: never logged. */
export const SECRET_SETTINGS: ReadonlySet<keyof BrokerConfig> = new Set<keyof BrokerConfig>([
  'scramBootstrapCredentials', 'sslKeystorePassword', 'sslKeyPassword', 'sslKeystoreKey', 'remoteStorageSecretAccessKey',
]);

/** The config with every secret replaced, for logging. */
export function redactSecrets(config: BrokerConfig): Record<string, unknown> {
  const out: Record<string, unknown> = { ...config };
  for (const key of SECRET_SETTINGS) if (out[key]) out[key] = '[redacted]';
  return out;
}

/** Parses every security setting once, so a mistake is one line at load time. */
function validateSecuritySettings(config: BrokerConfig): void {
  try {
    const listeners = resolveListeners(config);
    if (listeners.some((l) => l.securityProtocol === 'SSL' || l.securityProtocol === 'SASL_SSL')
      && !config.sslKeystoreLocation && !config.sslKeystoreCertificateChain) {
      throw new ConfigError('an SSL or SASL_SSL listener needs --ssl-keystore-location, or --ssl-keystore-certificate-chain with --ssl-keystore-key');
    }
    if (listeners.some((l) => l.securityProtocol === 'SASL_PLAINTEXT' || l.securityProtocol === 'SASL_SSL')
      && parseSaslMechanisms(config.saslEnabledMechanisms).length === 0) {
      throw new ConfigError('a SASL listener needs at least one mechanism in --sasl-enabled-mechanisms');
    }
    if (parseClientAuth(config.sslClientAuth) !== 'none' && !config.sslTruststoreLocation && !config.sslTruststoreCertificates) {
      throw new ConfigError('--ssl-client-auth requested or required needs --ssl-truststore-location or --ssl-truststore-certificates');
    }
    parseSaslMechanisms(config.saslEnabledMechanisms);
    parseBootstrapScram(config.scramBootstrapCredentials);
    parseClientAuth(config.sslClientAuth);
    parseTlsProtocols(config.sslEnabledProtocols);
    parseConnectionOverrides(config.maxConnectionsPerIpOverrides);
    new SslPrincipalMapper(config.sslPrincipalMappingRules);
  } catch (err) {
    if (err instanceof SecurityConfigError) throw new ConfigError(err.message);
    throw err;
  }
  if (config.connectionsMaxReauthMs < 0) throw new ConfigError('--connections-max-reauth-ms must be 0 or more');
  if (config.connectionFailedAuthenticationDelayMs < 0) throw new ConfigError('--connection-failed-authentication-delay-ms must be 0 or more');
  if (config.maxConnections < 0 || config.maxConnectionsPerIp < 0) throw new ConfigError('--max-connections and --max-connections-per-ip must be 0 or more');
  if (config.connectionsMaxIdleMs === 0 || config.connectionsMaxIdleMs < -1) throw new ConfigError('--connections-max-idle-ms must be positive, or -1 for no limit');
  const keystore = config.sslKeystoreType.toUpperCase();
  if (keystore !== 'PEM' && keystore !== 'PKCS12') throw new ConfigError(`--ssl-keystore-type must be PEM or PKCS12, not '${config.sslKeystoreType}'`);
  if (config.sslTruststoreType.toUpperCase() !== 'PEM') throw new ConfigError(`--ssl-truststore-type must be PEM, not '${config.sslTruststoreType}'`);
  if (config.sslKeystoreLocation && (config.sslKeystoreCertificateChain || config.sslKeystoreKey)) {
    throw new ConfigError('--ssl-keystore-location and --ssl-keystore-certificate-chain/--ssl-keystore-key are alternatives; give one');
  }
  if (Boolean(config.sslKeystoreCertificateChain) !== Boolean(config.sslKeystoreKey)) {
    throw new ConfigError('--ssl-keystore-certificate-chain and --ssl-keystore-key go together');
  }
  if (config.sslTruststoreLocation && config.sslTruststoreCertificates) {
    throw new ConfigError('--ssl-truststore-location and --ssl-truststore-certificates are alternatives; give one');
  }
}

export class ConfigError extends Error {}

export function parseFsyncPolicy(text: string): FsyncPolicy {
  if (text === 'always' || text === 'never') return { kind: text };
  const match = /^interval:(\d+)$/.exec(text);
  if (match) {
    const intervalMs = Number(match[1]);
    if (intervalMs >= 1) return { kind: 'interval', intervalMs };
  }
  throw new ConfigError(`--fsync must be always, never or interval:<ms>, not '${text}'`);
}

export function formatFsyncPolicy(policy: FsyncPolicy): string {
  return policy.kind === 'interval' ? `interval:${policy.intervalMs}` : policy.kind;
}

function convert(setting: Setting, raw: unknown, source: string): unknown {
  const where = `${setting.flag} (from ${source})`;
  switch (setting.kind) {
    case 'string':
      if (typeof raw !== 'string') throw new ConfigError(`${where} must be a string`);
      return raw;
    case 'int': {
      const n = typeof raw === 'number' ? raw : Number(raw);
      if (!Number.isInteger(n)) throw new ConfigError(`${where} must be an integer, not '${String(raw)}'`);
      return n;
    }
    case 'bool':
      if (typeof raw === 'boolean') return raw;
      if (raw === 'true' || raw === '1') return true;
      if (raw === 'false' || raw === '0') return false;
      throw new ConfigError(`${where} must be true or false, not '${String(raw)}'`);
    case 'fsync':
      return parseFsyncPolicy(String(raw));
    case 'json': {
      const value = typeof raw === 'string' ? JSON.parse(raw) : raw;
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ConfigError(`${where} must be a JSON object`);
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, String(v)]));
    }
  }
}

/** Edit distance (insertions, deletions, substitutions), for "did you mean" hints. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The valid config-file key nearest to `key` (camelCase keys and flag names both count). */
export function nearestSettingName(key: string): string {
  let best = SETTINGS[0]!.key as string;
  let bestDistance = Infinity;
  const wanted = key.toLowerCase();
  for (const s of SETTINGS) {
    for (const name of [s.key as string, s.flag]) {
      const d = editDistance(wanted, name.toLowerCase());
      if (d < bestDistance) {
        best = name;
        bestDistance = d;
      }
    }
  }
  return best;
}

/** A key the schema does not know is a mistake (a typo would otherwise be a silently ignored setting). */
function checkConfigFileKeys(values: unknown, configFile: string): void {
  if (typeof values !== 'object' || values === null || Array.isArray(values)) throw new ConfigError(`${configFile}: the config file must hold a JSON object`);
  const known = new Set(SETTINGS.flatMap((s) => [s.key as string, s.flag]));
  for (const key of Object.keys(values)) {
    if (!known.has(key)) throw new ConfigError(`${configFile}: unknown setting '${key}'; did you mean '${nearestSettingName(key)}'? (highwater start --help lists them)`);
  }
}

export function envName(setting: Setting): string {
  return 'HIGHWATER_' + setting.flag.toUpperCase().replaceAll('-', '_');
}

/**
 * Builds the config from (lowest to highest precedence) defaults, the JSON file named by
 * `configFile`, the environment and the flags already parsed (keyed by camelCase setting key).
 */
export function loadConfig(flags: Partial<Record<keyof BrokerConfig, unknown>>, env: NodeJS.ProcessEnv = process.env, configFile?: string): BrokerConfig {
  const fileValues: Record<string, unknown> = configFile ? JSON.parse(readFileSync(configFile, 'utf8')) : {};
  if (configFile) checkConfigFileKeys(fileValues, configFile);
  const out: Record<string, unknown> = {};
  for (const setting of SETTINGS) {
    let value = setting.defaultValue();
    const fromFile = fileValues[setting.key] ?? fileValues[setting.flag];
    if (fromFile !== undefined) value = convert(setting, fromFile, configFile ?? 'config file');
    const fromEnv = env[envName(setting)];
    if (fromEnv !== undefined && fromEnv !== '') value = convert(setting, fromEnv, envName(setting));
    const fromFlag = flags[setting.key];
    if (fromFlag !== undefined) value = convert(setting, fromFlag, `--${setting.flag}`);
    out[setting.key] = value;
  }
  const config = out as unknown as BrokerConfig;
  if (config.shards < 1 || config.shards > 256) throw new ConfigError('--shards must be between 1 and 256');
  if (config.port < 0 || config.port > 65535) throw new ConfigError('--port must be between 0 and 65535');
  if (config.numPartitions < 1) throw new ConfigError('--num-partitions must be at least 1');
  if (config.maxIncrementalFetchSessionCacheSlots < 0) throw new ConfigError('--max-incremental-fetch-session-cache-slots must be at least 0');
  if (config.v8MaxSemiSpaceSize < 0 || config.v8MaxSemiSpaceSize > 1024) throw new ConfigError('--v8-max-semi-space-size must be between 0 (V8\'s default) and 1024 MiB');
  if (config.v8HeapGrowingPercent < 0 || config.v8HeapGrowingPercent > 1000) throw new ConfigError('--v8-heap-growing-percent must be between 0 (V8\'s own) and 1000');
  if (config.scrubBytesPerSecond < 0) throw new ConfigError('--scrub-bytes-per-second must be 0 (off) or more');
  for (const [flag, bytes] of [['ring-bytes', config.ringBytes], ['ring-initial-bytes', config.ringInitialBytes]] as const) {
    if (bytes < RING_SETTING_MIN_BYTES || bytes > RING_SETTING_MAX_BYTES || (bytes & (bytes - 1)) !== 0) {
      throw new ConfigError(`--${flag} must be a power of two from 65536 (64 KiB) to 1073741824 (1 GiB), not ${bytes}`);
    }
  }
  // Kafka's rule (KafkaConfig): a bound below the largest request would stall that request forever.
  if (config.queuedMaxRequestBytes > 0 && config.queuedMaxRequestBytes < config.maxFrameBytes) {
    throw new ConfigError(`--queued-max-request-bytes (${config.queuedMaxRequestBytes}) must be -1 or at least --max-frame-bytes (${config.maxFrameBytes})`);
  }
  // Kafka's type is a double: its default, Double.MAX_VALUE, means no limit.
  if (!(Number(config.logCleanerIoMaxBytesPerSecond) > 0)) throw new ConfigError(`--log-cleaner-io-max-bytes-per-second must be a positive number, not '${config.logCleanerIoMaxBytesPerSecond}'`);
  if (config.metadataLogMaxRecordBytesBetweenSnapshots < 1) throw new ConfigError('--metadata-log-max-record-bytes-between-snapshots must be at least 1');
  if (config.logCleanerBackoffMs < 1) throw new ConfigError('--log-cleaner-backoff-ms must be at least 1');
  if (config.authorizerClassName !== '' && config.authorizerClassName !== STANDARD_AUTHORIZER_CLASS) {
    throw new ConfigError(`--authorizer-class-name must be empty or ${STANDARD_AUTHORIZER_CLASS}, not '${config.authorizerClassName}'`);
  }
  if (config.quotaWindowNum < 2) throw new ConfigError('--quota-window-num must be at least 2');
  if (config.quotaWindowSizeSeconds < 1) throw new ConfigError('--quota-window-size-seconds must be at least 1');
  checkConsumerGroupSettings(config);
  if (config.remoteLogUploadConcurrency < 1) throw new ConfigError('--remote-log-upload-concurrency must be at least 1');
  if (config.remoteLogUploadMaxBytesPerSecond < 0) throw new ConfigError('--remote-log-upload-max-bytes-per-second must be 0 (no limit) or more');
  if (config.remoteLogChunkCacheBytes < 0) throw new ConfigError('--remote-log-chunk-cache-bytes must be 0 or more');
  if (config.remoteLogManagerTaskIntervalMs < 1) throw new ConfigError('--remote-log-manager-task-interval-ms must be at least 1');
  if (!config.advertisedHost) config.advertisedHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  validateSecuritySettings(config);
  return config;
}

export const MIGRATION_POLICIES = ['bidirectional', 'upgrade', 'downgrade', 'disabled'] as const;
export type MigrationPolicy = typeof MIGRATION_POLICIES[number];

/** group.consumer.migration.policy as Kafka's ConsumerGroupMigrationPolicy reads it (case-insensitive). */
export function migrationPolicy(value: string): { upgrade: boolean; downgrade: boolean } {
  const v = value.toLowerCase();
  return { upgrade: v === 'bidirectional' || v === 'upgrade', downgrade: v === 'bidirectional' || v === 'downgrade' };
}

/** Kafka's start-up checks of the consumer group protocol's settings (GroupCoordinatorConfig). */
function checkConsumerGroupSettings(c: BrokerConfig): void {
  const within = (name: string, v: number, min: number, max: number) => {
    if (min < 1 || max < min) throw new ConfigError(`--${name}: its min and max settings must be at least 1 and min <= max`);
    if (v < min || v > max) throw new ConfigError(`--${name} must be between ${min} and ${max}, not ${v}`);
  };
  within('group-consumer-session-timeout-ms', c.groupConsumerSessionTimeoutMs, c.groupConsumerMinSessionTimeoutMs, c.groupConsumerMaxSessionTimeoutMs);
  within('group-consumer-heartbeat-interval-ms', c.groupConsumerHeartbeatIntervalMs, c.groupConsumerMinHeartbeatIntervalMs, c.groupConsumerMaxHeartbeatIntervalMs);
  if (c.groupConsumerHeartbeatIntervalMs >= c.groupConsumerSessionTimeoutMs) {
    throw new ConfigError('--group-consumer-heartbeat-interval-ms must be less than --group-consumer-session-timeout-ms');
  }
  // Kafka's group.consumer.min/max.assignment.interval.ms defaults bound it.
  if (c.groupConsumerAssignmentIntervalMs < 0 || c.groupConsumerAssignmentIntervalMs > 15_000) {
    throw new ConfigError('--group-consumer-assignment-interval-ms must be between 0 and 15000');
  }
  if (c.groupConsumerMaxSize < 1) throw new ConfigError('--group-consumer-max-size must be at least 1');
  // Kafka's CaseInsensitiveValidString: any case of the four names.
  if (!MIGRATION_POLICIES.includes(c.groupConsumerMigrationPolicy.toLowerCase() as MigrationPolicy)) {
    throw new ConfigError(`--group-consumer-migration-policy must be one of ${MIGRATION_POLICIES.join(', ')}, not '${c.groupConsumerMigrationPolicy}'`);
  }
  const assignors = c.groupConsumerAssignors.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const known = ['uniform', 'range'];
  if (assignors.length === 0 || assignors.some((a) => !known.includes(a))) {
    throw new ConfigError(`--group-consumer-assignors must list assignors among ${known.join(', ')}, not '${c.groupConsumerAssignors}'`);
  }
}

export function describeSettings(): string {
  return SETTINGS.map((s) => {
    const def = s.defaultValue();
    const shown = s.kind === 'fsync' ? formatFsyncPolicy(def as FsyncPolicy) : JSON.stringify(def);
    return `  --${s.flag.padEnd(20)} ${s.description}\n  ${''.padEnd(22)} env ${envName(s)}, default ${shown}`;
  }).join('\n');
}
