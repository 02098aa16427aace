// Topic configs Highwater understands, with Kafka's names, types and defaults. A config that is not
// listed here is refused with INVALID_CONFIG rather than accepted and dropped (DESIGN.md §7 item 9).

export type ConfigType = 'long' | 'int' | 'short' | 'string' | 'list' | 'boolean' | 'double';

export interface TopicConfigDef {
  name: string;
  type: ConfigType;
  defaultValue: string;
  /** Returns an error message, or null when the value is acceptable. */
  validate: (value: string) => string | null;
  doc: string;
}

const longAtLeast = (min: bigint) => (value: string): string | null => {
  if (!/^-?\d+$/.test(value)) return 'must be an integer';
  return BigInt(value) < min ? `must be at least ${min}` : null;
};
const intAtLeast = (min: number) => (value: string): string | null => {
  if (!/^-?\d+$/.test(value)) return 'must be an integer';
  const n = Number(value);
  if (n > 2 ** 31 - 1) return 'is larger than an int';
  return n < min ? `must be at least ${min}` : null;
};
const intBetween = (min: number, max: number) => (value: string): string | null => {
  if (!/^-?\d+$/.test(value)) return 'must be an integer';
  const n = Number(value);
  return n < min || n > max ? `Value must be between ${min} and ${max}` : null;
};
// Kafka's GZIP.levelValidator: 1..9, or -1 for Deflater's default.
const gzipLevel = (value: string): string | null =>
  value === '-1' ? null : intBetween(1, 9)(value) === null ? null : 'Value must be between 1 and 9 or equal to -1';
const lz4Level = (value: string): string | null => {
  const inKafkasRange = intBetween(1, 17)(value);
  if (inKafkasRange !== null) return inKafkasRange;
  return value === '9' ? null : 'only the default level 9 is supported by this broker\'s lz4 encoder';
};
const oneOf = (...choices: string[]) => (value: string): string | null =>
  choices.includes(value) ? null : `must be one of ${choices.join(', ')}`;
// Kafka's ConfigDef texts for the compaction configs (ConfigDef.parseType, Range, ValidList).
const kafkaLongAtLeast = (min: bigint) => (value: string): string | null => {
  if (!/^\s*-?\d+\s*$/.test(value)) return 'Not a number of type LONG';
  const n = BigInt(value.trim());
  if (n > 2n ** 63n - 1n || n < -(2n ** 63n)) return 'Not a number of type LONG';
  return n < min ? `Value must be at least ${min}` : null;
};
const kafkaDoubleBetween = (min: number, max: number) => (value: string): string | null => {
  const n = Number(value.trim());
  if (value.trim() === '' || !Number.isFinite(n)) return 'Not a number of type DOUBLE';
  if (n < min) return `Value must be at least ${min === 0 ? '0.0' : min}`;
  return n > max ? `Value must be no more than ${max === 1 ? '1.0' : max}` : null;
};
/** cleanup.policy: a list of compact and delete (ValidList.in), each item checked as Kafka does. */
const cleanupPolicy = (value: string): string | null => {
  const items = value.split(',').map((s) => s.trim());
  if (value.trim() === '') return 'an empty cleanup.policy is not served';
  for (const item of items) if (item !== 'compact' && item !== 'delete') return 'String must be one of: compact, delete';
  return null;
};

