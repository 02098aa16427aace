// Describes topic and broker configs the way DescribeConfigs and CreateTopics (v5+) report them:
// value in force, where it came from (Kafka's ConfigSource), its synonyms and its type (Kafka's
// ConfigType). Synonyms follow Kafka's ConfigHelper: every layer that has a value, by precedence.
import type { BrokerEndpoint, HandlerConfig, MetadataService } from './registry.ts';
import type { TopicInfo } from '../metadata/cluster-metadata.ts';
import { TOPIC_CONFIGS, type ConfigType } from '../metadata/topic-configs.ts';
import {
  BROKER_LOG_CONFIGS, ConfigSource, brokerSynonymNames, brokerSynonyms, resolveTopicDefault, staticLogConfigs, TOPIC_CONFIGS_WITHOUT_SYNONYMS, DEFAULT_SYNONYM_NAMES, type BrokerConfigLayers,
} from '../metadata/broker-configs.ts';
import { formatFsyncPolicy } from '../config.ts';

export { ConfigSource };

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

/** Where a broker config's value may come from: this node's dynamic configs, the cluster default's, the static settings. */
export function brokerConfigLayers(config: Pick<HandlerConfig, 'topicDefaults'>, metadata: Pick<MetadataService, 'brokerConfigs'> | undefined, nodeId: number): BrokerConfigLayers {
  return {
    dynamicNode: metadata?.brokerConfigs(String(nodeId)) ?? {},
    dynamicDefault: metadata?.brokerConfigs('') ?? {},
    staticConfigs: staticLogConfigs(config.topicDefaults),
  };
}

/**
 * `dynamic` brings in the dynamic broker configs; without it only the static ones count (a caller
 * that has no metadata service).
 */
