import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { crc32c } from '../../../src/protocol/crc32c.ts';
import { logConfig } from '../../../src/segments/log-config.ts';
import { PartitionLog, syncAll } from '../../../src/wal/partition-log.ts';
import { simpleBatch, silentLogger, tempDir } from '../segments/batch-fixture.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function openLog(dir: string, overrides = {}, partition = 0): PartitionLog {
  return PartitionLog.open({ dir, topic: 'orders', partition, config: logConfig(overrides), logger: silentLogger });
}

function freshDir(): string {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  return dir;
}

describe('PartitionLog append', () => {
  it('assigns contiguous offsets by rewriting baseOffset and reads them back in order', () => {
    const dir = freshDir();
    const log = openLog(dir);
    expect(log.logStartOffset).toBe(0n);
    expect(log.logEndOffset).toBe(0n);
    const first = log.append(simpleBatch(3), 1n);
    const second = log.append(simpleBatch(5), 1n);
    expect(first).toMatchObject({ baseOffset: 0n, lastOffset: 2n, logAppendTime: -1n });
    expect(second).toMatchObject({ baseOffset: 3n, lastOffset: 7n });
    expect(log.logEndOffset).toBe(8n);
    const frames = log.readAllSync();
    expect(frames.map((f) => f.readBigInt64BE(0))).toEqual([0n, 3n]);
    log.close();
  });

  it('staged batches get their offsets at once but are written, and counted in logEndOffset, only at flushStaged', () => {
    const dir = freshDir();
    const log = openLog(dir, { segmentBytes: 2000 });
    const batch = simpleBatch(4, 100);
    const staged = [log.stage([Buffer.from(batch)], 1n), log.stage([Buffer.from(batch), Buffer.from(batch)], 1n)].flat();
    expect(staged.map((r) => r.baseOffset)).toEqual([0n, 4n, 8n]);
    expect(log.hasStaged).toBe(true);
    // Nothing is written yet: the end readers may be shown has not moved.
    expect(log.logEndOffset).toBe(0n);
    expect(log.logEndBytes).toBe(0);
    // Syncing or closing with batches staged is a bug in the caller, never a late write.
    expect(() => log.sync()).toThrow(/staged/);
    log.flushStaged();
    expect(log.hasStaged).toBe(false);
    expect(log.logEndOffset).toBe(12n);
    expect(log.logEndBytes).toBe(3 * batch.length);
    // Staging past segment.bytes writes what was staged before it rolls.
    const many = Array.from({ length: 30 }, () => Buffer.from(batch));
    log.stage(many, 1n);
    expect(log.segmentCount).toBeGreaterThan(1);
    expect(log.logEndOffset).toBeGreaterThan(12n);
    expect(log.logEndOffset).toBeLessThan(12n + 30n * 4n);
    log.flushStaged();
    expect(log.logEndOffset).toBe(12n + 30n * 4n);
    expect(log.readAllSync().map((f) => f.readBigInt64BE(0))).toEqual(Array.from({ length: 33 }, (_, i) => BigInt(i * 4)));
    log.close();
  });

  it('a stage that fails takes the log offline, and the flush of what was staged before it fails too', () => {
    const dir = freshDir();
    const log = openLog(dir);
    log.stage([simpleBatch(2)], 1n);
    // Too short to hold a batch header: staging it throws.
    expect(() => log.stage([Buffer.alloc(10)], 1n)).toThrow();
    expect(() => log.flushStaged()).toThrow(/offline/);
    expect(log.offline).toBe(true);
    expect(log.logEndOffset).toBe(0n);
    expect(() => log.append(simpleBatch(1), 1n)).toThrow(/offline/);
    log.close();
  });

  it('rolls by segment.bytes into files named by base offset, each offset in one segment', () => {
    const dir = freshDir();
    const log = openLog(dir, { segmentBytes: 2000, indexIntervalBytes: 300 });
    const versionBefore = log.segmentsVersion;
    const batch = simpleBatch(4, 100);
    for (let i = 0; i < 20; i++) log.append(Buffer.from(batch), 1n);
    expect(log.segmentCount).toBeGreaterThan(3);
    expect(log.segmentsVersion).toBeGreaterThan(versionBefore);
    const names = readdirSync(join(dir, 'orders-0')).filter((n) => n.endsWith('.log'));
    expect(names[0]).toBe('00000000000000000000.log');
    const perSegment = Math.floor(2000 / batch.length);
    expect(names[1]).toBe(`${String(perSegment * 4).padStart(20, '0')}.log`);
    const offsets = log.readAllSync().map((f) => f.readBigInt64BE(0));
    expect(offsets).toEqual(Array.from({ length: 20 }, (_, i) => BigInt(i * 4)));
    log.close();
  });

  it('rolls by segment.ms', () => {
    const dir = freshDir();
    const log = openLog(dir, { segmentMs: 1000 });
    const now = BigInt(Date.now());
    log.append(simpleBatch(1), now);
    log.append(simpleBatch(1), now + 10n);
    expect(log.segmentCount).toBe(1);
    log.append(simpleBatch(1), now + 5000n);
    expect(log.segmentCount).toBe(2);
    log.close();
  });

  it('appendMany writes several batches across a roll and keeps them in order', () => {
    const dir = freshDir();
    const log = openLog(dir, { segmentBytes: 1500 });
    const batches = Array.from({ length: 12 }, (_, i) => simpleBatch(i + 1, 50));
    const results = log.appendMany(batches, 1n);
    let expected = 0n;
    for (const [i, result] of results.entries()) {
      expect(result.baseOffset).toBe(expected);
      expected += BigInt(i + 1);
    }
    expect(log.logEndOffset).toBe(expected);
    expect(log.readAllSync().map((f) => f.readBigInt64BE(0))).toEqual(results.map((r) => r.baseOffset));
    log.close();
  });

  it('stamps LogAppendTime into attributes and maxTimestamp with a recomputed CRC', () => {
    const dir = freshDir();
    const log = openLog(dir, { messageTimestampType: 'LogAppendTime' });
    const result = log.append(simpleBatch(2), 42_000n);
    expect(result.maxTimestamp).toBe(42_000n);
    expect(result.logAppendTime).toBe(42_000n);
    const [frame] = log.readAllSync();
    expect(frame.readInt16BE(21) & 0x08).toBe(0x08);
    expect(frame.readUInt32BE(17)).toBe(crc32c(frame.subarray(21)));
    log.close();
  });

  it('tracks dirty and syncs with sync() and syncAll()', async () => {
    const dir = freshDir();
    const logs = [0, 1, 2].map((p) => openLog(dir, {}, p));
    expect(logs.every((l) => !l.dirty)).toBe(true);
    logs[0].append(simpleBatch(1), 1n);
    logs[2].append(simpleBatch(1), 1n);
    expect(logs.map((l) => l.dirty)).toEqual([true, false, true]);
    await syncAll(logs);
    expect(logs.map((l) => l.dirty)).toEqual([false, false, false]);
    logs[1].append(simpleBatch(1), 1n);
    logs[1].sync();
    expect(logs[1].dirty).toBe(false);
    for (const l of logs) l.close();
  });

  it('forEachBatchSync starts from the batch containing the offset', () => {
    const dir = freshDir();
    const log = openLog(dir, { segmentBytes: 1000, indexIntervalBytes: 100 });
    for (let i = 0; i < 30; i++) log.append(simpleBatch(2, 30), 1n);
    const seen: bigint[] = [];
    log.forEachBatchSync(41n, (_frame, info) => seen.push(info.baseOffset));
    expect(seen[0]).toBe(40n);
    expect(seen.at(-1)).toBe(58n);
    expect(seen.length).toBe(10);
    log.close();
  });

  it('reopens with the same end offset and keeps appending after it', () => {
    const dir = freshDir();
    let log = openLog(dir, { segmentBytes: 1000 });
    for (let i = 0; i < 10; i++) log.append(simpleBatch(3, 40), 1n);
    log.close();
    log = openLog(dir, { segmentBytes: 1000 });
    expect(log.logEndOffset).toBe(30n);
    expect(log.append(simpleBatch(1), 1n).baseOffset).toBe(30n);
    log.close();
  });

  it('deleteAll removes the partition directory', () => {
    const dir = freshDir();
    const log = openLog(dir);
    log.append(simpleBatch(1), 1n);
    log.deleteAll();
    expect(readdirSync(dir)).toEqual([]);
  });
});
