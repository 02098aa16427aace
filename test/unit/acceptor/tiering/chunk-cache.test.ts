// The remote chunk cache stays within its byte bound, evicts the least recently used, and shares one load between concurrent misses.
import { describe, expect, it } from 'vitest';
import { ChunkCache } from '../../../../src/acceptor/tiering/chunk-cache.ts';

describe('ChunkCache', () => {
  it('evicts the least recently used entry past its bound', async () => {
    const cache = new ChunkCache(300);
    let loads = 0;
    const load = (n: number) => async () => { loads++; return Buffer.alloc(100, n); };
    await cache.get('a', load(1));
    await cache.get('b', load(2));
    await cache.get('c', load(3));
    await cache.get('a', load(1)); // a is now the most recent
    await cache.get('d', load(4)); // evicts b
    expect(cache.bytes).toBeLessThanOrEqual(300);
    expect(loads).toBe(4);
    await cache.get('a', load(1));
    expect(loads).toBe(4);
    await cache.get('b', load(2));
    expect(loads).toBe(5);
  });

  it('shares one load among concurrent misses and never caches what exceeds the bound', async () => {
    const cache = new ChunkCache(50);
    let loads = 0;
    const slow = async () => { loads++; await new Promise((r) => setTimeout(r, 20)); return Buffer.alloc(10); };
    await Promise.all([cache.get('x', slow), cache.get('x', slow), cache.get('x', slow)]);
    expect(loads).toBe(1);
    await cache.get('big', async () => Buffer.alloc(100));
    expect(cache.bytes).toBe(10);
  });
});