export function describeTopicConfigs(config: Pick<HandlerConfig, 'topicDefaults'>, topic: TopicInfo, keys: string[] | null,
  dynamic?: { metadata: Pick<MetadataService, 'brokerConfigs'>; nodeId: number }): ConfigEntry[] {
  const layers = brokerConfigLayers(config, dynamic?.metadata, dynamic?.nodeId ?? 0);
  const entries: ConfigEntry[] = [];
  for (const def of TOPIC_CONFIGS.values()) {
    if (keys && !keys.includes(def.name)) continue;
    const own = topic.configs[def.name];
    const synonyms: ConfigEntry['synonyms'] = TOPIC_CONFIGS_WITHOUT_SYNONYMS.has(def.name) ? []
      : brokerSynonyms(brokerSynonymNames(def.name)[0]!, def.name, layers).map((x) => {
        const kafkaName = x.source === ConfigSource.DEFAULT_CONFIG && x.name === def.name ? DEFAULT_SYNONYM_NAMES.get(def.name) : undefined;
        return kafkaName === undefined ? x : { ...x, name: kafkaName };
      });
    if (own !== undefined) synonyms.unshift({ name: def.name, value: own, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
    const source = synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG;
    entries.push({
      name: def.name,
      value: own ?? resolveTopicDefault(def.name, layers) ?? def.defaultValue,
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

/** Broker settings Highwater takes from its own configuration (flags, environment, file), with Kafka's default where it has one. */
function staticSettings(c: HandlerConfig, node: BrokerEndpoint): [name: string, value: string, type: ConfigType, kafkaDefault: string | null, doc: string][] {
  return [
    ['broker.id', String(node.nodeId), 'int', '-1', 'The broker id for this server (--node-id)'],
    ['node.id', String(node.nodeId), 'int', null, 'The node ID associated with this server (--node-id)'],
    ['num.partitions', String(c.numPartitions), 'int', '1', 'The default number of log partitions per topic (--num-partitions)'],
    ['auto.create.topics.enable', String(c.autoCreateTopics), 'boolean', 'true', 'Enable auto creation of topic on the server (--auto-create-topics)'],
    ['default.replication.factor', '1', 'int', '1', 'One broker: every partition has one replica'],
    ['socket.request.max.bytes', String(c.maxFrameBytes), 'int', '104857600', 'The maximum number of bytes in a socket request (--max-frame-bytes)'],
    ['log.retention.check.interval.ms', String(c.retentionCheckMs), 'long', '300000', 'How often retention is applied (--retention-check-ms)'],
    ['group.min.session.timeout.ms', String(c.groupMinSessionTimeoutMs), 'int', '6000', 'The minimum session timeout of a classic group member'],
    ['group.max.session.timeout.ms', String(c.groupMaxSessionTimeoutMs), 'int', '1800000', 'The maximum session timeout of a classic group member'],
    ['group.initial.rebalance.delay.ms', String(c.groupInitialRebalanceDelayMs), 'int', '3000', 'How long the first rebalance of an empty group waits for more members'],
    ['offsets.retention.minutes', String(Math.floor(c.offsetsRetentionMs / 60_000)), 'int', '10080', 'How long the committed offsets of an empty group are kept'],
    ['offsets.retention.check.interval.ms', String(c.offsetsRetentionCheckIntervalMs), 'long', '600000', 'How often expired offsets are removed'],
    ['offset.metadata.max.bytes', String(c.offsetMetadataMaxBytes), 'int', '4096', 'The maximum size of the metadata string of an offset commit'],
    ['highwater.fsync', formatFsyncPolicy(c.fsync), 'string', null, 'Highwater durability policy (--fsync)'],
    ['highwater.shards', String(c.shards), 'int', null, 'Highwater shard worker threads (--shards)'],
    // Tiered storage (docs/notes/tiered-storage.md); the secret access key is never shown.
    ['remote.log.storage.system.enable', String(c.remoteStorageBucket !== ''), 'boolean', 'false', 'Whether tiered storage is on: an object store is configured (--remote-storage-bucket)'],
    ['highwater.remote.storage.bucket', c.remoteStorageBucket, 'string', null, 'The S3 bucket of tiered storage (--remote-storage-bucket)'],
    ['highwater.remote.storage.endpoint', c.remoteStorageEndpoint, 'string', null, 'The S3 endpoint (--remote-storage-endpoint)'],
    ['highwater.remote.storage.region', c.remoteStorageRegion, 'string', null, 'The S3 region (--remote-storage-region)'],
    ['highwater.remote.storage.prefix', c.remoteStoragePrefix, 'string', null, 'Key prefix inside the bucket (--remote-storage-prefix)'],
    ['highwater.remote.log.upload.concurrency', String(c.remoteLogUploadConcurrency), 'int', null, 'Segment uploads in flight (--remote-log-upload-concurrency)'],
    ['highwater.remote.log.upload.max.bytes.per.second', String(c.remoteLogUploadMaxBytesPerSecond), 'long', null, 'Upload byte rate, 0: no limit (--remote-log-upload-max-bytes-per-second)'],
    ['highwater.remote.log.chunk.cache.bytes', String(c.remoteLogChunkCacheBytes), 'long', null, 'Remote chunk cache of the fetch path (--remote-log-chunk-cache-bytes)'],
    ['remote.log.manager.task.interval.ms', String(c.remoteLogManagerTaskIntervalMs), 'long', '30000', 'How often partitions are checked for uploads and remote deletions (--remote-log-manager-task-interval-ms)'],
  ];
}

/**
 * A broker resource: `resourceName` "" is the cluster-wide default, which lists only the configs
 * set there (Kafka's perBrokerConfig = false); a node id lists every setting with every layer.
 */
export function describeBrokerConfigs(c: HandlerConfig, node: BrokerEndpoint, metadata: Pick<MetadataService, 'brokerConfigs'>, resourceName: string, keys: string[] | null): ConfigEntry[] {
  const layers = brokerConfigLayers(c, metadata, node.nodeId);
  const perBroker = resourceName !== '';
  const entries: ConfigEntry[] = [];
  const add = (name: string, value: string | null, type: ConfigType, readOnly: boolean, doc: string, synonyms: ConfigEntry['synonyms']) => {
    if (keys && !keys.includes(name)) return;
    if (!perBroker) synonyms = synonyms.filter((s) => s.source === ConfigSource.DYNAMIC_DEFAULT_BROKER_CONFIG);
    if (!perBroker && synonyms.length === 0) return;
    const source = synonyms[0]?.source ?? ConfigSource.DEFAULT_CONFIG;
    entries.push({ name, value: perBroker ? value : synonyms[0]!.value, readOnly, isDefault: source === ConfigSource.DEFAULT_CONFIG, configSource: source, configType: CONFIG_TYPE[type], documentation: doc, synonyms });
  };
  for (const [name, value, type, kafkaDefault, doc] of staticSettings(c, node)) {
    const synonyms: ConfigEntry['synonyms'] = [{ name, value, source: ConfigSource.STATIC_BROKER_CONFIG }];
    if (kafkaDefault !== null) synonyms.push({ name, value: kafkaDefault, source: ConfigSource.DEFAULT_CONFIG });
    add(name, value, type, true, doc, synonyms);
  }
  for (const def of BROKER_LOG_CONFIGS.values()) {
    const synonyms = brokerSynonyms(def.name, def.topicConfig, layers);
    add(def.name, synonyms[0]?.value ?? def.kafkaDefault, def.type, !def.dynamic, def.doc, synonyms);
  }
  return entries;
}
