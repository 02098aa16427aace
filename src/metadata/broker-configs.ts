// Broker-level defaults of the topic configs (Kafka's log.* settings) and how they layer: a dynamic
// value for this node, then the dynamic cluster default (resource name ""), then the static setting
// (--topic-defaults), then Kafka's default. The same walk gives the value in force and the synonyms
// DescribeConfigs lists, as Kafka's ConfigHelper.configSynonyms builds them.
import { TOPIC_CONFIGS } from './topic-configs.ts';

/** Kafka's DescribeConfigsResponse.ConfigSource values. */
export const ConfigSource = {
  DYNAMIC_TOPIC_CONFIG: 1, DYNAMIC_BROKER_CONFIG: 2, DYNAMIC_DEFAULT_BROKER_CONFIG: 3, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5,
} as const;

export interface BrokerLogConfigDef {
  name: string;
  /** The topic config this broker setting is the default of. */
  topicConfig: string;
  type: 'int' | 'long' | 'string' | 'list' | 'double';
  /** Kafka's default; null where Kafka has none (log.retention.ms falls back to log.retention.hours). */
  kafkaDefault: string | null;
  /** Milliseconds per unit where the broker setting counts hours or minutes. */
  unitMs?: number;
  /** Whether IncrementalAlterConfigs/AlterConfigs may change it (Kafka's DynamicLogConfig set). */
  dynamic: boolean;
  doc: string;
}

const HOUR = 3_600_000;

/**
 * In Kafka's synonym order (ServerTopicConfigSynonyms): the first name of a topic config is its
 * primary synonym. Every setting here is honoured: it becomes the default of the topic config.
 */
const DEFS: BrokerLogConfigDef[] = [
  { name: 'log.segment.bytes', topicConfig: 'segment.bytes', type: 'int', kafkaDefault: '1073741824', dynamic: true, doc: 'The maximum size of a single log file' },
  { name: 'log.roll.ms', topicConfig: 'segment.ms', type: 'long', kafkaDefault: null, dynamic: true, doc: 'The maximum time before a new log segment is rolled out (in milliseconds)' },
  { name: 'log.roll.hours', topicConfig: 'segment.ms', type: 'int', kafkaDefault: '168', unitMs: HOUR, dynamic: false, doc: 'The maximum time before a new log segment is rolled out (in hours)' },
  { name: 'log.retention.ms', topicConfig: 'retention.ms', type: 'long', kafkaDefault: null, dynamic: true, doc: 'The number of milliseconds to keep a log file before deleting it (-1: no limit)' },
  { name: 'log.retention.minutes', topicConfig: 'retention.ms', type: 'int', kafkaDefault: null, unitMs: 60_000, dynamic: false, doc: 'The number of minutes to keep a log file before deleting it' },
  { name: 'log.retention.hours', topicConfig: 'retention.ms', type: 'int', kafkaDefault: '168', unitMs: HOUR, dynamic: false, doc: 'The number of hours to keep a log file before deleting it' },
  { name: 'log.retention.bytes', topicConfig: 'retention.bytes', type: 'long', kafkaDefault: '-1', dynamic: true, doc: 'The maximum size of the log before deleting it' },
  { name: 'log.index.interval.bytes', topicConfig: 'index.interval.bytes', type: 'int', kafkaDefault: '4096', dynamic: true, doc: 'The interval with which we add an entry to the offset index' },
  { name: 'message.max.bytes', topicConfig: 'max.message.bytes', type: 'int', kafkaDefault: '1048588', dynamic: true, doc: 'The largest record batch size allowed' },
  { name: 'log.message.timestamp.type', topicConfig: 'message.timestamp.type', type: 'string', kafkaDefault: 'CreateTime', dynamic: true, doc: 'Whether the timestamp in a message is the create time or the log append time' },
  { name: 'log.cleanup.policy', topicConfig: 'cleanup.policy', type: 'list', kafkaDefault: 'delete', dynamic: true, doc: 'The default cleanup policy for segments beyond the retention window' },
  { name: 'log.cleaner.delete.retention.ms', topicConfig: 'delete.retention.ms', type: 'long', kafkaDefault: '86400000', dynamic: true, doc: 'The amount of time to retain tombstone message markers for log compacted topics' },
  { name: 'log.cleaner.min.compaction.lag.ms', topicConfig: 'min.compaction.lag.ms', type: 'long', kafkaDefault: '0', dynamic: true, doc: 'The minimum time a message will remain uncompacted in the log' },
  { name: 'log.cleaner.max.compaction.lag.ms', topicConfig: 'max.compaction.lag.ms', type: 'long', kafkaDefault: '9223372036854775807', dynamic: true, doc: 'The maximum time a message will remain ineligible for compaction in the log' },
  { name: 'log.cleaner.min.cleanable.ratio', topicConfig: 'min.cleanable.dirty.ratio', type: 'double', kafkaDefault: '0.5', dynamic: true, doc: 'The minimum ratio of dirty log to total log for a log to be eligible for cleaning' },
  { name: 'log.index.size.max.bytes', topicConfig: 'segment.index.bytes', type: 'int', kafkaDefault: '10485760', dynamic: false, doc: 'The maximum size in bytes of the offset index' },
];

