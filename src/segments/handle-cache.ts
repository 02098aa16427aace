// A bounded cache of open read-only FileHandles keyed by segment base offset. A handle evicted or
// dropped while a read still uses it is closed when that read releases it, never under it.
import { open, type FileHandle } from 'node:fs/promises';

interface Entry {
  handle: FileHandle;
  users: number;
  dropped: boolean;
}

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

  get size(): number {
    return this.entries.size;
  }

  /** Opens (or reuses) the file of `key`; rejects with the open error (ENOENT when deleted). */
  async acquire(key: bigint, path: string): Promise<LeasedHandle> {
    let entry = this.entries.get(key);
    if (entry) {
      this.entries.delete(key);
      this.entries.set(key, entry);
    } else {
      let pending = this.opening.get(key);
      if (!pending) {
        pending = open(path, 'r').then((handle) => ({ handle, users: 0, dropped: false }));
        this.opening.set(key, pending);
        pending.then(
          (opened) => {
            this.opening.delete(key);
            this.entries.set(key, opened);
            this.evictOverCapacity();
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

  private retire(entry: Entry): void {
    entry.dropped = true;
    if (entry.users === 0) void entry.handle.close().catch(() => {});
  }
}
