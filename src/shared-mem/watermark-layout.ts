// The watermark table's layout: one 64-byte slot per partition in one SharedArrayBuffer, drawn once
// here with its named offsets, and the read-only view both WatermarkReader and WatermarkWriter share.

/*
 * Layout, version 3 (version 2 had bytes 56-63 spare, version 1 bytes 44-63). The buffer is `capacity` slots, nothing else (65,536 slots = 4 MiB).
 * One slot per partition, one cache line per slot, so two shards publishing neighbouring
 * partitions never write the same line (no false sharing).
 *
 *   slot s starts at byte s * WATERMARK_SLOT_BYTES
 *
 *   byte  0        8        16       24       32   36   40   44    48        56        64
 *        ├────────┼────────┼────────┼────────┼────┼────┼────┼─────┼─────────┼─────────┤
 *        │  HWM   │logStart│  LSO   │logEnd  │wake│seg │stat│dirty│lastClean│localLog │
 *        │  i64   │  i64   │  i64   │Bytes i64│i32 │Epch│ i32│ i32 │ i64 ms  │Start i64│
 *        └────────┴────────┴────────┴────────┴────┴────┴────┴─────┴─────────┴─────────┘
 *
 *   HWM        high watermark: first offset not yet visible to consumers (Kafka's high_watermark)
 *   logStart   log start offset: first offset still in the log (retention, DeleteRecords), in
 *              either tier
 *   localLogStart  tiered storage: first offset served from local files; offsets in
 *              [logStart, localLogStart) are served from the object store. The one number that
 *              decides which tier serves an offset (DESIGN §2). Equals logStart without tiering.
 *   LSO        last stable offset (read_committed visibility limit)
 *   logEnd     bytes of log on disk, for metrics only
 *   wake       incremented after every change a fetch may wait for, then Atomics.notify'd
 *   segEpoch   incremented when the segment set changes (roll, retention delete, truncation)
 *   state      PARTITION_STATE_*: UNUSED (no log open), RECOVERING (open in progress, fields
 *              being rewritten), ONLINE, OFFLINE (a write failed; the shard refuses appends
 *              until the partition is reopened)
 *   dirty      compacted topics: the cleaner's dirty ratio at its last check, in parts per
 *              million; -1 for a partition that is not compacted (metrics only)
 *   lastClean  wall-clock ms of the last cleaner swap, -1 before the first (metrics only)
 *
 * Changing any of this bumps WATERMARK_LAYOUT_VERSION (STYLE.md rule 4).
 */
export const WATERMARK_LAYOUT_VERSION = 3;
export const WATERMARK_SLOT_BYTES = 64;
export const DEFAULT_WATERMARK_CAPACITY = 65_536;

export const HIGH_WATERMARK_BYTE_OFFSET = 0;
export const LOG_START_OFFSET_BYTE_OFFSET = 8;
export const LAST_STABLE_OFFSET_BYTE_OFFSET = 16;
export const LOG_END_BYTES_BYTE_OFFSET = 24;
export const WAKE_WORD_BYTE_OFFSET = 32;
export const SEGMENT_EPOCH_BYTE_OFFSET = 36;
export const STATE_BYTE_OFFSET = 40;
export const DIRTY_RATIO_PPM_BYTE_OFFSET = 44;
export const LAST_CLEAN_MS_BYTE_OFFSET = 48;
export const LOCAL_LOG_START_OFFSET_BYTE_OFFSET = 56;

export const PARTITION_STATE_UNUSED = 0;
export const PARTITION_STATE_RECOVERING = 1;
export const PARTITION_STATE_ONLINE = 2;
export const PARTITION_STATE_OFFLINE = 3;
export type PartitionState =
  | typeof PARTITION_STATE_UNUSED
  | typeof PARTITION_STATE_RECOVERING
  | typeof PARTITION_STATE_ONLINE
  | typeof PARTITION_STATE_OFFLINE;

export const I64_PER_SLOT = WATERMARK_SLOT_BYTES / 8;
export const I32_PER_SLOT = WATERMARK_SLOT_BYTES / 4;

export interface PartitionOffsets {
  wakeWord: number;
  logStartOffset: bigint;
  lastStableOffset: bigint;
  highWatermark: bigint;
}

export interface TruncationReset {
  highWatermark: bigint;
  logStartOffset: bigint;
  lastStableOffset: bigint;
  logEndBytes: bigint;
  /** Tiered storage: the first offset in local files; absent: logStartOffset. */
  localLogStartOffset?: bigint;
}

export type ChangeResult = 'changed' | 'timeout';

