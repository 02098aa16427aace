// HandleCache: each cache's own capacity, and the bound shared by every cache of the thread
// (issue 15 defect 3), under which read handles follow neither the partition nor the segment count.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { HandleCache } from '../../../src/segments/handle-cache.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'highwater-handles-'));
afterAll(() => {
  HandleCache.setThreadLimit(1024);
  rmSync(dir, { recursive: true, force: true });
});
const files = Array.from({ length: 12 }, (_, i) => {
  const file = path.join(dir, `${i}.log`);
  writeFileSync(file, `file ${i}`);
  return file;
});

test('caches of many partitions share one bound on open handles; an evicted handle reopens on use', async () => {
  const before = HandleCache.threadOpen;
  HandleCache.setThreadLimit(before + 4);
  const caches = [new HandleCache(10), new HandleCache(10), new HandleCache(10)];
  for (let i = 0; i < files.length; i++) {
    const leased = await caches[i % 3]!.acquire(BigInt(i), files[i]!);
    leased.release();
  }
  expect(HandleCache.threadOpen - before).toBeLessThanOrEqual(4);
  // The first file was the least recent: closed, and opened again when read.
  const again = await caches[0]!.acquire(0n, files[0]!);
  const bytes = Buffer.alloc(6);
  await again.handle.read(bytes, 0, 6, 0);
  expect(bytes.toString()).toBe('file 0');
  again.release();
  expect(HandleCache.threadOpen - before).toBeLessThanOrEqual(4);
  for (const c of caches) await c.closeAll();
  expect(HandleCache.threadOpen).toBe(before);
});

test('a handle in use is never closed under its reader; it goes once released', async () => {
  const before = HandleCache.threadOpen;
  HandleCache.setThreadLimit(before + 1);
  const a = new HandleCache(4);
  const b = new HandleCache(4);
  const held = await a.acquire(1n, files[1]!);
  const other = await b.acquire(2n, files[2]!);
  // Over the bound, but both are in use: both stay readable.
  const bytes = Buffer.alloc(6);
  await held.handle.read(bytes, 0, 6, 0);
  expect(bytes.toString()).toBe('file 1');
  held.release();
  other.release();
  expect(HandleCache.threadOpen - before).toBeLessThanOrEqual(1);
  await a.closeAll();
  await b.closeAll();
});
