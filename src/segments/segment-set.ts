// The ordered segments of one partition log as its writer (the owning shard worker) sees them:
// lookup of offset -> segment, when and how to roll, deletion from the front, the log start offset.
import { closeSync, openSync, readSync } from 'node:fs';
import type { Logger } from 'pino';
import type { BatchInfo } from './batch-header.ts';
import { walkBatchesSync } from './batch-walk-sync.ts';
import { BATCH_LAST_OFFSET_DELTA, floorIndex } from './layout.ts';
import type { LogConfig } from './log-config.ts';
import { Segment } from './segment.ts';

// Offset index entries hold offset - base as an int32: a segment may not span more offsets.
const MAX_RELATIVE_OFFSET = 0x7fffffffn;

/**
 *   segments: [ rolled ... rolled | active ]   ascending by base offset, never empty while open
 *               ^ first: base <= logStartOffset (retention and DeleteRecords cut from here)
 */
export class SegmentSet {
  readonly partitionDir: string;
  private readonly list: Segment[];
  private readonly config: LogConfig;
  private readonly logger: Logger;
  private startOffset: bigint;
  private listVersion = 1;

  constructor(partitionDir: string, segments: Segment[], logStartOffset: bigint, config: LogConfig, logger: Logger) {
    this.partitionDir = partitionDir;
    this.list = segments;
    this.startOffset = logStartOffset;
    this.config = config;
    this.logger = logger;
  }

  /** Every segment, oldest first (the active one last). */
  get all(): readonly Segment[] {
    return this.list;
  }

  get active(): Segment {
    return this.list[this.list.length - 1];
  }

  get first(): Segment {
    return this.list[0];
  }

  get count(): number {
    return this.list.length;
  }

  /** The first offset a consumer may read (Kafka's log start offset). */
  get logStartOffset(): bigint {
    return this.startOffset;
  }

  /** Raises (never lowers) the log start offset; the caller persists it. */
  raiseLogStartOffset(offset: bigint): void {
    if (offset > this.startOffset) this.startOffset = offset;
  }

  /** Changes whenever the set of segment files changes (roll, deletion): readers then re-list. */
  get version(): number {
    return this.listVersion;
  }

  /** The files changed under the readers without a roll or deletion here (the partition was deleted). */
  bumpVersion(): void {
    this.listVersion++;
  }

  /** Total bytes of the segments. */
  get totalBytes(): number {
    let total = 0;
    for (const segment of this.list) total += segment.size;
    return total;
  }

  /**
   * Whether `batch`, to be given baseOffset `baseOffset` after `pendingBytes` not yet written to the
   * active segment, must start a new one: it would grow the segment past segment.bytes, the segment
   * is older than segment.ms, or its offsets would not fit the index's relative offsets. An empty
   * segment always takes the batch.
   */
  mustRoll(batch: Buffer, baseOffset: bigint, pendingBytes: number, nowMs: bigint): boolean {
    const active = this.active;
    const used = active.size + pendingBytes;
    if (used === 0) return false;
    const lastOffsetDelta = BigInt(batch.readInt32BE(BATCH_LAST_OFFSET_DELTA));
    return used + batch.length > this.config.segmentBytes ||
      nowMs - active.createdMs > BigInt(this.config.segmentMs) ||
      baseOffset + lastOffsetDelta - active.baseOffset > MAX_RELATIVE_OFFSET;
  }

  /**
   * Closes the active segment (its last time index entry written, its descriptors closed) and
   * starts the next one at `nextBase`. Returns the rolled segment with its .log descriptor still
   * retained, so that the caller can fdatasync it in the background: the caller releases it.
   */
  roll(nextBase: bigint, nowMs: bigint): { rolled: Segment; logDescriptor: number } {
    const rolled = this.active;
    rolled.appendFinalTimeIndexEntry();
    rolled.flushIndexes();
    const logDescriptor = rolled.retainDescriptor();
    rolled.closeDescriptors();
    this.list.push(Segment.create(this.partitionDir, nextBase, nowMs));
    this.listVersion++;
    return { rolled, logDescriptor };
  }

  /** Deletes rolled segments from the oldest while `shouldDelete` says so; never the active one. */
  deleteLeading(shouldDelete: (segment: Segment) => boolean): { count: number; bytes: number } {
    let count = 0;
    let bytes = 0;
    while (this.list.length > 1 && shouldDelete(this.list[0])) {
      const segment = this.list.shift()!;
      segment.deleteFiles();
      count++;
      bytes += segment.size;
      this.logger.info({ segment: segment.files.log, size: segment.size }, 'deleted segment');
    }
    if (count > 0) this.listVersion++;
    return { count, bytes };
  }

  /** The rolled segments (all but the active one), oldest first: a copy. */
  get rolled(): Segment[] {
    return this.list.slice(0, -1);
  }

  /** Whether the rolled segments with these bases are still in the set, consecutive, at these sizes. */
  holdsRolled(bases: readonly bigint[], sizes: readonly number[]): boolean {
    const at = this.list.findIndex((s) => s.baseOffset === bases[0]);
    if (at < 0 || at + bases.length > this.list.length - 1) return false;
    for (let i = 0; i < bases.length; i++) {
      const segment = this.list[at + i]!;
      if (segment.baseOffset !== bases[i] || segment.size !== sizes[i]) return false;
    }
    return true;
  }

  /**
   * Puts `cleaned` in the place of the consecutive rolled segments starting at its base (the
   * cleaner's swap, src/wal/cleaner-swap.ts, has already replaced their files). Readers re-list.
   */
  replaceRolled(count: number, cleaned: Segment): void {
    const at = this.list.findIndex((s) => s.baseOffset === cleaned.baseOffset);
    if (at < 0 || at + count > this.list.length - 1) throw new Error(`no ${count} rolled segments from ${cleaned.baseOffset} to replace`);
    this.list.splice(at, count, cleaned);
    this.listVersion++;
  }

  /**
   * Calls `visit` with each written batch holding offsets >= `fromOffset` (from the batch
   * containing it), in order. `frame` is only valid during the call.
   */
  forEachBatchSync(fromOffset: bigint, visit: (frame: Buffer, info: BatchInfo) => void): void {
    const bases = this.list.map((segment) => segment.baseOffset);
    const first = Math.max(floorIndex(bases, fromOffset), 0);
    for (let i = first; i < this.list.length; i++) {
      const segment = this.list[i];
      if (segment.isEmpty) continue;
      // Only the active segment keeps its offset index in memory; a rolled one is walked whole.
      const from = i === this.list.length - 1 ? segment.floorPosition(fromOffset > segment.baseOffset ? fromOffset : segment.baseOffset) : 0;
      const fd = openSync(segment.files.log, 'r');
      try {
        let expectedOffset = segment.baseOffset;
        if (from > 0) expectedOffset = batchBaseAt(fd, from);
        walkBatchesSync(fd, { from, expectedOffset, verifyCrc: false, end: segment.size, allowGaps: true }, (info, frame) => {
          if (info.lastOffset >= fromOffset) visit(frame, info);
        });
      } finally {
        closeSync(fd);
      }
    }
  }

  closeDescriptors(): void {
    for (const segment of this.list) segment.closeDescriptors();
  }
}

function batchBaseAt(fd: number, position: number): bigint {
  const header = Buffer.alloc(8);
  readSync(fd, header, 0, 8, position);
  return header.readBigInt64BE(0);
}
