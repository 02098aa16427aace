import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { logConfig } from '../../../src/segments/log-config.ts';
import { CHECKPOINT_FILE, CLEAN_SHUTDOWN_FILE, CheckpointFile } from '../../../src/wal/checkpoint.ts';
import { PartitionLog } from '../../../src/wal/partition-log.ts';
import { recoverSegments, validateSegment } from '../../../src/wal/recovery.ts';
import { recordingLogger, simpleBatch, silentLogger, tempDir } from '../segments/batch-fixture.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

const config = logConfig({ segmentBytes: 4096, indexIntervalBytes: 256 });

function freshDir(): string {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  return dir;
}

function open(dir: string, logger = silentLogger): PartitionLog {
  return PartitionLog.open({ dir, topic: 't', partition: 3, config, logger });
}

function activeLogPath(log: PartitionLog): string {
  const names = readdirSync(log.partitionDir).filter((n) => n.endsWith('.log')).sort();
  return join(log.partitionDir, names.at(-1)!);
}

/** Drops the log as a crash would: no close(), so no final sync and no clean-shutdown marker. */
function abandon(_log: PartitionLog): void {}

/** Writes batches, syncs some, appends more without sync; returns the log and its offsets. */
function populate(dir: string, synced: number, unsynced: number): PartitionLog {
  const log = open(dir);
  for (let i = 0; i < synced; i++) log.append(simpleBatch(2, 60), 1_000n + BigInt(i));
  log.sync();
  for (let i = 0; i < unsynced; i++) log.append(simpleBatch(2, 60), 2_000n + BigInt(i));
  return log;
}