const DEFS: TopicConfigDef[] = [
  { name: 'segment.bytes', type: 'int', defaultValue: String(1024 * 1024 * 1024), validate: intAtLeast(14), doc: 'segment file size before a roll' },
  { name: 'segment.ms', type: 'long', defaultValue: String(7 * 24 * 3600 * 1000), validate: longAtLeast(1n), doc: 'segment age before a roll' },
  { name: 'segment.index.bytes', type: 'int', defaultValue: String(10 * 1024 * 1024), validate: intAtLeast(4), doc: 'accepted for compatibility; Highwater indexes grow as needed' },
  { name: 'retention.ms', type: 'long', defaultValue: String(7 * 24 * 3600 * 1000), validate: longAtLeast(-1n), doc: 'age after which whole segments are deleted (-1: forever)' },
  { name: 'retention.bytes', type: 'long', defaultValue: '-1', validate: longAtLeast(-1n), doc: 'partition size above which the oldest segments are deleted (-1: no limit)' },
  { name: 'index.interval.bytes', type: 'int', defaultValue: '4096', validate: intAtLeast(0), doc: 'bytes between offset index entries' },
  { name: 'max.message.bytes', type: 'int', defaultValue: String(1024 * 1024 + 12), validate: intAtLeast(0), doc: 'largest record batch accepted' },
  { name: 'message.timestamp.type', type: 'string', defaultValue: 'CreateTime', validate: oneOf('CreateTime', 'LogAppendTime'), doc: 'whether record timestamps are the producer\'s or the broker\'s' },
  { name: 'cleanup.policy', type: 'list', defaultValue: 'delete', validate: cleanupPolicy, doc: 'delete (retention), compact (the log cleaner keeps the last record per key), or both' },
  // Compaction (src/segments/cleaner.ts), with Kafka's defaults and ranges (TopicConfig, LogConfig).
  { name: 'delete.retention.ms', type: 'long', defaultValue: '86400000', validate: kafkaLongAtLeast(0n), doc: 'how long a tombstone stays after the cleaner first kept it' },
  { name: 'min.compaction.lag.ms', type: 'long', defaultValue: '0', validate: kafkaLongAtLeast(0n), doc: 'a record stays uncompacted at least this long' },
  { name: 'max.compaction.lag.ms', type: 'long', defaultValue: '9223372036854775807', validate: kafkaLongAtLeast(1n), doc: 'a record is eligible for compaction at most this long after it was written, whatever the dirty ratio' },
  { name: 'min.cleanable.dirty.ratio', type: 'double', defaultValue: '0.5', validate: kafkaDoubleBetween(0, 1), doc: 'the share of uncleaned bytes at which the cleaner cleans the log' },
  // compression.type and its levels: Kafka's names, values and ranges (CompressionType,
  // LogConfig); a batch of another codec is rebuilt with the topic's (src/shard-worker/parked-appends.ts).
  { name: 'compression.type', type: 'string', defaultValue: 'producer', validate: oneOf('producer', 'uncompressed', 'gzip', 'snappy', 'lz4', 'zstd'), doc: 'the codec stored batches get; producer keeps the producer\'s, another value recompresses batches of any other codec' },
  { name: 'compression.gzip.level', type: 'int', defaultValue: '-1', validate: gzipLevel, doc: 'deflate level when recompressing to gzip (-1: zlib\'s default)' },
  // The lz4 encoder Highwater uses has one level: Kafka's default. Another value would be accepted and ignored, so it is refused.
  { name: 'compression.lz4.level', type: 'int', defaultValue: '9', validate: lz4Level, doc: 'lz4 level when recompressing to lz4; only Kafka\'s default 9 is served' },
  { name: 'compression.zstd.level', type: 'int', defaultValue: '3', validate: intBetween(-131072, 22), doc: 'zstd level when recompressing to zstd' },
  // Tiered storage (issue 17, docs/notes/tiered-storage.md), Kafka's names, defaults and ranges (LogConfig).
  { name: 'remote.storage.enable', type: 'boolean', defaultValue: 'false', validate: oneOf('true', 'false'), doc: 'upload rolled segments to the object store and serve the whole log from both tiers' },
  { name: 'local.retention.ms', type: 'long', defaultValue: '-2', validate: kafkaLongAtLeast(-2n), doc: 'how long an uploaded segment also stays on local disk (-2: retention.ms)' },
  { name: 'local.retention.bytes', type: 'long', defaultValue: '-2', validate: kafkaLongAtLeast(-2n), doc: 'local bytes of the partition kept once uploaded (-2: retention.bytes)' },
  { name: 'min.insync.replicas', type: 'int', defaultValue: '1', validate: oneOf('1'), doc: 'one broker, one replica' },
];

