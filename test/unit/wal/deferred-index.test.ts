// Index entries are deferred in memory until DEFERRED_INDEX_ENTRIES are pending (a commit with many
// partitions then writes few index files), and written at roll, close, sync and idle release: the
// files must still end up as a rebuild from the log makes them, and a crash with entries pending
// must recover every batch.
import { cpSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { logConfig } from '../../../src/segments/log-config.ts';
import { OFFSET_INDEX_ENTRY_BYTES, TIME_INDEX_ENTRY_BYTES } from '../../../src/segments/layout.ts';
import { DEFERRED_INDEX_ENTRIES } from '../../../src/segments/segment.ts';
import { PartitionLog } from '../../../src/wal/partition-log.ts';
import { simpleBatch, silentLogger, tempDir } from '../segments/batch-fixture.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

// Every batch (~600 bytes) after the first of a segment earns an offset entry.
const config = logConfig({ segmentBytes: 64 * 1024, indexIntervalBytes: 100 });

function freshDir(): string {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  return dir;
}

function open(dir: string): PartitionLog {
  return PartitionLog.open({ dir, topic: 't', partition: 0, config, logger: silentLogger });
}

function files(log: PartitionLog, suffix: string): string[] {
  return readdirSync(log.partitionDir).filter((n) => n.endsWith(suffix)).sort().map((n) => join(log.partitionDir, n));
}

function entries(path: string, bytesPerEntry: number): number {
  return statSync(path).size / bytesPerEntry;
}

/** Appends `n` batches of 5 records, one write each (as the shard's commits do), timestamps rising. */
function appendBatches(log: PartitionLog, n: number, from = 0): void {
  for (let i = 0; i < n; i++) log.append(simpleBatch(5, 100, 1_700_000_000_000n + BigInt((from + i) * 10)), 1n);
}

/** A copy of the partition directory as a crash leaves it: the open log never closed. */
function crashCopy(log: PartitionLog): string {
  const crashed = freshDir();
  cpSync(log.partitionDir, join(crashed, 't-0'), { recursive: true });
  return crashed;
}

/** The index files a rebuild from the .log writes for the same directory (they are deleted first). */
function rebuiltIndexes(dir: string): { offset: Buffer[]; time: Buffer[] } {
  const copy = freshDir();
  cpSync(join(dir, 't-0'), join(copy, 't-0'), { recursive: true });
  const partition = join(copy, 't-0');
  for (const name of readdirSync(partition)) if (name.endsWith('.index') || name.endsWith('.timeindex') || name.startsWith('.') || name.includes('checkpoint') || name.includes('shutdown')) rmSync(join(partition, name), { force: true });
  const log = open(copy);
  log.close();
  return { offset: files(log, '.index').map((p) => readFileSync(p)), time: files(log, '.timeindex').map((p) => readFileSync(p)) };
}

function readOffsets(log: PartitionLog): bigint[] {
  const offsets: bigint[] = [];
  log.forEachBatchSync(log.logStartOffset, (_frame, info) => offsets.push(info.baseOffset));
  return offsets;
}

describe('deferred index entries', () => {
  it('reach the files DEFERRED_INDEX_ENTRIES at a time, while reads from any offset find their batch at once', () => {
    const dir = freshDir();
    const log = open(dir);
    const [offsetIndex] = files(log, '.index');
    for (let n = 1; n <= 3 * DEFERRED_INDEX_ENTRIES + 3; n++) {
      appendBatches(log, 1, n);
      // n batches give n - 1 entries; only whole groups of DEFERRED_INDEX_ENTRIES are written.
      const expected = Math.floor((n - 1) / DEFERRED_INDEX_ENTRIES) * DEFERRED_INDEX_ENTRIES;
      expect(entries(offsetIndex!, OFFSET_INDEX_ENTRY_BYTES)).toBe(expected);
      // The writer's in-memory index has every entry: a read from the newest batch starts there.
      const newest = log.logEndOffset - 5n;
      const seen: bigint[] = [];
      log.forEachBatchSync(newest, (_f, info) => seen.push(info.baseOffset));
      expect(seen).toEqual([newest]);
    }
    log.close();
  });

  it('a roll writes the rolled segment\'s pending entries; close writes the active one\'s: both as a rebuild makes them', () => {
    const dir = freshDir();
    const log = open(dir);
    // ~600 bytes a batch, 64 KiB segments: three rolls and a part-filled active segment.
    appendBatches(log, 340);
    expect(log.segmentCount).toBeGreaterThanOrEqual(4);
    const rolledIndexes = files(log, '.index').slice(0, -1);
    // Rolled segments are whole at once, before any close.
    const rebuiltBeforeClose = rebuiltIndexes(dir);
    rolledIndexes.forEach((path, i) => expect(readFileSync(path).equals(rebuiltBeforeClose.offset[i]!)).toBe(true));
    log.close();
    const rebuilt = rebuiltIndexes(dir);
    const offsetFiles = files(log, '.index');
    const timeFiles = files(log, '.timeindex');
    offsetFiles.forEach((path, i) => expect(readFileSync(path).equals(rebuilt.offset[i]!)).toBe(true));
    timeFiles.forEach((path, i) => expect(readFileSync(path).equals(rebuilt.time[i]!)).toBe(true));
    // The clean reopen trusts those files and goes on appending after them.
    const reopened = open(dir);
    appendBatches(reopened, 20, 340);
    expect(readOffsets(reopened)).toEqual(Array.from({ length: 360 }, (_, i) => BigInt(i * 5)));
    reopened.close();
  });

  it('sync and an idle release write what is pending', () => {
    const dir = freshDir();
    const log = open(dir);
    const [offsetIndex] = files(log, '.index');
    appendBatches(log, 5);
    expect(entries(offsetIndex!, OFFSET_INDEX_ENTRY_BYTES)).toBe(0);
    log.sync();
    expect(entries(offsetIndex!, OFFSET_INDEX_ENTRY_BYTES)).toBe(4);
    appendBatches(log, 3, 5);
    expect(entries(offsetIndex!, OFFSET_INDEX_ENTRY_BYTES)).toBe(4);
    log.sync();
    expect(entries(offsetIndex!, OFFSET_INDEX_ENTRY_BYTES)).toBe(7);
    appendBatches(log, 2, 8);
    // Not idle while unsynced; once synced, the release writes the pending entries and closes.
    expect(log.releaseIdleDescriptors()).toBe(false);
    log.sync();
    appendBatches(log, 0);
    expect(entries(offsetIndex!, OFFSET_INDEX_ENTRY_BYTES)).toBe(9);
    appendBatches(log, 2, 10);
    log.sync();
    expect(log.releaseIdleDescriptors()).toBe(true);
    expect(entries(offsetIndex!, OFFSET_INDEX_ENTRY_BYTES)).toBe(11);
    // Reopened on the next append, the entries go on from there.
    appendBatches(log, DEFERRED_INDEX_ENTRIES, 12);
    log.close();
    expect(entries(offsetIndex!, OFFSET_INDEX_ENTRY_BYTES)).toBe(11 + DEFERRED_INDEX_ENTRIES);
    expect(readFileSync(offsetIndex!).equals(rebuiltIndexes(dir).offset[0]!)).toBe(true);
  });

  it('a crash with entries pending (index files short of the log) recovers every batch and rebuilds the indexes whole', () => {
    const dir = freshDir();
    const log = open(dir);
    // Two rolls, then an active segment with pending entries, synced so the checkpoint is in it.
    appendBatches(log, 230);
    log.sync();
    appendBatches(log, DEFERRED_INDEX_ENTRIES + 3, 230);
    const total = 230 + DEFERRED_INDEX_ENTRIES + 3;
    const activeIndex = files(log, '.index').at(-1)!;
    const activeLog = files(log, '.log').at(-1)!;
    const activeBatches = readOffsets(log).filter((o) => o >= BigInt(activeLog.match(/(\d{20})\.log$/)![1]!)).length;
    // The file lags the log: fewer entries than the active segment's batches less one.
    expect(entries(activeIndex, OFFSET_INDEX_ENTRY_BYTES)).toBeLessThan(activeBatches - 1);
    const crashed = crashCopy(log);
    log.close();
    const recovered = open(crashed);
    expect(recovered.logEndOffset).toBe(BigInt(total * 5));
    expect(readOffsets(recovered)).toEqual(Array.from({ length: total }, (_, i) => BigInt(i * 5)));
    // Every batch is found from its own offset (the rebuilt index is used for the floor).
    for (let i = 0; i < total; i += 7) {
      const seen: bigint[] = [];
      recovered.forEachBatchSync(BigInt(i * 5 + 2), (_f, info) => { if (seen.length === 0) seen.push(info.baseOffset); });
      expect(seen).toEqual([BigInt(i * 5)]);
    }
    const recoveredIndex = files(recovered, '.index').at(-1)!;
    expect(entries(recoveredIndex, OFFSET_INDEX_ENTRY_BYTES)).toBe(activeBatches - 1);
    expect(entries(files(recovered, '.timeindex').at(-1)!, TIME_INDEX_ENTRY_BYTES)).toBeGreaterThanOrEqual(activeBatches - 1);
    appendBatches(recovered, 5, total);
    recovered.close();
    const again = open(crashed);
    expect(readOffsets(again)).toEqual(Array.from({ length: total + 5 }, (_, i) => BigInt(i * 5)));
    again.close();
  });
});
