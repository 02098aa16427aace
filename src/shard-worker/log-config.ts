// Turns a topic's effective configs (Kafka names, string values) into the log's settings.
import { logConfig, type LogConfig } from '../segments/log-config.ts';

export function logConfigFromTopicConfigs(configs: Record<string, string>): LogConfig {
  const num = (name: string, fallback: number): number => {
    const raw = configs[name];
    return raw === undefined ? fallback : Number(raw);
  };
  const defaults = logConfig();
  return logConfig({
    segmentBytes: num('segment.bytes', defaults.segmentBytes),
    segmentMs: num('segment.ms', defaults.segmentMs),
    retentionMs: num('retention.ms', defaults.retentionMs),
    retentionBytes: num('retention.bytes', defaults.retentionBytes),
    indexIntervalBytes: num('index.interval.bytes', defaults.indexIntervalBytes),
    maxMessageBytes: num('max.message.bytes', defaults.maxMessageBytes),
    messageTimestampType: configs['message.timestamp.type'] === 'LogAppendTime' ? 'LogAppendTime' : 'CreateTime',
  });
}
