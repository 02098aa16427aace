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
  /** cleanup.policy contains compact: the cleaner keeps the last record per key (cleaner.ts). */
  compact: boolean;
  /** cleanup.policy contains delete: retention.ms and retention.bytes delete old segments. */
  deleteRetention: boolean;
  /** delete.retention.ms: how long a tombstone stays once the cleaner has first kept it. */
  deleteRetentionMs: number;
  /** min.compaction.lag.ms: a segment whose newest record is younger is not cleaned. */
  minCompactionLagMs: number;
  /** max.compaction.lag.ms: a dirty record older than this makes the log cleanable whatever its ratio. */
  maxCompactionLagMs: number;
  /** min.cleanable.dirty.ratio: the share of dirty bytes at which the log is cleaned. */
  minCleanableDirtyRatio: number;
  /** remote.storage.enable: rolled segments are uploaded and served from the object store too. */
  remoteStorageEnable: boolean;
  /** local.retention.ms: how long an uploaded segment stays local; -2: retention.ms, -1: forever. */
  localRetentionMs: number;
  /** local.retention.bytes: local bytes kept once uploaded; -2: retention.bytes, -1: no limit. */
  localRetentionBytes: number;
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
  compact: false,
  deleteRetention: true,
  deleteRetentionMs: DAY_MS,
  minCompactionLagMs: 0,
  maxCompactionLagMs: Number.MAX_SAFE_INTEGER,
  minCleanableDirtyRatio: 0.5,
  remoteStorageEnable: false,
  localRetentionMs: -2,
  localRetentionBytes: -2,
});

export function logConfig(overrides: Partial<LogConfig> = {}): LogConfig {
  return { ...DEFAULT_LOG_CONFIG, ...overrides };
}
