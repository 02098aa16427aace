// Idle partition logs give their descriptors back and take them again on use (issue 15 defect 3):
// the bytes, the indexes and the recovery point come through intact, a dirty log keeps its files,
// and the thread's bound releases the least recently written logs first.
import { readdirSync } from 'node:fs';
import { afterEach, expect, it } from 'vitest';
import { logConfig } from '../../../src/segments/log-config.ts';
import { PartitionLog, syncAll } from '../../../src/wal/partition-log.ts';
import { openLogCount, setOpenLogLimit } from '../../../src/wal/open-logs.ts';
import { MAX_CREATION_SYNCS_IN_FLIGHT } from '../../../src/wal/creation-syncs.ts';
import { simpleBatch, silentLogger, tempDir } from '../segments/batch-fixture.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  setOpenLogLimit(Infinity);
  while (cleanups.length) cleanups.pop()!();
});

function fresh(): string {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  return dir;
}

const openFds = () => readdirSync('/proc/self/fd').length;
const open = (dir: string, partition: number) => PartitionLog.open({ dir, topic: 'idle', partition, config: logConfig({ indexIntervalBytes: 1 }), logger: silentLogger });

it('a released log reopens on the next write; bytes, offsets and indexes are whole, and a restart finds them', async () => {
  const dir = fresh();
  const log = open(dir, 0);
  log.append(simpleBatch(3), 1n);
  // Dirty: it keeps its files.
  expect(log.releaseIdleDescriptors()).toBe(false);
  await syncAll([log]);
  const before = openFds();
  expect(log.releaseIdleDescriptors()).toBe(true);
  expect(openFds()).toBe(before - 4);
  expect(log.append(simpleBatch(2), 1n)).toMatchObject({ baseOffset: 3n, lastOffset: 4n });
  await syncAll([log]);
  expect(log.releaseIdleDescriptors()).toBe(true);
  log.append(simpleBatch(4), 1n);
  expect(log.readAllSync().map((f) => f.readBigInt64BE(0))).toEqual([0n, 3n, 5n]);
  log.close();
  const again = open(dir, 0);
  expect(again.logEndOffset).toBe(9n);
  expect(again.readAllSync().map((f) => f.readBigInt64BE(0))).toEqual([0n, 3n, 5n]);
  again.close();
});

it('over the thread bound, the least recently written idle logs let go of their files', async () => {
  const dir = fresh();
  setOpenLogLimit(3);
  const base = openLogCount();
  const baseFds = openFds();
  const logs = Array.from({ length: 10 }, (_, p) => open(dir, p));
  // Each open was idle and synced: only the bound's worth hold descriptors.
  expect(openLogCount() - base).toBeLessThanOrEqual(3);
  // (New logs' creation syncs, running off the loop, hold a descriptor each while they run.)
  expect(openFds() - baseFds).toBeLessThanOrEqual(3 * 4 + 2 + MAX_CREATION_SYNCS_IN_FLIGHT);
  for (const log of logs) {
    log.append(simpleBatch(1), 1n);
    await syncAll([log]);
  }
  // (New logs' creation syncs, running off the loop, hold a descriptor each while they run.)
  expect(openFds() - baseFds).toBeLessThanOrEqual(3 * 4 + 2 + MAX_CREATION_SYNCS_IN_FLIGHT);
  for (const log of logs) expect(log.logEndOffset).toBe(1n);
  for (const log of logs) log.close();
});