export function watermarkTableBytes(capacity: number = DEFAULT_WATERMARK_CAPACITY): number {
  if (!Number.isInteger(capacity) || capacity <= 0) throw new RangeError(`watermark capacity must be a positive integer, got ${capacity}`);
  return capacity * WATERMARK_SLOT_BYTES;
}

export function createWatermarkBuffer(capacity: number = DEFAULT_WATERMARK_CAPACITY): SharedArrayBuffer {
  return new SharedArrayBuffer(watermarkTableBytes(capacity));
}

/**
 * The slots seen through typed arrays, with the loads every thread may do. Build one view per
 * thread over the same buffer (it survives postMessage); WatermarkReader adds the main thread's
 * waiting, WatermarkWriter the owning shard's stores.
 */
export class WatermarkView {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  protected readonly i64: BigInt64Array;
  protected readonly i32: Int32Array;

  constructor(buffer: SharedArrayBuffer) {
    if (buffer.byteLength === 0 || buffer.byteLength % WATERMARK_SLOT_BYTES !== 0) {
      throw new RangeError(`watermark buffer must be a whole number of ${WATERMARK_SLOT_BYTES}-byte slots, got ${buffer.byteLength} bytes`);
    }
    this.buffer = buffer;
    this.capacity = buffer.byteLength / WATERMARK_SLOT_BYTES;
    this.i64 = new BigInt64Array(buffer);
    this.i32 = new Int32Array(buffer);
  }

  highWatermark(slot: number): bigint {
    return Atomics.load(this.i64, this.i64Index(slot, HIGH_WATERMARK_BYTE_OFFSET));
  }

  logStartOffset(slot: number): bigint {
    return Atomics.load(this.i64, this.i64Index(slot, LOG_START_OFFSET_BYTE_OFFSET));
  }

  lastStableOffset(slot: number): bigint {
    return Atomics.load(this.i64, this.i64Index(slot, LAST_STABLE_OFFSET_BYTE_OFFSET));
  }

  /** The first offset served from local files (tiered storage); logStartOffset without tiering. */
  localLogStartOffset(slot: number): bigint {
    return Atomics.load(this.i64, this.i64Index(slot, LOCAL_LOG_START_OFFSET_BYTE_OFFSET));
  }

  logEndBytes(slot: number): bigint {
    return Atomics.load(this.i64, this.i64Index(slot, LOG_END_BYTES_BYTE_OFFSET));
  }

  wakeWord(slot: number): number {
    return Atomics.load(this.i32, this.i32Index(slot, WAKE_WORD_BYTE_OFFSET));
  }

  segmentEpoch(slot: number): number {
    return Atomics.load(this.i32, this.i32Index(slot, SEGMENT_EPOCH_BYTE_OFFSET));
  }

  /** The cleaner's dirty ratio (0..1), or -1 when the partition is not compacted. */
  dirtyRatio(slot: number): number {
    const ppm = Atomics.load(this.i32, this.i32Index(slot, DIRTY_RATIO_PPM_BYTE_OFFSET));
    return ppm < 0 ? -1 : ppm / 1e6;
  }

  /** Wall-clock ms of the last cleaner swap, -1 before the first. */
  lastCleanMs(slot: number): number {
    return Number(Atomics.load(this.i64, this.i64Index(slot, LAST_CLEAN_MS_BYTE_OFFSET)));
  }

  state(slot: number): PartitionState {
    return Atomics.load(this.i32, this.i32Index(slot, STATE_BYTE_OFFSET)) as PartitionState;
  }

  /**
   * The fields a fetch needs, read in an order that keeps them consistent without a lock:
   * the wake word first, so waiting with it can never miss a change to what follows; then
   * logStart before LSO before HWM: each only grows and logStart <= LSO <= HWM always holds
   * at the writer, so values read later are at least as new and the order survives the reads.
   */
  readOffsets(slot: number): PartitionOffsets {
    const wakeWord = this.wakeWord(slot);
    const logStartOffset = this.logStartOffset(slot);
    const lastStableOffset = this.lastStableOffset(slot);
    const highWatermark = this.highWatermark(slot);
    return { wakeWord, logStartOffset, lastStableOffset, highWatermark };
  }

  protected checkSlot(slot: number): void {
    if (!Number.isInteger(slot) || slot < 0 || slot >= this.capacity) {
      throw new RangeError(`watermark slot ${slot} out of range 0..${this.capacity - 1}`);
    }
  }

  protected i64Index(slot: number, byteOffset: number): number {
    this.checkSlot(slot);
    return slot * I64_PER_SLOT + byteOffset / 8;
  }

  protected i32Index(slot: number, byteOffset: number): number {
    this.checkSlot(slot);
    return slot * I32_PER_SLOT + byteOffset / 4;
  }
}