describe('recovery', () => {
  it('truncates a torn tail (file cut mid-batch) and logs what was cut', () => {
    const dir = freshDir();
    const log = populate(dir, 5, 3);
    const path = activeLogPath(log);
    const endBefore = log.logEndOffset;
    abandon(log);
    const size = statSync(path).size;
    truncateSync(path, size - 20);
    const { logger, warnings } = recordingLogger();
    const reopened = open(dir, logger);
    expect(reopened.logEndOffset).toBe(endBefore - 2n);
    expect(warnings.some((w) => w.msg === 'recovery truncated a torn or corrupt tail' && w.reason === 'torn')).toBe(true);
    expect(statSync(path).size).toBe(size - simpleBatch(2, 60).length);
    expect(reopened.append(simpleBatch(1), 1n).baseOffset).toBe(endBefore - 2n);
    reopened.close();
  });

  it('truncates at a flipped bit in the last batch (CRC-32C)', () => {
    const dir = freshDir();
    const log = populate(dir, 2, 2);
    const path = activeLogPath(log);
    const endBefore = log.logEndOffset;
    abandon(log);
    const bytes = readFileSync(path);
    bytes[bytes.length - 10] ^= 0x04;
    writeFileSync(path, bytes);
    const { logger, warnings } = recordingLogger();
    const reopened = open(dir, logger);
    expect(reopened.logEndOffset).toBe(endBefore - 2n);
    expect(warnings.find((w) => w.reason === 'bad-crc')).toBeDefined();
    reopened.close();
  });

  it('after an unclean stop, checks the whole active segment: corruption before the checkpoint is cut too', () => {
    const dir = freshDir();
    const log = populate(dir, 3, 0);
    const path = activeLogPath(log);
    abandon(log);
    // Flip a payload bit in the first (checkpointed, durable) batch: headers still walk.
    const bytes = readFileSync(path);
    bytes[80] ^= 0x01;
    writeFileSync(path, bytes);
    const reopened = open(dir);
    // The damaged first batch and everything after it are cut: nothing that fails its CRC is served.
    expect(reopened.logEndOffset).toBe(0n);
    reopened.close();
  });

  it('rebuilds a missing or damaged .index / .timeindex', () => {
    const dir = freshDir();
    let log = open(dir);
    for (let i = 0; i < 60; i++) log.append(simpleBatch(2, 60), BigInt(i));
    log.close();
    const partitionDir = join(dir, 't-3');
    const indexes = readdirSync(partitionDir).filter((n) => n.endsWith('.index')).sort();
    expect(indexes.length).toBeGreaterThan(1);
    const firstIndex = join(partitionDir, indexes[0]);
    const firstIndexBytes = readFileSync(firstIndex);
    expect(firstIndexBytes.length).toBeGreaterThan(0);
    unlinkSync(firstIndex);
    const lastIndex = join(partitionDir, indexes.at(-1)!);
    writeFileSync(lastIndex, Buffer.from([1, 2, 3]));
    unlinkSync(join(partitionDir, indexes[0].replace('.index', '.timeindex')));
    const { logger, warnings } = recordingLogger();
    log = open(dir, logger);
    expect(readFileSync(firstIndex).equals(firstIndexBytes)).toBe(true);
    expect(readFileSync(lastIndex).length % 8).toBe(0);
    expect(warnings.length).toBeGreaterThanOrEqual(2);
    expect(log.logEndOffset).toBe(120n);
    log.close();
  });

  it('skips the tail scan when the clean-shutdown marker is present, and removes the marker', () => {
    const dir = freshDir();
    let log = open(dir);
    for (let i = 0; i < 3; i++) log.append(simpleBatch(2, 60), 1n);
    log.close();
    const marker = join(dir, 't-3', CLEAN_SHUTDOWN_FILE);
    expect(existsSync(marker)).toBe(true);
    // A flipped payload bit would be cut by a scan; with a clean marker nothing is scanned.
    const path = join(dir, 't-3', '00000000000000000000.log');
    const bytes = readFileSync(path);
    bytes[bytes.length - 5] ^= 0x10;
    writeFileSync(path, bytes);
    // Without a checkpoint too, so that only the marker can explain a skipped scan.
    unlinkSync(join(dir, 't-3', CHECKPOINT_FILE));
    log = open(dir);
    expect(log.logEndOffset).toBe(6n);
    expect(existsSync(marker)).toBe(false);
    abandon(log);
    // Without marker and checkpoint the next open validates the whole segment and cuts the bad batch.
    unlinkSync(join(dir, 't-3', CHECKPOINT_FILE));
    log = open(dir);
    expect(log.logEndOffset).toBe(4n);
    log.close();
  });

  it('ignores a clean marker whose recorded size does not match the file', () => {
    const dir = freshDir();
    let log = open(dir);
    for (let i = 0; i < 3; i++) log.append(simpleBatch(2, 60), 1n);
    log.close();
    const path = join(dir, 't-3', '00000000000000000000.log');
    truncateSync(path, statSync(path).size - 7);
    log = open(dir);
    expect(log.logEndOffset).toBe(4n);
    log.close();
  });

  it('recovers a log whose active segment rolled after the last sync', () => {
    const dir = freshDir();
    const log = populate(dir, 2, 80);
    const endBefore = log.logEndOffset;
    abandon(log);
    const reopened = open(dir);
    expect(reopened.logEndOffset).toBe(endBefore);
    expect(reopened.readAllSync().length).toBe(82);
    reopened.close();
  });

  it('after a crash, validates rolled segments whose background sync may not have finished, and cuts at the first damaged one', () => {
    const dir = freshDir();
    const log = populate(dir, 2, 120);
    // A crash right now, in this synchronous turn: the rolled segments' background fdatasyncs have
    // not completed, so the checkpoint still points into the first segment. The copy is what a
    // crash would leave.
    const crashed = freshDir();
    cpSync(join(dir, 't-3'), join(crashed, 't-3'), { recursive: true });
    log.close();
    const logs = () => readdirSync(join(crashed, 't-3')).filter((n) => n.endsWith('.log')).sort();
    const before = logs();
    expect(before.length).toBeGreaterThanOrEqual(4);
    const third = join(crashed, 't-3', before[2]!);
    const bytes = readFileSync(third);
    bytes[Math.floor(bytes.length / 2)] ^= 0x20;
    writeFileSync(third, bytes);
    const { logger, warnings } = recordingLogger();
    const reopened = PartitionLog.open({ dir: crashed, topic: 't', partition: 3, config, logger });
    expect(warnings.some((w) => String(w.msg).startsWith('recovery found a rolled segment'))).toBe(true);
    // The damaged segment is now the active one, cut at the damaged batch; the later ones are gone.
    expect(logs()).toEqual(before.slice(0, 3));
    const thirdBase = BigInt(before[2]!.slice(0, 20));
    const fourthBase = BigInt(before[3]!.slice(0, 20));
    expect(reopened.logEndOffset).toBeGreaterThanOrEqual(thirdBase);
    expect(reopened.logEndOffset).toBeLessThan(fourthBase);
    const frames = reopened.readAllSync();
    expect(frames.map((f) => f.readBigInt64BE(0))).toEqual(frames.map((_, i) => BigInt(i * 2)));
    // Appends go on from the cut, contiguous.
    expect(reopened.append(simpleBatch(1), 1n).baseOffset).toBe(reopened.logEndOffset - 1n);
    reopened.close();
  });

  it('a crash copy with whole rolled segments recovers everything, and syncAsync moves the checkpoint past the rolls', async () => {
    const dir = freshDir();
    const log = populate(dir, 2, 120);
    const end = log.logEndOffset;
    const crashed = freshDir();
    cpSync(join(dir, 't-3'), join(crashed, 't-3'), { recursive: true });
    expect(log.dirty).toBe(true);
    await log.syncAsync();
    expect(log.dirty).toBe(false);
    const activeBase = BigInt(readdirSync(log.partitionDir).filter((n) => n.endsWith('.log')).sort().at(-1)!.slice(0, 20));
    const checkpoint = new CheckpointFile(log.partitionDir);
    expect(checkpoint.loaded?.segmentBase).toBe(activeBase);
    checkpoint.close();
    log.close();
    const { logger, warnings } = recordingLogger();
    const reopened = PartitionLog.open({ dir: crashed, topic: 't', partition: 3, config, logger });
    expect(reopened.logEndOffset).toBe(end);
    expect(warnings).toEqual([]);
    reopened.close();
  });
});

