// The broker's settings: one schema, read from a JSON config file, then HIGHWATER_* environment
// variables, then command-line flags (later wins). `highwater start --help` prints this schema.
import { availableParallelism } from 'node:os';
import { readFileSync } from 'node:fs';

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
});

export interface BrokerConfig extends GroupCoordinatorSettings {
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
  maxPartitions: number;
  ringBytes: number;
  nodeId: number;
  clusterId: string;
  retentionCheckMs: number;
  /** Topic config defaults (Kafka's names), applied to topics that do not override them. */
  topicDefaults: Record<string, string>;
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
  { key: 'httpPort', flag: 'http-port', kind: 'int', description: 'HTTP port for /metrics, /healthz, /readyz and the dashboard (0 = any free port, -1 = off)', defaultValue: () => 9644 },
  { key: 'dataDir', flag: 'data-dir', kind: 'string', description: 'directory holding the logs and the metadata', defaultValue: () => './data' },
  { key: 'shards', flag: 'shards', kind: 'int', description: 'shard worker threads (each owns a fixed set of partitions)', defaultValue: defaultShardCount },
  { key: 'fsync', flag: 'fsync', kind: 'fsync', description: 'durability: always | interval:<ms> | never (see README)', defaultValue: () => ({ kind: 'always' }) },
  { key: 'logLevel', flag: 'log-level', kind: 'string', description: 'pino log level: trace, debug, info, warn, error, fatal, silent', defaultValue: () => 'info' },
  { key: 'logPretty', flag: 'log-pretty', kind: 'bool', description: 'human-readable logs instead of JSON', defaultValue: () => false },
  { key: 'autoCreateTopics', flag: 'auto-create-topics', kind: 'bool', description: 'create unknown topics asked for by Metadata, in the background (auto.create.topics.enable); Produce never creates, as in Kafka', defaultValue: () => true },
  { key: 'numPartitions', flag: 'num-partitions', kind: 'int', description: 'partitions of an auto-created topic (num.partitions)', defaultValue: () => 1 },
  { key: 'maxFrameBytes', flag: 'max-frame-bytes', kind: 'int', description: 'largest request frame accepted; a larger one closes the connection', defaultValue: () => 100 * 1024 * 1024 },
  { key: 'maxPartitions', flag: 'max-partitions', kind: 'int', description: 'capacity of the shared watermark table (partitions in all)', defaultValue: () => 65_536 },
  { key: 'ringBytes', flag: 'ring-bytes', kind: 'int', description: 'size of each shard request ring; a full ring pauses the sockets feeding it', defaultValue: () => 32 * 1024 * 1024 },
  { key: 'nodeId', flag: 'node-id', kind: 'int', description: 'this broker\'s node id', defaultValue: () => 1 },
  { key: 'clusterId', flag: 'cluster-id', kind: 'string', description: 'cluster id reported in Metadata (default: generated once and kept in the data dir)', defaultValue: () => '' },
  { key: 'retentionCheckMs', flag: 'retention-check-ms', kind: 'int', description: 'how often each shard applies retention.ms/retention.bytes (log.retention.check.interval.ms)', defaultValue: () => 300_000 },
  { key: 'groupMinSessionTimeoutMs', flag: 'group-min-session-timeout-ms', kind: 'int', description: 'shortest session timeout a member may ask for (group.min.session.timeout.ms)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.groupMinSessionTimeoutMs },
  { key: 'groupMaxSessionTimeoutMs', flag: 'group-max-session-timeout-ms', kind: 'int', description: 'longest session timeout a member may ask for (group.max.session.timeout.ms)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.groupMaxSessionTimeoutMs },
  { key: 'groupInitialRebalanceDelayMs', flag: 'group-initial-rebalance-delay-ms', kind: 'int', description: 'wait for more members before the first rebalance of an empty group (group.initial.rebalance.delay.ms)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.groupInitialRebalanceDelayMs },
  { key: 'offsetsRetentionMs', flag: 'offsets-retention-ms', kind: 'int', description: 'committed offsets of an empty group expire after this (offsets.retention.minutes)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.offsetsRetentionMs },
  { key: 'offsetsRetentionCheckIntervalMs', flag: 'offsets-retention-check-interval-ms', kind: 'int', description: 'how often expired offsets are removed (offsets.retention.check.interval.ms)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.offsetsRetentionCheckIntervalMs },
  { key: 'offsetMetadataMaxBytes', flag: 'offset-metadata-max-bytes', kind: 'int', description: 'largest metadata string accepted with a commit (offset.metadata.max.bytes)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.offsetMetadataMaxBytes },
  { key: 'groupConsumerSessionTimeoutMs', flag: 'group-consumer-session-timeout-ms', kind: 'int', description: 'a consumer-protocol member that stops heartbeating is fenced after this (group.consumer.session.timeout.ms)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.groupConsumerSessionTimeoutMs },
  { key: 'groupConsumerMinSessionTimeoutMs', flag: 'group-consumer-min-session-timeout-ms', kind: 'int', description: 'lower bound of group.consumer.session.timeout.ms (group.consumer.min.session.timeout.ms)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.groupConsumerMinSessionTimeoutMs },
  { key: 'groupConsumerMaxSessionTimeoutMs', flag: 'group-consumer-max-session-timeout-ms', kind: 'int', description: 'upper bound of group.consumer.session.timeout.ms (group.consumer.max.session.timeout.ms)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.groupConsumerMaxSessionTimeoutMs },
  { key: 'groupConsumerHeartbeatIntervalMs', flag: 'group-consumer-heartbeat-interval-ms', kind: 'int', description: 'heartbeat interval given to consumer-protocol members (group.consumer.heartbeat.interval.ms)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.groupConsumerHeartbeatIntervalMs },
  { key: 'groupConsumerMinHeartbeatIntervalMs', flag: 'group-consumer-min-heartbeat-interval-ms', kind: 'int', description: 'lower bound of group.consumer.heartbeat.interval.ms (group.consumer.min.heartbeat.interval.ms)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.groupConsumerMinHeartbeatIntervalMs },
  { key: 'groupConsumerMaxHeartbeatIntervalMs', flag: 'group-consumer-max-heartbeat-interval-ms', kind: 'int', description: 'upper bound of group.consumer.heartbeat.interval.ms (group.consumer.max.heartbeat.interval.ms)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.groupConsumerMaxHeartbeatIntervalMs },
  { key: 'groupConsumerMaxSize', flag: 'group-consumer-max-size', kind: 'int', description: 'most members of one consumer-protocol group (group.consumer.max.size)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.groupConsumerMaxSize },
  { key: 'groupConsumerAssignors', flag: 'group-consumer-assignors', kind: 'string', description: 'server-side assignors, comma-separated, the first is the default: uniform, range (group.consumer.assignors)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.groupConsumerAssignors },
  { key: 'groupConsumerAssignmentIntervalMs', flag: 'group-consumer-assignment-interval-ms', kind: 'int', description: 'a consumer-protocol group\'s target assignment is recomputed at most this often, 0-15000 (group.consumer.assignment.interval.ms)', defaultValue: () => DEFAULT_GROUP_COORDINATOR_SETTINGS.groupConsumerAssignmentIntervalMs },
  { key: 'topicDefaults', flag: 'topic-defaults', kind: 'json', description: 'JSON object of default topic configs, e.g. {"segment.bytes":"1073741824"}', defaultValue: () => ({}) },
];

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

export function envName(setting: Setting): string {
  return 'HIGHWATER_' + setting.flag.toUpperCase().replaceAll('-', '_');
}

/**
 * Builds the config from (lowest to highest precedence) defaults, the JSON file named by
 * `configFile`, the environment and the flags already parsed (keyed by camelCase setting key).
 */
export function loadConfig(flags: Partial<Record<keyof BrokerConfig, unknown>>, env: NodeJS.ProcessEnv = process.env, configFile?: string): BrokerConfig {
  const fileValues: Record<string, unknown> = configFile ? JSON.parse(readFileSync(configFile, 'utf8')) : {};
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
  checkConsumerGroupSettings(config);
  if (!config.advertisedHost) config.advertisedHost = config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host;
  return config;
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
