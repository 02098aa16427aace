import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { logConfig, type LogConfig } from '../../../src/segments/log-config.ts';
import { applyRetention, deleteRecordsBefore } from '../../../src/segments/retention.ts';
import { Segment } from '../../../src/segments/segment.ts';
import { SegmentSet } from '../../../src/segments/segment-set.ts';
import { PartitionLog } from '../../../src/wal/partition-log.ts';
import { simpleBatch, silentLogger, tempDir } from './batch-fixture.ts';

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

  it('applies retention.ms and retention.bytes in one pass, reporting both, and moves the log start to the first segment left', () => {
    const made = tempDir();
    cleanups.push(made.cleanup);
    const config = logConfig({ segmentBytes: 1000, retentionMs: 10_000, retentionBytes: 2000 });
    const set = new SegmentSet(made.dir, [Segment.create(made.dir, 0n, 1n)], 0n, config, silentLogger);
    cleanups.push(() => set.closeDescriptors());
    // Five rolled segments of 1000 bytes: the first two old, the other three recent. After the two
    // old ones go, one more goes by size: the log stays at the 2000-byte limit without it.
    for (let i = 0; i < 5; i++) {
      set.active.size = 1000;
      set.active.maxTimestamp = i < 2 ? 1_000n : 100_000n;
      set.active.nextOffset = BigInt((i + 1) * 10);
      set.roll(BigInt((i + 1) * 10), 1n).rolled.releaseDescriptor();
    }
    expect(set.count).toBe(6);
    const result = applyRetention(set, config, 105_000n);
    expect(result.reasons).toEqual(['retention.ms', 'retention.bytes']);
    expect(result.deletedSegments).toBe(2 + 1);
    expect(result.deletedBytes).toBe(3000);
    expect(set.first.baseOffset).toBe(30n);
    expect(result.logStartOffset).toBe(30n);
    expect(set.logStartOffset).toBe(30n);
  });

  it('deleteRecordsBefore moves the log start only forward, within the log end, and says when it moved', () => {
    const made = tempDir();
    cleanups.push(made.cleanup);
    const set = new SegmentSet(made.dir, [Segment.create(made.dir, 0n, 1n)], 0n, logConfig(), silentLogger);
    cleanups.push(() => set.closeDescriptors());
    set.active.nextOffset = 10n;
    set.roll(10n, 1n).rolled.releaseDescriptor();
    set.active.nextOffset = 20n;
    expect(deleteRecordsBefore(set, 5n, 20n)).toEqual({ logStartOffset: 5n, deletedSegments: 0, moved: true });
    expect(deleteRecordsBefore(set, 5n, 20n)).toEqual({ logStartOffset: 5n, deletedSegments: 0, moved: false });
    expect(deleteRecordsBefore(set, 12n, 20n)).toEqual({ logStartOffset: 12n, deletedSegments: 1, moved: true });
    expect(set.first.baseOffset).toBe(10n);
    expect(() => deleteRecordsBefore(set, 21n, 20n)).toThrow(RangeError);
    expect(set.logStartOffset).toBe(12n);
  });
});
