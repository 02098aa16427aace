// Per-partition log settings (Kafka's topic configs of the same names) and Kafka's defaults.

export interface LogConfig {
  /** segment.bytes: roll when the active segment would grow past this. */
  segmentBytes: number;
  /** segment.ms: roll when the active segment's first batch is older than this. */
  segmentMs: number;
  /** retention.ms: delete rolled segments whose largest timestamp is older; -1 keeps forever. */
  retentionMs: number;
  /** retention.bytes: delete the oldest rolled segments while the log is larger; -1 = no limit. */
  retentionBytes: number;
  /** index.interval.bytes: bytes of log between two sparse index entries. */
  indexIntervalBytes: number;
  /** max.message.bytes: the largest batch accepted (checked by the caller's validation). */
  maxMessageBytes: number;
  /** message.timestamp.type: LogAppendTime makes the broker stamp each batch on append. */
  messageTimestampType: 'CreateTime' | 'LogAppendTime';
}

const DAY_MS = 24 * 60 * 60 * 1000;

export const DEFAULT_LOG_CONFIG: Readonly<LogConfig> = Object.freeze({
  segmentBytes: 1024 * 1024 * 1024,
  segmentMs: 7 * DAY_MS,
  retentionMs: 7 * DAY_MS,
  retentionBytes: -1,
  indexIntervalBytes: 4096,
  // 1 MiB plus the 12-byte log overhead (offset + length), as Kafka's default.
  maxMessageBytes: 1024 * 1024 + 12,
  messageTimestampType: 'CreateTime',
});

export function logConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, ...overrides };
}
