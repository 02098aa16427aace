// A bounded cache of open read-only FileHandles keyed by segment base offset. A handle evicted or
// dropped while a read still uses it is closed when that read releases it, never under it.
// Besides each cache's own capacity, every cache of the thread shares one bound on open handles
// (issue 15 defect 3): with thousands of partitions read now and then, the count of read handles
// follows that bound, not the partition count. Over it, the least recently used unused handle of
// any cache is closed.
import { open, type FileHandle } from 'node:fs/promises';

interface Entry {
  handle: FileHandle;
  users: number;
  dropped: boolean;
  owner: HandleCache;
  key: bigint;
}

/** Every open entry of every cache of this thread, least recently used first. */
const openEntries = new Set<Entry>();
let threadLimit = 1024;

export interface LeasedHandle {
  readonly handle: FileHandle;
  release(): void;
}

export class HandleCache {
  private readonly capacity: number;
  // Map iteration order is insertion order: re-inserting on use keeps the least recent first.
  private readonly entries = new Map<bigint, Entry>();
  private readonly opening = new Map<bigint, Promise<Entry>>();

  constructor(capacity: number) {
    this.capacity = Math.max(1, capacity);
  }

  /** The bound on open handles shared by every cache of this thread (set once at start-up). */
  static setThreadLimit(limit: number): void {
    threadLimit = Math.max(1, limit);
  }

  /** Handles open now in every cache of this thread (in use or kept for reuse). */
  static get threadOpen(): number {
    return openEntries.size;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Opens (or reuses) the file of `key`; rejects with the open error (ENOENT when deleted). */
  async acquire(key: bigint, path: string): Promise<LeasedHandle> {
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
      openEntries.delete(entry);
      openEntries.add(entry);
    } else {
      let pending = this.opening.get(key);
      if (!pending) {
        pending = open(path, 'r').then((handle): Entry => ({ handle, users: 0, dropped: false, owner: this, key }));
        this.opening.set(key, pending);
        pending.then(
          (opened) => {
            this.opening.delete(key);
            this.entries.set(key, opened);
            openEntries.add(opened);
            this.evictOverCapacity();
            evictOverThreadLimit();
          },
          () => this.opening.delete(key),
        );
      }
      entry = await pending;
    }
    const leased = entry;
    leased.users++;
    let released = false;
    return {
      handle: leased.handle,
      release: () => {
        if (released) return;
        released = true;
        leased.users--;
        if (leased.dropped && leased.users === 0) void leased.handle.close().catch(() => {});
        else if (leased.users === 0) evictOverThreadLimit();
      },
    };
  }

  /** Forgets `key` (its segment was deleted); the handle closes once unused. */
  drop(key: bigint): void {
    const entry = this.entries.get(key);
    if (!entry) return;
    this.entries.delete(key);
    this.retire(entry);
  }

  /** Drops every key not in `keep`. */
  retain(keep: ReadonlySet<bigint>): void {
    for (const key of [...this.entries.keys()]) if (!keep.has(key)) this.drop(key);
  }

  async closeAll(): Promise<void> {
    await Promise.allSettled([...this.opening.values()]);
    for (const key of [...this.entries.keys()]) this.drop(key);
  }

  private evictOverCapacity(): void {
    for (const [key, entry] of this.entries) {
      if (this.entries.size <= this.capacity) break;
      this.entries.delete(key);
      this.retire(entry);
    }
  }

  /** Forgets `entry` (evicted by the thread-wide bound); closes it once unused. */
  evict(entry: Entry): void {
    if (this.entries.get(entry.key) !== entry) return;
    this.entries.delete(entry.key);
    this.retire(entry);
  }

  private retire(entry: Entry): void {
    entry.dropped = true;
    openEntries.delete(entry);
    if (entry.users === 0) void entry.handle.close().catch(() => {});
  }
}

/** Closes the least recently used unused handles of any cache while the thread is over its bound. */
function evictOverThreadLimit(): void {
  if (openEntries.size <= threadLimit) return;
  for (const entry of [...openEntries]) {
    if (openEntries.size <= threadLimit) break;
    if (entry.users === 0) entry.owner.evict(entry);
  }
}
