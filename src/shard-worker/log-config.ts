// Turns a topic's effective configs (Kafka names, string values) into the log's settings, and its
// compression.type into the codec the shard stores batches with.
import { compressionCodecId, type CompressionCodec } from '../protocol/compression.ts';
import { logConfig, type LogConfig } from '../segments/log-config.ts';
import type { CompressionTarget } from './parked-appends.ts';

/**
 * compression.type as Kafka's LogValidator applies it: `producer` (the default) stores batches as
 * they came, null here; `uncompressed` or a codec rebuilds every batch of another codec with it,
 * at the topic's level for gzip and zstd (-1 and 3 are the codecs' defaults; lz4 has one level).
 */
export function compressionTargetOf(configs: Record<string, string>): CompressionTarget | null {
  const type = configs['compression.type'] ?? 'producer';
  if (type === 'producer') return null;
  const codec: CompressionCodec = type === 'uncompressed' ? 'none' : (type as CompressionCodec);
  const levelName = codec === 'gzip' ? 'compression.gzip.level' : codec === 'zstd' ? 'compression.zstd.level' : undefined;
  const raw = levelName === undefined ? undefined : configs[levelName];
  const keyRequired = (configs['cleanup.policy'] ?? 'delete').split(',').some((p) => p.trim() === 'compact');
  return { codec, id: compressionCodecId(codec), level: raw === undefined ? undefined : Number(raw), keyRequired };
}

export function logConfigFromTopicConfigs(configs: Record<string, string>): LogConfig {
  const num = (name: string, fallback: number): number => {
    const raw = configs[name];
    return raw === undefined ? fallback : Number(raw);
  };
  const defaults = logConfig();
  const policy = (configs['cleanup.policy'] ?? 'delete').split(',').map((p) => p.trim());
  // Longs past 2^53 (max.compaction.lag.ms defaults to Long.MAX_VALUE) only ever mean "never".
  const lag = (name: string, fallback: number): number => Math.min(num(name, fallback), Number.MAX_SAFE_INTEGER);
  return logConfig({
    segmentBytes: num('segment.bytes', defaults.segmentBytes),
    segmentMs: num('segment.ms', defaults.segmentMs),
    retentionMs: num('retention.ms', defaults.retentionMs),
    retentionBytes: num('retention.bytes', defaults.retentionBytes),
    indexIntervalBytes: num('index.interval.bytes', defaults.indexIntervalBytes),
    maxMessageBytes: num('max.message.bytes', defaults.maxMessageBytes),
    messageTimestampType: configs['message.timestamp.type'] === 'LogAppendTime' ? 'LogAppendTime' : 'CreateTime',
    compact: policy.includes('compact'),
    deleteRetention: policy.includes('delete'),
    deleteRetentionMs: lag('delete.retention.ms', defaults.deleteRetentionMs),
    minCompactionLagMs: lag('min.compaction.lag.ms', defaults.minCompactionLagMs),
    maxCompactionLagMs: lag('max.compaction.lag.ms', defaults.maxCompactionLagMs),
    minCleanableDirtyRatio: num('min.cleanable.dirty.ratio', defaults.minCleanableDirtyRatio),
    remoteStorageEnable: (configs['remote.storage.enable'] ?? 'false').trim().toLowerCase() === 'true',
    localRetentionMs: num('local.retention.ms', defaults.localRetentionMs),
    localRetentionBytes: num('local.retention.bytes', defaults.localRetentionBytes),
  });
}