export const BROKER_LOG_CONFIGS: ReadonlyMap<string, BrokerLogConfigDef> = new Map(DEFS.map((d) => [d.name, d]));

/** Topic configs Kafka describes with no synonym at all: no broker-level setting stands behind them (a differential test). */
export const TOPIC_CONFIGS_WITHOUT_SYNONYMS: ReadonlySet<string> = new Set(['remote.storage.enable']);

/**
 * Tiered storage's local retention: Kafka names its default synonym by the broker setting
 * (log.local.retention.*, default -2). Highwater takes no broker-level value for them, so only the
 * name of the default synonym is Kafka's (a differential test).
 */
export const DEFAULT_SYNONYM_NAMES: ReadonlyMap<string, string> = new Map([
  ['local.retention.ms', 'log.local.retention.ms'],
  ['local.retention.bytes', 'log.local.retention.bytes'],
]);

/** The broker names of a topic config, primary first; a topic config Kafka gives no log.* name keeps its own. */
export function brokerSynonymNames(topicConfig: string): string[] {
  const names = DEFS.filter((d) => d.topicConfig === topicConfig).map((d) => d.name);
  return names.length > 0 ? names : [topicConfig];
}

/** The value layers a broker setting is looked up in, highest precedence first. */
export interface BrokerConfigLayers {
  /** Dynamic configs of this node (resource name = node id). */
  dynamicNode: Readonly<Record<string, string>>;
  /** Dynamic cluster-wide defaults (resource name ""). */
  dynamicDefault: Readonly<Record<string, string>>;
  /** Static settings, by broker name. */
  staticConfigs: Readonly<Record<string, string>>;
}

export interface Synonym {
  name: string;
  value: string | null;
  source: number;
}

function kafkaDefaultOf(name: string, topicConfig: string): string | null {
  const def = BROKER_LOG_CONFIGS.get(name);
  if (def) return def.kafkaDefault;
  return TOPIC_CONFIGS.get(topicConfig)?.defaultValue ?? null;
}

/** Every value the synonyms of `names` have, by layer then by name (Kafka's order), before any drop. */
function allValues(names: string[], topicConfig: string, layers: BrokerConfigLayers): Synonym[] {
  const out: Synonym[] = [];
  const add = (map: Readonly<Record<string, string>>, source: number) => {
    for (const n of names) if (map[n] !== undefined) out.push({ name: n, value: map[n]!, source });
  };
  add(layers.dynamicNode, ConfigSource.DYNAMIC_BROKER_CONFIG);
  add(layers.dynamicDefault, ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
  add(layers.staticConfigs, ConfigSource.STATIC_BROKER_CONFIG);
  for (const n of names) {
    const v = kafkaDefaultOf(n, topicConfig);
    if (v !== null) out.push({ name: n, value: v, source: ConfigSource.DEFAULT_CONFIG });
  }
  return out;
}

/**
 * Synonyms as Kafka lists them: every layer's value, then everything before the first entry
 * of the primary name dropped (so log.retention.hours alone, at its default, lists nothing).
 */
export function brokerSynonyms(name: string, topicConfig: string, layers: BrokerConfigLayers): Synonym[] {
  const names = brokerSynonymNames(topicConfig);
  const all = allValues(names.slice(names.indexOf(name)), topicConfig, layers);
  const first = all.findIndex((s) => s.name === name);
  return first < 0 ? [] : all.slice(first);
}

/** The broker-level default of a topic config: the first synonym with a value, in the topic config's unit. */
export function resolveTopicDefault(topicConfig: string, layers: BrokerConfigLayers): string | undefined {
  const found = allValues(brokerSynonymNames(topicConfig), topicConfig, layers)[0];
  if (!found || found.value === null) return undefined;
  const unitMs = BROKER_LOG_CONFIGS.get(found.name)?.unitMs;
  if (!unitMs) return found.value;
  const n = BigInt(found.value);
  return n < 0n ? '-1' : String(n * BigInt(unitMs));
}

/** Static log settings from --topic-defaults (keyed by topic names), under their primary broker name. */
export function staticLogConfigs(topicDefaults: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [topicConfig, value] of Object.entries(topicDefaults)) out[brokerSynonymNames(topicConfig)[0]!] = value;
  return out;
}

/** The broker-level default of every topic config: what a topic without its own value uses. */
export function effectiveTopicDefaults(layers: BrokerConfigLayers): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of TOPIC_CONFIGS.keys()) {
    const v = resolveTopicDefault(name, layers);
    if (v !== undefined) out[name] = v;
  }
  return out;
}

/** Checks a dynamic broker setting; returns Kafka's message, or null when it may be set. */
export function validateBrokerConfig(name: string, value: string | null): string | null {
  const def = BROKER_LOG_CONFIGS.get(name);
  if (!def || !def.dynamic) return `Cannot update these configs dynamically: [${name}]`;
  if (value === null) return null;
  const topicDef = TOPIC_CONFIGS.get(def.topicConfig);
  const problem = topicDef?.validate(value);
  return problem ? `Invalid value ${value} for configuration ${name}: ${problem}` : null;
}