export const TOPIC_CONFIGS: ReadonlyMap<string, TopicConfigDef> = new Map(DEFS.map((d) => [d.name, d]));

/** Checks one name/value pair; returns an error message or null. */
export function validateTopicConfig(name: string, value: string | null): string | null {
  const def = TOPIC_CONFIGS.get(name);
  if (!def) return `Unknown topic config name: ${name}`;
  if (value === null) return null;
  const problem = def.validate(value);
  return problem ? `Invalid value ${value} for configuration ${name}: ${problem}` : null;
}

/** What the cross-config checks need beyond the configs themselves. */
export interface TopicConfigSetContext {
  /** Whether the broker has an object store (Kafka's remote.log.storage.system.enable). */
  remoteStorageSystemEnabled?: boolean;
  /** The topic's configs before this change (AlterConfigs), to refuse turning remote storage off. */
  existing?: Readonly<Record<string, string>>;
}

/**
 * Checks that go across configs, as Kafka's LogConfig.validateValues and
 * validateTopicLogConfigValues: min.compaction.lag.ms may not exceed max.compaction.lag.ms; the
 * tiered storage rules. Returns Kafka's message, or null.
 */
export function validateTopicConfigSet(configs: Readonly<Record<string, string | null | undefined>>, brokerDefaults: Readonly<Record<string, string>> = {},
  context: TopicConfigSetContext = {}): string | null {
  const value = (name: string): string => configs[name] ?? brokerDefaults[name] ?? TOPIC_CONFIGS.get(name)!.defaultValue;
  const minLag = BigInt(value('min.compaction.lag.ms').trim());
  const maxLag = BigInt(value('max.compaction.lag.ms').trim());
  if (minLag > maxLag) return `conflict topic config setting min.compaction.lag.ms (${minLag}) > max.compaction.lag.ms (${maxLag})`;
  const remote = value('remote.storage.enable').trim().toLowerCase() === 'true';
  if (!remote) {
    if ((context.existing?.['remote.storage.enable'] ?? 'false').trim().toLowerCase() === 'true') {
      // Kafka's validateTurningOffRemoteStorageWithDelete; remote.log.delete.on.disable is not served.
      return 'It is invalid to disable remote storage without deleting remote data. If you want to keep the remote data and turn to read only, please set '
        + '`remote.storage.enable=true,remote.log.copy.disable=true`. If you want to disable remote storage and delete all remote data, please set '
        + '`remote.storage.enable=false,remote.log.delete.on.disable=true`.';
    }
    return null;
  }
  if (context.remoteStorageSystemEnabled !== true) return 'Tiered Storage functionality is disabled in the broker. Topic cannot be configured with remote log storage.';
  if (value('cleanup.policy').toLowerCase().includes('compact')) return 'Remote log storage is unsupported for the compacted topics';
  for (const [total, local] of [['retention.bytes', 'local.retention.bytes'], ['retention.ms', 'local.retention.ms']] as const) {
    const totalValue = BigInt(value(total).trim());
    const localValue = BigInt(value(local).trim());
    if (totalValue === -1n || localValue === -2n) continue;
    // Kafka's ConfigException(name, value, message) text.
    if (localValue === -1n) return `Invalid value -1 for configuration ${local}: Value must not be -1 as ${total} value is set as ${totalValue}.`;
    if (localValue > totalValue) return `Invalid value ${localValue} for configuration ${local}: Value must not be more than ${total} property value: ${totalValue}`;
  }
  return null;
}

/** The value in force: the topic's own, else the broker-wide default, else Kafka's default. */
export function effectiveConfig(name: string, topicConfigs: Record<string, string>, brokerDefaults: Record<string, string>): string {
  return topicConfigs[name] ?? brokerDefaults[name] ?? TOPIC_CONFIGS.get(name)?.defaultValue ?? '';
}
