// DataDirLogDirs: partition sizes from the segment files on disk, volume sizes from statfs.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, expect, test } from 'vitest';
import { DataDirLogDirs } from '../../../src/acceptor/log-dirs.ts';

let dir: string;
beforeEach(() => { dir = mkdtempSync(path.join(tmpdir(), 'hw-logdirs-')); });
afterEach(() => rmSync(dir, { recursive: true, force: true }));

test('a partition\'s size is the bytes of its .log segments; indexes do not count; a missing dir is 0', async () => {
  mkdirSync(path.join(dir, 't-0'));
  writeFileSync(path.join(dir, 't-0', '00000000000000000000.log'), Buffer.alloc(100));
  writeFileSync(path.join(dir, 't-0', '00000000000000000042.log'), Buffer.alloc(23));
  writeFileSync(path.join(dir, 't-0', '00000000000000000000.index'), Buffer.alloc(4096));
  const logDirs = new DataDirLogDirs(dir);
  expect(await logDirs.partitionSize('t', 0)).toBe(123n);
  expect(await logDirs.partitionSize('t', 1)).toBe(0n);
  const d = await logDirs.describe();
  expect(d.logDir).toBe(path.resolve(dir));
  expect(d.totalBytes).toBeGreaterThan(0n);
  expect(d.usableBytes).toBeGreaterThanOrEqual(0n);
  expect(d.usableBytes).toBeLessThanOrEqual(d.totalBytes);
});
