import { appendFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { IndexCache } from '../../../src/segments/index-cache.ts';
import { segmentPaths } from '../../../src/segments/layout.ts';
import { OffsetIndexEntries, encodeOffsetIndexEntry } from '../../../src/segments/offset-index.ts';
import { tempDir } from './batch-fixture.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

function entries(pairs: Array<[number, number]>): Buffer {
  const buf = Buffer.alloc(pairs.length * 8);
  pairs.forEach(([relativeOffset, position], i) => encodeOffsetIndexEntry(buf, i * 8, relativeOffset, position));
  return buf;
}

function setup(capacity = 8): { cache: IndexCache<OffsetIndexEntries>; indexPath: (base: bigint) => string } {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  return { cache: new IndexCache(dir, 'offsetIndex', () => new OffsetIndexEntries(), capacity), indexPath: (base) => segmentPaths(dir, base).offsetIndex };
}

describe('IndexCache', () => {
  it('re-reads a growing index from where it stopped, taking only whole entries', async () => {
    const { cache, indexPath } = setup();
    writeFileSync(indexPath(0n), Buffer.concat([entries([[0, 0], [4, 100]]), entries([[9, 200]]).subarray(0, 5)]));
    const index = await cache.load(0n, true);
    expect(index.count).toBe(2);
    appendFileSync(indexPath(0n), entries([[9, 200]]).subarray(5));
    appendFileSync(indexPath(0n), entries([[12, 300]]));
    expect(await cache.load(0n, true)).toBe(index);
    expect(index.count).toBe(4);
    expect(index.positionAt(3)).toBe(300);
  });

  it('reads a sealed index no more, until it is unsealed for one final read', async () => {
    const { cache, indexPath } = setup();
    writeFileSync(indexPath(0n), entries([[0, 0]]));
    expect((await cache.load(0n, false)).count).toBe(1);
    appendFileSync(indexPath(0n), entries([[3, 50]]));
    expect((await cache.load(0n, true)).count).toBe(1);
    cache.unseal(0n);
    expect((await cache.load(0n, false)).count).toBe(2);
  });

  it('treats a missing index file as empty, and forgets the least recently used and the deleted', async () => {
    const { cache, indexPath } = setup(2);
    expect((await cache.load(5n, false)).count).toBe(0);
    for (const base of [10n, 20n]) writeFileSync(indexPath(base), entries([[0, 0]]));
    const ten = await cache.load(10n, false);
    await cache.load(20n, false);
    // 5 was used least recently: it is evicted, 10 stays the same object.
    expect(await cache.load(10n, false)).toBe(ten);
    cache.retain(new Set([20n]));
    expect(await cache.load(10n, false)).not.toBe(ten);
  });
});
