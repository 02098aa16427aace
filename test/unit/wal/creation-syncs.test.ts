// A new partition log's files are made durable off the shard's loop (issue 18 goal 3): creation
// syncs run a few at a time on the threadpool, a request for a path whose sync has not started
// joins it, a directory deleted meanwhile is no error, a sync of the new log waits for them, and a
// reopened log queues none.
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { logConfig } from '../../../src/segments/log-config.ts';
import { MAX_CREATION_SYNCS_IN_FLIGHT, creationSyncsIdle, creationSyncsPending, queueCreationSync } from '../../../src/wal/creation-syncs.ts';
import { PartitionLog, syncAll } from '../../../src/wal/partition-log.ts';
import { simpleBatch, silentLogger, tempDir } from '../segments/batch-fixture.ts';

const cleanups: Array<() => void> = [];
afterEach(async () => {
  await creationSyncsIdle();
  while (cleanups.length) cleanups.pop()!();
});

function freshDir(): string {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  return dir;
}

const openLog = (dir: string, partition: number) => PartitionLog.open({ dir, topic: 'wide', partition, config: logConfig({}), logger: silentLogger });

it('runs a bounded number at once, and a request for a path not yet started joins its sync', async () => {
  const dir = freshDir();
  const dirs = Array.from({ length: 10 }, (_, i) => join(dir, `d${i}`));
  for (const d of dirs) mkdirSync(d);
  await creationSyncsIdle();
  const syncs = dirs.map((d) => queueCreationSync('directory', d));
  expect(MAX_CREATION_SYNCS_IN_FLIGHT).toBeLessThan(dirs.length);
  expect(creationSyncsPending()).toBe(dirs.length);
  // The last one is still queued: asking again shares it.
  expect(queueCreationSync('directory', dirs.at(-1)!)).toBe(syncs.at(-1));
  expect(creationSyncsPending()).toBe(dirs.length);
  // The first one has started: a new request may have entries it does not cover, so it gets its own.
  void queueCreationSync('directory', dirs[0]!);
  expect(creationSyncsPending()).toBe(dirs.length + 1);
  await Promise.all(syncs);
  await creationSyncsIdle();
  expect(creationSyncsPending()).toBe(0);
});

it('resolves for a directory or file deleted before its sync ran', async () => {
  const dir = freshDir();
  const dirs = Array.from({ length: 8 }, (_, i) => join(dir, `gone${i}`));
  for (const d of dirs) mkdirSync(d);
  const syncs = [...dirs.map((d) => queueCreationSync('directory', d)), queueCreationSync('file', join(dirs[7]!, 'recovery-checkpoint'))];
  for (const d of dirs.slice(MAX_CREATION_SYNCS_IN_FLIGHT)) rmSync(d, { recursive: true });
  await expect(Promise.all(syncs)).resolves.toBeDefined();
});

it('opening many new logs queues their syncs (one for the shared data directory) instead of running them inline', async () => {
  const dir = freshDir();
  await creationSyncsIdle();
  const logs = Array.from({ length: 50 }, (_, p) => openLog(dir, p));
  // Each log: its directory and its checkpoint; the data directory's sync is shared by nearly all.
  const pending = creationSyncsPending();
  expect(pending).toBeGreaterThanOrEqual(2 * logs.length);
  expect(pending).toBeLessThanOrEqual(2 * logs.length + 2);
  expect(logs.every((l) => l.creationPending)).toBe(true);
  // Nothing appended: not dirty, so fsync=never and interval have nothing of theirs to do.
  expect(logs.some((l) => l.dirty)).toBe(false);
  await creationSyncsIdle();
  expect(logs.some((l) => l.creationPending)).toBe(false);
  for (const l of logs) l.close();
});

it('a sync of a new log waits for its creation syncs; a reopened log has none', async () => {
  const dir = freshDir();
  const others = Array.from({ length: 20 }, (_, p) => openLog(dir, p + 1));
  const log = openLog(dir, 0);
  expect(log.creationPending).toBe(true);
  log.append(simpleBatch(3), 1n);
  expect(log.dirty).toBe(true);
  // Its syncs were queued behind twenty other logs'; the commit moves them up and waits for them.
  await syncAll([log]);
  expect(log.dirty).toBe(false);
  expect(log.creationPending).toBe(false);
  log.close();
  const again = openLog(dir, 0);
  expect(again.creationPending).toBe(false);
  expect(again.logEndOffset).toBe(3n);
  again.close();
  for (const l of others) l.close();
});
