import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { logConfig, type LogConfig } from '../../../src/segments/log-config.ts';
import { Segment } from '../../../src/segments/segment.ts';
import { SegmentSet } from '../../../src/segments/segment-set.ts';
import { PartitionLog } from '../../../src/wal/partition-log.ts';
import { simpleBatch, silentLogger, tempDir } from './batch-fixture.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function freshSet(overrides: Partial<LogConfig> = {}, createdMs = 1_000n): SegmentSet {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const set = new SegmentSet(dir, [Segment.create(dir, 0n, createdMs)], 0n, logConfig(overrides), silentLogger);
  cleanups.push(() => set.closeDescriptors());
  return set;
}

describe('SegmentSet roll decision', () => {
  it('an empty active segment takes any batch, however large or late', () => {
    const set = freshSet({ segmentBytes: 100, segmentMs: 10 });
    expect(set.mustRoll(simpleBatch(2, 500), 0n, 0, 1_000_000n)).toBe(false);
  });

  it('rolls by segment.bytes: what is written plus what is staged plus the batch', () => {
    const batch = simpleBatch(1, 100);
    const set = freshSet({ segmentBytes: 3 * batch.length });
    expect(set.mustRoll(batch, 0n, 2 * batch.length, 1_000n)).toBe(false);
    expect(set.mustRoll(batch, 0n, 2 * batch.length + 1, 1_000n)).toBe(true);
    set.active.size = 2 * batch.length;
    expect(set.mustRoll(batch, 0n, 0, 1_000n)).toBe(false);
    expect(set.mustRoll(batch, 0n, 1, 1_000n)).toBe(true);
  });

  it('rolls by segment.ms, counted from the creation of the active segment', () => {
    const set = freshSet({ segmentMs: 60_000 }, 1_000n);
    const batch = simpleBatch(1);
    expect(set.mustRoll(batch, 0n, 10, 61_000n)).toBe(false);
    expect(set.mustRoll(batch, 0n, 10, 61_001n)).toBe(true);
  });

  it('rolls before a batch whose offsets would not fit the index relative to the segment base', () => {
    const set = freshSet();
    const batch = simpleBatch(3);
    // lastOffsetDelta is 2: base + 2 - 0 must stay within int32.
    expect(set.mustRoll(batch, 0x7fffffffn - 2n, 10, 1_000n)).toBe(false);
    expect(set.mustRoll(batch, 0x7fffffffn - 1n, 10, 1_000n)).toBe(true);
  });
});

describe('SegmentSet roll and deletion', () => {
  it('roll starts the next segment at the given base, bumps the version, and hands back the rolled one with its descriptor', () => {
    const set = freshSet();
    const version = set.version;
    const first = set.active;
    const { rolled, logDescriptor } = set.roll(42n, 2_000n);
    expect(rolled).toBe(first);
    expect(logDescriptor).toBeGreaterThanOrEqual(0);
    rolled.releaseDescriptor();
    expect(set.count).toBe(2);
    expect(set.active.baseOffset).toBe(42n);
    expect(set.active.createdMs).toBe(2_000n);
    expect(set.version).toBeGreaterThan(version);
    expect(existsSync(join(set.partitionDir, '00000000000000000042.log'))).toBe(true);
  });

  it('deleteLeading deletes from the oldest while asked, never the active segment, and raises nothing by itself', () => {
    const set = freshSet();
    set.roll(10n, 1n).rolled.releaseDescriptor();
    set.roll(20n, 1n).rolled.releaseDescriptor();
    const version = set.version;
    const deleted = set.deleteLeading(() => true);
    expect(deleted.count).toBe(2);
    expect(set.count).toBe(1);
    expect(set.first).toBe(set.active);
    expect(set.version).toBeGreaterThan(version);
    expect(readdirSync(set.partitionDir).filter((n) => n.endsWith('.log'))).toEqual(['00000000000000000020.log']);
    expect(set.logStartOffset).toBe(0n);
    set.raiseLogStartOffset(20n);
    set.raiseLogStartOffset(5n);
    expect(set.logStartOffset).toBe(20n);
    const unchanged = set.version;
    expect(set.deleteLeading(() => true).count).toBe(0);
    expect(set.version).toBe(unchanged);
  });
});

describe('SegmentSet lookup', () => {
  it('forEachBatchSync finds the segment holding an offset and starts at its batch, across rolls', () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const log = PartitionLog.open({ dir, topic: 's', partition: 0, config: logConfig({ segmentBytes: 600, indexIntervalBytes: 100 }), logger: silentLogger });
    for (let i = 0; i < 20; i++) log.append(simpleBatch(2, 40), 1n);
    expect(log.segmentCount).toBeGreaterThan(2);
    for (const from of [0n, 1n, 17n, 38n, 39n]) {
      const seen: bigint[] = [];
      log.forEachBatchSync(from, (_frame, info) => seen.push(info.baseOffset));
      const first = from - (from % 2n);
      expect(seen).toEqual(Array.from({ length: Number((40n - first) / 2n) }, (_, i) => first + BigInt(i) * 2n));
    }
    log.close();
  });
});