describe('recoverSegments', () => {
  const partitionDirOf = (dir: string): string => join(dir, 't-3');
  const logNames = (dir: string): string[] => readdirSync(partitionDirOf(dir)).filter((n) => n.endsWith('.log')).sort();

  it('validateSegment checks a whole segment and says where and why it must be cut', () => {
    const dir = freshDir();
    const log = populate(dir, 3, 0);
    const path = activeLogPath(log);
    log.close();
    const batch = simpleBatch(2, 60).length;
    expect(validateSegment(path, 0n)).toEqual({ validBytes: 3 * batch, nextOffset: 6n, cutBytes: 0, problem: null, batchesValidated: 3 });
    truncateSync(path, 3 * batch - 1);
    expect(validateSegment(path, 0n)).toEqual({ validBytes: 2 * batch, nextOffset: 4n, cutBytes: batch - 1, problem: 'torn', batchesValidated: 2 });
    // Offsets must start at the segment's base.
    expect(validateSegment(path, 1n)).toMatchObject({ validBytes: 0, nextOffset: 1n, problem: 'offset-gap' });
  });

  it('cuts a torn rolled segment past the recovery point, makes it the active one and removes the later segments', () => {
    const dir = freshDir();
    const log = populate(dir, 2, 120);
    const crashed = freshDir();
    cpSync(partitionDirOf(dir), partitionDirOf(crashed), { recursive: true });
    log.close();
    const before = logNames(crashed);
    expect(before.length).toBeGreaterThanOrEqual(4);
    const second = join(partitionDirOf(crashed), before[1]!);
    truncateSync(second, statSync(second).size - 30);
    const checkpoint = new CheckpointFile(partitionDirOf(crashed));
    const { logger, warnings } = recordingLogger();
    const recovered = recoverSegments(partitionDirOf(crashed), checkpoint.loaded, config.indexIntervalBytes, logger);
    checkpoint.close();
    expect(recovered.segments.map((s) => s.files.log.slice(-24))).toEqual(before.slice(0, 2));
    expect(logNames(crashed)).toEqual(before.slice(0, 2));
    const active = recovered.segments.at(-1)!;
    expect(active.nextOffset).toBeLessThan(BigInt(before[2]!.slice(0, 20)));
    expect(active.size).toBe(statSync(second).size);
    expect(warnings.some((w) => w.reason === 'torn' && Array.isArray(w.removedSegments))).toBe(true);
    expect(recovered.logStartOffset).toBe(0n);
    for (const segment of recovered.segments) segment.closeDescriptors();
  });

  it('does not scan segments before the recovery point: they were synced before the point moved past them', async () => {
    const dir = freshDir();
    const log = populate(dir, 2, 120);
    await log.syncAsync();
    const crashed = freshDir();
    cpSync(partitionDirOf(dir), partitionDirOf(crashed), { recursive: true });
    const end = log.logEndOffset;
    log.close();
    const before = logNames(crashed);
    // Damage inside the second segment, which the checkpoint has moved past: not scanned, kept.
    const second = join(partitionDirOf(crashed), before[1]!);
    const bytes = readFileSync(second);
    bytes[Math.floor(bytes.length / 2)] ^= 0x20;
    writeFileSync(second, bytes);
    const checkpoint = new CheckpointFile(partitionDirOf(crashed));
    expect(checkpoint.loaded?.segmentBase).toBe(BigInt(before.at(-1)!.slice(0, 20)));
    const recovered = recoverSegments(partitionDirOf(crashed), checkpoint.loaded, config.indexIntervalBytes, silentLogger);
    checkpoint.close();
    expect(logNames(crashed)).toEqual(before);
    expect(recovered.segments.at(-1)!.nextOffset).toBe(end);
    for (const segment of recovered.segments) segment.closeDescriptors();
  });

  it('creates the first segment of an empty directory at the checkpoint\'s log start offset', () => {
    const dir = freshDir();
    const partitionDir = join(dir, 'empty-0');
    mkdirSync(partitionDir);
    const recovered = recoverSegments(partitionDir, { logStartOffset: 77n, segmentBase: 77n, position: 0, offset: 77n }, 4096, silentLogger);
    expect(recovered.segments.map((s) => s.baseOffset)).toEqual([77n]);
    expect(recovered.logStartOffset).toBe(77n);
    expect(readdirSync(partitionDir)).toContain('00000000000000000077.log');
    recovered.segments[0].closeDescriptors();
  });
});
