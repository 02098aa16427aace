import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { logConfig, type LogConfig } from '../../../src/segments/log-config.ts';
import { PartitionLog } from '../../../src/wal/partition-log.ts';
import { simpleBatch, silentLogger, tempDir } from '../segments/batch-fixture.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function openLog(overrides: Partial<LogConfig>, dir?: string): { log: PartitionLog; dir: string } {
  if (!dir) {
    const made = tempDir();
    cleanups.push(made.cleanup);
    dir = made.dir;
  }
  const log = PartitionLog.open({ dir, topic: 'r', partition: 1, config: logConfig({ segmentBytes: 1000, ...overrides }), logger: silentLogger });
  return { log, dir };
}

const logFiles = (log: PartitionLog): string[] => readdirSync(log.partitionDir).filter((n) => n.endsWith('.log'));

describe('retention', () => {
  it('deletes rolled segments whose largest timestamp is past retention.ms, never the active one', () => {
    const { log } = openLog({ retentionMs: 10_000 });
    // 4 batches per segment; timestamps 1000 apart per batch.
    for (let i = 0; i < 20; i++) log.append(simpleBatch(2, 100, 1_000_000n + BigInt(i) * 1000n), 1n);
    const segments = log.segmentCount;
    const version = log.segmentsVersion;
    // Everything older than 1_010_000 goes: batches 0..9 have max timestamps <= 1_009_001.
    const result = log.applyRetention(1_020_000n);
    expect(result.reasons).toEqual(['retention.ms']);
    expect(result.deletedSegments).toBeGreaterThan(0);
    expect(log.segmentCount).toBe(segments - result.deletedSegments);
    expect(log.segmentsVersion).toBeGreaterThan(version);
    expect(log.logStartOffset).toBe(BigInt(logFiles(log).sort()[0].slice(0, 20)));
    const remaining = log.readAllSync();
    expect(remaining[0].readBigInt64BE(35)).toBeGreaterThanOrEqual(1_000_000n);
    // Far in the future: all rolled segments go, the active one stays.
    log.applyRetention(10_000_000n);
    expect(log.segmentCount).toBe(1);
    expect(log.logStartOffset).toBeLessThan(log.logEndOffset);
    log.close();
  });

  it('keeps everything with retention.ms = -1', () => {
    const { log } = openLog({ retentionMs: -1 });
    for (let i = 0; i < 20; i++) log.append(simpleBatch(2, 100, 1n), 1n);
    const before = log.segmentCount;
    expect(log.applyRetention(10n ** 15n).deletedSegments).toBe(0);
    expect(log.segmentCount).toBe(before);
    log.close();
  });

  it('deletes the oldest segments while the log exceeds retention.bytes', () => {
    const { log } = openLog({ retentionMs: -1, retentionBytes: 2500 });
    for (let i = 0; i < 30; i++) log.append(simpleBatch(2, 100), 1n);
    expect(log.logEndBytes).toBeGreaterThan(2500);
    const result = log.applyRetention(0n);
    expect(result.reasons).toEqual(['retention.bytes']);
    // Kafka's rule: a segment goes only if the log stays at or above the limit without it, so
    // what remains exceeds the limit by less than one segment.
    expect(log.logEndBytes).toBeLessThan(2500 + 1000);
    expect(log.logEndBytes).toBeGreaterThanOrEqual(2500 - 1000);
    expect(log.logStartOffset).toBe(BigInt(logFiles(log).sort()[0].slice(0, 20)));
    log.close();
  });

  it('DeleteRecords raises logStartOffset mid-segment, deletes whole segments below it, and persists', () => {
    const made = openLog({ retentionMs: -1 });
    let log = made.log;
    for (let i = 0; i < 30; i++) log.append(simpleBatch(2, 100), 1n);
    const segments = log.segmentCount;
    const result = log.deleteRecordsBefore(25n);
    expect(result.logStartOffset).toBe(25n);
    expect(result.deletedSegments).toBeGreaterThan(0);
    expect(log.segmentCount).toBe(segments - result.deletedSegments);
    const first = BigInt(logFiles(log).sort()[0].slice(0, 20));
    expect(first).toBeLessThanOrEqual(25n);
    expect(log.deleteRecordsBefore(10n).logStartOffset).toBe(25n);
    expect(() => log.deleteRecordsBefore(log.logEndOffset + 1n)).toThrow(RangeError);
    log.close();
    log = openLog({ retentionMs: -1 }, made.dir).log;
    expect(log.logStartOffset).toBe(25n);
    expect(log.readAllSync()[0].readBigInt64BE(0)).toBeLessThanOrEqual(25n);
    log.close();
  });
});
