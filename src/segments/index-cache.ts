// The main thread's cache of one kind of sparse index (.index or .timeindex) per segment, read
// from the files the shard writes: least recently used first out, the growing segment re-read.
import { open } from 'node:fs/promises';
import { segmentPaths } from './layout.ts';

interface Entry<T> {
  entries: T;
  bytesRead: number;
  /** The segment had rolled when last read: its index file no longer changes. */
  sealed: boolean;
}

/** What an index kind offers the cache: taking the whole entries of newly read file bytes. */
export interface LoadableIndex {
  appendEncoded(bytes: Uint8Array): number;
}

export class IndexCache<T extends LoadableIndex> {
  private readonly partitionDir: string;
  private readonly kind: 'offsetIndex' | 'timeIndex';
  private readonly create: () => T;
  private readonly capacity: number;
  // Map iteration order is insertion order: re-inserting on use keeps the least recent first.
  private readonly cache = new Map<bigint, Entry<T>>();

  constructor(partitionDir: string, kind: 'offsetIndex' | 'timeIndex', create: () => T, capacity: number) {
    this.partitionDir = partitionDir;
    this.kind = kind;
    this.create = create;
    this.capacity = capacity;
  }

  /**
   * The segment's index entries. A segment that may still grow (the last listed) is re-read from
   * where the previous read stopped. Only whole entries are taken: a concurrent append may leave
   * a partial one at the end, read on the next call.
   */
  async load(segmentBase: bigint, mayGrow: boolean): Promise<T> {
    let cached = this.cache.get(segmentBase);
    if (cached) {
      this.cache.delete(segmentBase);
      this.cache.set(segmentBase, cached);
      if (cached.sealed) return cached.entries;
    } else {
      cached = { entries: this.create(), bytesRead: 0, sealed: false };
      this.cache.set(segmentBase, cached);
      for (const key of this.cache.keys()) {
        if (this.cache.size <= this.capacity) break;
        this.cache.delete(key);
      }
    }
    const entry = cached;
    try {
      const handle = await open(segmentPaths(this.partitionDir, segmentBase)[this.kind], 'r');
      try {
        const { size } = await handle.stat();
        if (size > entry.bytesRead) {
          const bytes = Buffer.allocUnsafe(size - entry.bytesRead);
          const { bytesRead } = await handle.read(bytes, 0, bytes.length, entry.bytesRead);
          entry.bytesRead += entry.entries.appendEncoded(bytes.subarray(0, bytesRead));
        }
      } finally {
        await handle.close();
      }
    } catch (err) {
      // A missing index only costs a longer scan; the log file decides whether the segment exists.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    if (!mayGrow) entry.sealed = true;
    return entry.entries;
  }

  /** The entries already read for a segment, without touching the file (undefined: none yet). */
  peek(segmentBase: bigint): T | undefined {
    return this.cache.get(segmentBase)?.entries;
  }

  /** Forgets the segments not in `keep` (deleted). */
  retain(keep: ReadonlySet<bigint>): void {
    for (const key of [...this.cache.keys()]) if (!keep.has(key)) this.cache.delete(key);
  }

  /** The segment rolled since it was last read as the growing one: its index gets one final read. */
  unseal(segmentBase: bigint): void {
    const entry = this.cache.get(segmentBase);
    if (entry) entry.sealed = false;
  }

  clear(): void {
    this.cache.clear();
  }
}
