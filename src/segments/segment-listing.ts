// The reader's view of one partition directory (main thread): which segment files exist, listed
// again when the shard's segments version moves, with their open handles and cached indexes.
import { readdir, stat } from 'node:fs/promises';
import { HandleCache, type LeasedHandle } from './handle-cache.ts';
import { IndexCache } from './index-cache.ts';
import { segmentBasesIn, segmentPaths } from './layout.ts';
import { OffsetIndexEntries } from './offset-index.ts';
import { TimeIndexEntries } from './time-index.ts';

/** A segment vanished under the reader (retention): re-list, then answer from the new list. */
export class SegmentGoneError extends Error {}

export interface SegmentListingOptions {
  maxOpenFiles: number;
  maxCachedIndexes: number;
  /** Called after each listing with the bases it found, to drop state about deleted segments. */
  onListed: (bases: ReadonlySet<bigint>) => void;
}

export class SegmentListing {
  readonly partitionDir: string;
  readonly offsetIndexes: IndexCache<OffsetIndexEntries>;
  readonly timeIndexes: IndexCache<TimeIndexEntries>;
  private readonly handles: HandleCache;
  private readonly onListed: (bases: ReadonlySet<bigint>) => void;
  private listedBases: bigint[] = [];
  /** Inode of each listed segment's .log: the cleaner's swap replaces a file under the same name. */
  private readonly inodes = new Map<bigint, number>();
  private listedVersion: number | null = null;
  private listing: Promise<void> | null = null;

  constructor(partitionDir: string, options: SegmentListingOptions) {
    this.partitionDir = partitionDir;
    this.handles = new HandleCache(options.maxOpenFiles);
    this.offsetIndexes = new IndexCache(partitionDir, 'offsetIndex', () => new OffsetIndexEntries(), options.maxCachedIndexes);
    this.timeIndexes = new IndexCache(partitionDir, 'timeIndex', () => new TimeIndexEntries(), options.maxCachedIndexes);
    this.onListed = options.onListed;
  }

  /** Base offsets of the listed segments, ascending; replaced (never changed in place) by a listing. */
  get bases(): readonly bigint[] {
    return this.listedBases;
  }

  async ensureListed(segmentsVersion: number): Promise<void> {
    if (this.listedVersion === segmentsVersion && this.listedBases.length > 0) return;
    await this.relist(segmentsVersion);
  }

  /** Lists again under the version last seen: the files moved on without the caller knowing (a roll). */
  relistSameVersion(): Promise<void> {
    return this.relist(this.listedVersion ?? 0);
  }

  /** Lists the directory; concurrent callers share one listing. */
  relist(segmentsVersion: number): Promise<void> {
    if (this.listing) return this.listing;
    this.listing = (async () => {
      try {
        let names: string[];
        try {
          names = await readdir(this.partitionDir);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
          names = [];
        }
        const bases = segmentBasesIn(names);
        const keep = new Set(bases);
        // A segment the cleaner swapped keeps its name but not its bytes: what is cached about the
        // old file (handle, indexes, cursors) is dropped as if it had been deleted.
        const replaced = await this.replacedAmong(bases);
        if (replaced.size > 0) {
          const kept = new Set(bases.filter((b) => !replaced.has(b)));
          this.handles.retain(kept);
          this.offsetIndexes.retain(kept);
          this.timeIndexes.retain(kept);
          this.onListed(kept);
        }
        const lastBefore = this.listedBases[this.listedBases.length - 1];
        this.listedBases = bases;
        this.listedVersion = segmentsVersion;
        this.handles.retain(keep);
        this.offsetIndexes.retain(keep);
        this.timeIndexes.retain(keep);
        this.onListed(keep);
        // A segment that was last and no longer is has rolled: its cached indexes get one final read.
        if (lastBefore !== undefined && lastBefore !== bases[bases.length - 1]) {
          this.offsetIndexes.unseal(lastBefore);
          this.timeIndexes.unseal(lastBefore);
        }
      } finally {
        this.listing = null;
      }
    })();
    return this.listing;
  }

  private async replacedAmong(bases: readonly bigint[]): Promise<Set<bigint>> {
    const replaced = new Set<bigint>();
    const seen = await Promise.all(bases.map(async (base) => {
      try {
        return (await stat(segmentPaths(this.partitionDir, base).log)).ino;
      } catch {
        return -1;
      }
    }));
    for (let i = 0; i < bases.length; i++) {
      const before = this.inodes.get(bases[i]!);
      if (before !== undefined && before !== seen[i]) replaced.add(bases[i]!);
    }
    this.inodes.clear();
    for (let i = 0; i < bases.length; i++) if (seen[i]! >= 0) this.inodes.set(bases[i]!, seen[i]!);
    return replaced;
  }

  /** The first listed segment after `segmentBase` (a compacted segment may end before the next base), re-listing once. */
  async segmentAfter(segmentBase: bigint): Promise<bigint | null> {
    const find = () => this.listedBases.find((b) => b > segmentBase) ?? null;
    const found = find();
    if (found !== null) return found;
    await this.relistSameVersion();
    return find();
  }

  /** The listed segment whose base is exactly `offset`, re-listing once if it is not known yet. */
  async segmentStartingAt(offset: bigint): Promise<bigint | null> {
    if (this.listedBases.includes(offset)) return offset;
    await this.relistSameVersion();
    return this.listedBases.includes(offset) ? offset : null;
  }

  /** The open .log of a segment, leased; a deleted file becomes SegmentGoneError. */
  async lease(segmentBase: bigint): Promise<LeasedHandle> {
    try {
      return await this.handles.acquire(segmentBase, segmentPaths(this.partitionDir, segmentBase).log);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new SegmentGoneError();
      throw err;
    }
  }

  /** Where to start walking for `offset` in a segment: its offset index's floor entry, or the start. */
  async indexFloor(segmentBase: bigint, offset: bigint, mayGrow: boolean): Promise<{ position: number; offset: bigint }> {
    const index = await this.offsetIndexes.load(segmentBase, mayGrow);
    const i = index.floor(Number(offset - segmentBase));
    return i < 0 ? { position: 0, offset: segmentBase } : { position: index.positionAt(i), offset: segmentBase + BigInt(index.relativeOffsetAt(i)) };
  }

  async close(): Promise<void> {
    this.offsetIndexes.clear();
    this.timeIndexes.clear();
    await this.handles.closeAll();
  }
}
