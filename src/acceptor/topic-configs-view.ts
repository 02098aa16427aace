// Describes topic and broker configs the way DescribeConfigs and CreateTopics (v5+) report them:
// value in force, where it came from (Kafka's ConfigSource) and its type (Kafka's ConfigType).
import type { BrokerEndpoint, HandlerConfig } from './registry.ts';
import type { TopicInfo } from '../metadata/cluster-metadata.ts';
import { TOPIC_CONFIGS, type ConfigType } from '../metadata/topic-configs.ts';
import { formatFsyncPolicy } from '../config.ts';

/** Kafka's DescribeConfigsResponse.ConfigSource values. */
export const ConfigSource = { DYNAMIC_TOPIC_CONFIG: 1, STATIC_BROKER_CONFIG: 4, DEFAULT_CONFIG: 5 } as const;

// Kafka's DescribeConfigsResponse.ConfigType values.
const CONFIG_TYPE: Record<ConfigType, number> = { boolean: 1, string: 2, int: 3, short: 4, long: 5, double: 6, list: 7 };

export interface ConfigEntry {
  name: string;
  value: string | null;
  readOnly: boolean;
  isDefault: boolean;
  configSource: number;
  configType: number;
  documentation: string | null;
  synonyms: { name: string; value: string | null; source: number }[];
}

/** Broker-level names of the topic configs whose defaults --topic-defaults may set. */
const BROKER_SYNONYM: Record<string, string> = {
  'segment.bytes': 'log.segment.bytes',
  'segment.ms': 'log.roll.ms',
  'retention.ms': 'log.retention.ms',
  'retention.bytes': 'log.retention.bytes',
  'index.interval.bytes': 'log.index.interval.bytes',
  'max.message.bytes': 'message.max.bytes',
  'message.timestamp.type': 'log.message.timestamp.type',
  'cleanup.policy': 'log.cleanup.policy',
};

export function describeTopicConfigs(config: Pick<HandlerConfig, 'topicDefaults'>, topic: TopicInfo, keys: string[] | null): ConfigEntry[] {
  const entries: ConfigEntry[] = [];
  for (const def of TOPIC_CONFIGS.values()) {
    if (keys && !keys.includes(def.name)) continue;
    const own = topic.configs[def.name];
    const brokerDefault = config.topicDefaults[def.name];
    const synonyms: ConfigEntry['synonyms'] = [];
    if (own !== undefined) synonyms.push({ name: def.name, value: own, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    if (brokerDefault !== undefined) synonyms.push({ name: BROKER_SYNONYM[def.name] ?? def.name, value: brokerDefault, source: ConfigSource.STATIC_BROKER_CONFIG });
    synonyms.push({ name: BROKER_SYNONYM[def.name] ?? def.name, value: def.defaultValue, source: ConfigSource.DEFAULT_CONFIG });
    const source = own !== undefined ? ConfigSource.DYNAMIC_TOPIC_CONFIG : brokerDefault !== undefined ? ConfigSource.STATIC_BROKER_CONFIG : ConfigSource.DEFAULT_CONFIG;
    entries.push({
      name: def.name,
      value: own ?? brokerDefault ?? def.defaultValue,
      readOnly: false,
      isDefault: source === ConfigSource.DEFAULT_CONFIG,
      configSource: source,
      configType: CONFIG_TYPE[def.type],
      documentation: def.doc,
      synonyms,
    });
  }
  return entries;
}

export function describeBrokerConfigs(c: HandlerConfig, node: BrokerEndpoint, keys: string[] | null): ConfigEntry[] {
  const values: [string, string, ConfigType][] = [
    ['broker.id', String(node.nodeId), 'int'],
    ['node.id', String(node.nodeId), 'int'],
    ['num.partitions', String(c.numPartitions), 'int'],
    ['auto.create.topics.enable', String(c.autoCreateTopics), 'boolean'],
    ['default.replication.factor', '1', 'short'],
    ['socket.request.max.bytes', String(c.maxFrameBytes), 'int'],
    ['highwater.fsync', formatFsyncPolicy(c.fsync), 'string'],
    ['highwater.shards', String(c.shards), 'int'],
  ];
  for (const def of TOPIC_CONFIGS.values()) {
    const name = BROKER_SYNONYM[def.name];
    if (name) values.push([name, c.topicDefaults[def.name] ?? def.defaultValue, def.type]);
  }
  return values
    .filter(([name]) => !keys || keys.includes(name))
    .map(([name, value, type]) => ({
      name, value, readOnly: true, isDefault: false, configSource: ConfigSource.STATIC_BROKER_CONFIG,
      configType: CONFIG_TYPE[type], documentation: null, synonyms: [{ name, value, source: ConfigSource.STATIC_BROKER_CONFIG }],
    }));
}
