// The log cleaner's pure part (cleanup.policy=compact), file in, file out: builds the offset map
// (last offset per key) over a partition's dirty segments, then writes a cleaned copy of the
// segments up to the end of that map as `<base>.log.cleaned` (+ `.index.cleaned`,
// `.timeindex.cleaned`), one per group of segments. It never touches a live file: the owning shard
// swaps the cleaned files in (src/segments/cleaner-swap.ts). Synchronous, so it runs in a worker.
//
// What is kept, as Kafka's LogCleaner (core/.../LogCleaner.scala, Cleaner.shouldRetainRecord and
// MemoryRecords.filterTo):
//   - a record whose offset is past the map's last offset (never cleaned here);
//   - a keyed record that is the last of its key in the map, unless it is a tombstone whose batch's
//     delete horizon has passed. A batch that keeps a tombstone and has no horizon yet gets one:
//     now + delete.retention.ms, written as Kafka does in the baseTimestamp field with attribute bit
//     6, record timestamp deltas rebased on it. A keyless record goes (Kafka counts it invalid);
//   - offsets: a kept batch keeps its baseOffset and lastOffsetDelta (so producer sequence state
//     stays right), records keep their offset deltas; removed batches leave gaps;
//   - an idempotent producer's last batch, even emptied (header only, no records, Kafka's
//     RETAIN_EMPTY), so that its sequence state survives a restart;
//   - transactions (Kafka's CleanedTransactionMetadata): a batch of an aborted transaction (known
//     from the .txnindex entries) is removed whole, and is not mapped either, so it shadows no
//     earlier value. A marker stays while its transaction still has batches in the log (an ABORT
//     marker whose batches this pass removed keeps its .txnindex entry in the cleaned
//     `.txnindex.cleaned`); once none is left it is eligible: the first such clean sets its delete
//     horizon (now + delete.retention.ms), a clean after the horizon removes it. An emptied control
//     batch goes. The shard never cleans at or past the LSO (compaction.ts planClean).
// A batch whose records are all kept and that needs no horizon is copied byte for byte; another is
// rebuilt: records copied (re-encoded only when their timestamp delta moves), recompressed with the
// batch's own codec, CRC-32C recomputed.
import { closeSync, fdatasyncSync, fstatSync, openSync, readSync, writeSync } from 'node:fs';
import { compress, decompress, compressionCodecOf } from '../protocol/compression.ts';
import {
  ATTRIBUTES_POSITION, ATTRIBUTE_CONTROL, BASE_TIMESTAMP_POSITION, BATCH_LENGTH_POSITION, CRC_POSITION, LAST_OFFSET_DELTA_POSITION, LOG_OVERHEAD,
  MAX_TIMESTAMP_POSITION, PRODUCER_EPOCH_POSITION, RECORDS_POSITION, RECORD_COUNT_POSITION, ATTRIBUTE_TRANSACTIONAL, computeBatchCrc, readProducerId,
} from '../protocol/record-batch.ts';
import { varintSize, varlongSize, writeVarint, writeVarlong } from '../protocol/varint.ts';
import { walkBatchesSync } from './batch-walk-sync.ts';
import type { BatchInfo } from './batch-header.ts';
import { ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND_TIME, OFFSET_INDEX_ENTRY_BYTES, TIME_INDEX_ENTRY_BYTES, segmentPaths } from './layout.ts';
import { encodeOffsetIndexEntry } from './offset-index.ts';
import { readEndTxnMarker } from '../protocol/control-records.ts';
import { encodeAbortedTxns, type AbortedTxn } from './txn-index.ts';
import { encodeTimeIndexEntry } from './time-index.ts';

/** Kafka's RecordBatch attribute bit 6: baseTimestamp holds the batch's delete horizon (KIP-534). */
export const ATTRIBUTE_DELETE_HORIZON = 0x40;

/** The suffix of a cleaned file that is being written; recovery deletes any it finds. */
export const CLEANED_SUFFIX = '.cleaned';

export interface CleanerSegment {
  baseOffset: bigint;
  /** One past the last offset the segment may hold: the next segment's base. */
  nextOffset: bigint;
  size: number;
}

export interface CleanJob {
  partitionDir: string;
  /** Rolled segments from the first, ascending: those below `endOffset` are cleaned. */
  segments: CleanerSegment[];
  /** Where the dirty part starts (the end of the last clean): the map covers [firstDirtyOffset, endOffset). */
  firstDirtyOffset: bigint;
  /** The first uncleanable offset: a segment boundary, never inside the active segment. */
  endOffset: bigint;
  nowMs: number;
  deleteRetentionMs: number;
  /** segment.bytes: a group of segments cleaned into one file stays below it. */
  segmentBytes: number;
  indexIntervalBytes: number;
  /** The last batch (its last offset) of each idempotent producer the shard still tracks: kept even emptied. */
  producerLastOffsets: ReadonlyMap<bigint, bigint>;
  /** The map holds at most this many keys; a fuller dirty part is cleaned over several runs. */
  maxMapKeys: number;
  /** Every aborted transaction the partition's .txnindex files list (any order). */
  abortedTxns?: readonly AbortedTxn[];
  /** Producers with no data batch since their last marker, with its epoch: their markers of that epoch are kept (emptied at most). */
  producerMarkerOnlyEpochs?: ReadonlyMap<bigint, number>;
  /** Called with the bytes read or written so far: the caller's throttle may block here (a worker may). */
  throttle?: (bytes: number) => void;
}

export interface CleanedGroup {
  /** The segments this cleaned file replaces, ascending; the file is named after the first. */
  replaces: bigint[];
  /** Bytes of the cleaned .log. */
  size: number;
  /** One past the last offset of the last replaced segment. */
  nextOffset: bigint;
}

export interface CleanResult {
  groups: CleanedGroup[];
  /** Where the next clean's dirty part starts (may be short of the job's endOffset when the map filled). */
  cleanedUpTo: bigint;
  /** Bytes read: the dirty segments twice (map, then clean), the clean ones once. */
  bytesRead: number;
  bytesWritten: number;
  /** Records of the segments cleaned (each counted once). */
  recordsRead: number;
  /** Bytes of the segments cleaned (Kafka's "bytes cleaned"). */
  bytesCleaned: number;
  recordsKept: number;
  /** The earliest delete horizon of a kept tombstone, or -1 when none: the log is cleanable again then. */
  nextDeleteHorizonMs: number;
}

/** Builds the cleaned files for `job`; returns what was written. */
export function cleanSegments(job: CleanJob): CleanResult {
  const io = { read: 0, written: 0, records: 0, kept: 0, nextHorizon: -1 };
  const throttle = job.throttle ?? (() => undefined);
  const { map, mappedUpTo } = buildOffsetMap(job, io, throttle);
  const cleanable = job.segments.filter((s) => s.nextOffset <= mappedUpTo);
  const groups: CleanedGroup[] = [];
  // Groups are built as they are written: a segment joins the current cleaned file when what
  // that file holds so far plus the whole segment (its worst case) fits segment.bytes and the
  // offsets fit the index's int32 (Kafka's groupSegmentsBySize, on the cleaned size so far).
  let current: CleanerSegment[] = [];
  let out: CleanedWriter | null = null;
  const txns = cleanable.length > 0 ? new TxnTracker(job.abortedTxns ?? [], cleanable[0]!.baseOffset) : null;
  const close = (): void => {
    if (out === null) return;
    out.finish(txns!.takeCleanedIndex());
    io.written += out.size;
    groups.push({ replaces: current.map((s) => s.baseOffset), size: out.size, nextOffset: current[current.length - 1]!.nextOffset });
    out.close();
    out = null;
    current = [];
  };
  try {
    for (const segment of cleanable) {
      const fits = out !== null && (out as CleanedWriter).size + segment.size <= job.segmentBytes && segment.nextOffset - current[0]!.baseOffset <= 0x7fffffffn;
      if (!fits) {
        close();
        const paths = segmentPaths(job.partitionDir, segment.baseOffset);
        out = new CleanedWriter(paths.log + CLEANED_SUFFIX, paths.offsetIndex + CLEANED_SUFFIX, paths.timeIndex + CLEANED_SUFFIX, segment.baseOffset, job.indexIntervalBytes, paths.txnIndex + CLEANED_SUFFIX);
      }
      current.push(segment);
      cleanInto(job, segment, out!, map, mappedUpTo, io, throttle, txns!);
    }
    close();
  } finally {
    (out as CleanedWriter | null)?.close();
  }
  return {
    groups, cleanedUpTo: mappedUpTo, bytesRead: io.read, bytesCleaned: cleanable.reduce((n, s) => n + s.size, 0), bytesWritten: io.written, recordsRead: io.records, recordsKept: io.kept,
    nextDeleteHorizonMs: io.nextHorizon,
  };
}

interface Io { read: number; written: number; records: number; kept: number; nextHorizon: number }

/**
 * key -> offset of its last record, over the dirty segments from firstDirtyOffset. Keys are the
 * key bytes as latin1 strings (one char per byte, so distinct keys stay distinct). When the map
 * would exceed maxMapKeys it stops at the end of the last segment that fit whole, as Kafka's does.
 */
function buildOffsetMap(job: CleanJob, io: Io, throttle: (bytes: number) => void): { map: Map<string, number>; mappedUpTo: bigint } {
  const map = new Map<string, number>();
  let mappedUpTo = job.firstDirtyOffset;
  const firstDirty = Number(job.firstDirtyOffset);
  let txns: TxnTracker | null = null;
  for (const segment of job.segments) {
    if (segment.nextOffset <= job.firstDirtyOffset) continue;
    if (segment.baseOffset >= job.endOffset) break;
    // A whole segment goes in, or none of it: the clean ends at a segment boundary.
    if (map.size >= job.maxMapKeys && mappedUpTo > job.firstDirtyOffset) break;
    txns ??= new TxnTracker(job.abortedTxns ?? [], segment.baseOffset);
    const tracker = txns;
    forEachBatch(job.partitionDir, segment, io, throttle, (frame, info) => {
      if ((info.attributes & ATTRIBUTE_CONTROL) !== 0) {
        tracker.onControlBatch(frame, info);
        return true;
      }
      // An aborted transaction's records shadow nothing (Kafka's buildOffsetMapForSegment).
      if (tracker.onDataBatch(frame, info)) return true;
      mapKeys(frame, info, firstDirty, map);
      return true;
    });
    mappedUpTo = segment.nextOffset;
  }
  return { map, mappedUpTo };
}

/** Adds the keys of one batch to the map (the map pass: no object per record). */
function mapKeys(frame: Buffer, info: BatchInfo, firstDirty: number, map: Map<string, number>): void {
  const codec = compressionCodecOf(info.attributes);
  if (codec === null) throw new Error(`batch at offset ${info.baseOffset}: unknown compression codec`);
  const section = frame.subarray(RECORDS_POSITION);
  const data = codec === 'none' ? section : decompress(codec, section);
  const count = frame.readInt32BE(RECORD_COUNT_POSITION);
  const base = Number(info.baseOffset);
  const cursor = { pos: 0 };
  for (let i = 0; i < count; i++) {
    const bodySize = readVarint(data, cursor);
    const bodyEnd = cursor.pos + bodySize;
    if (bodySize < 0 || bodyEnd > data.length) throw new Error(`batch at offset ${info.baseOffset}: record ${i} runs past the batch`);
    cursor.pos++; // attributes
    skipVarlong(data, cursor);
    const offset = base + readVarint(data, cursor);
    const keyLength = readVarint(data, cursor);
    if (keyLength >= 0 && offset >= firstDirty) map.set(data.toString('latin1', cursor.pos, cursor.pos + keyLength), offset);
    cursor.pos = bodyEnd;
  }
}

/** Writes the batches of one segment that the map keeps into a cleaned file. */
function cleanInto(job: CleanJob, segment: CleanerSegment, out: CleanedWriter, map: Map<string, number>, mappedUpTo: bigint, io: Io, throttle: (bytes: number) => void, txns: TxnTracker): void {
  const horizon = job.nowMs + job.deleteRetentionMs;
  forEachRecord(job.partitionDir, segment, io, throttle, (batch, records) => {
    io.records += records.list.length;
    const kept = (batch.info.attributes & ATTRIBUTE_CONTROL) !== 0
      ? filterControlBatch(batch, txns.onControlBatch(batch.frame, batch.info), job, horizon, io)
      : txns.onDataBatch(batch.frame, batch.info) ? keepOnlyIfLastOfProducer(batch, job) : filterBatch(batch, records, map, mappedUpTo, job, horizon, io);
    if (kept !== null) {
      out.append(kept, batch.info);
      throttle(kept.length);
    }
    return true;
  });
}

interface WalkedRecord {
  /** Absolute offset (a number: offsets stay far below 2^53). */
  offset: number;
  key: string | null;
  hasValue: boolean;
  /** The record's bytes in the records section (length prefix included). */
  start: number;
  end: number;
  /** Where the key length starts: the record from here on is copied as it is when re-encoded. */
  tailStart: number;
  offsetDelta: number;
}

interface WalkedRecords {
  /** The uncompressed records section. */
  data: Buffer;
  list: WalkedRecord[];
}

interface WalkedBatch {
  frame: Buffer;
  info: BatchInfo;
}

/** Visits every batch of a segment (its frame is valid during the call only). */
function forEachBatch(partitionDir: string, segment: CleanerSegment, io: Io, throttle: (bytes: number) => void,
  visit: (frame: Buffer, info: BatchInfo) => boolean): void {
  const fd = openSync(segmentPaths(partitionDir, segment.baseOffset).log, 'r');
  try {
    const end = Math.min(fstatSync(fd).size, segment.size);
    const walk = walkBatchesSync(fd, { from: 0, expectedOffset: segment.baseOffset, verifyCrc: false, end, allowGaps: true }, (info, frame) => {
      io.read += info.size;
      throttle(info.size);
      return visit(frame, info);
    });
    if (walk.problem !== null && walk.problem !== 'torn') throw new Error(`segment ${segment.baseOffset} of ${partitionDir} does not walk: ${walk.problem} at ${walk.end}`);
  } finally {
    closeSync(fd);
  }
}

/** Visits every batch of a segment with its records decoded (decompressed when needed). */
function forEachRecord(partitionDir: string, segment: CleanerSegment, io: Io, throttle: (bytes: number) => void,
  visit: (batch: WalkedBatch, records: WalkedRecords) => boolean): void {
  forEachBatch(partitionDir, segment, io, throttle, (frame, info) => {
    const records = (info.attributes & ATTRIBUTE_CONTROL) !== 0 ? { data: frame, list: [] } : walkRecords(frame, info);
    return visit({ frame, info }, records);
  });
}

function walkRecords(frame: Buffer, info: BatchInfo): WalkedRecords {
  const codec = compressionCodecOf(info.attributes);
  if (codec === null) throw new Error(`batch at offset ${info.baseOffset}: unknown compression codec`);
  const section = frame.subarray(RECORDS_POSITION);
  const data = codec === 'none' ? section : decompress(codec, section);
  const count = frame.readInt32BE(RECORD_COUNT_POSITION);
  const base = Number(info.baseOffset);
  const list: WalkedRecord[] = [];
  const cursor = { pos: 0 };
  for (let i = 0; i < count; i++) {
    const start = cursor.pos;
    const bodySize = readVarint(data, cursor);
    const bodyEnd = cursor.pos + bodySize;
    if (bodySize < 0 || bodyEnd > data.length) throw new Error(`batch at offset ${info.baseOffset}: record ${i} runs past the batch`);
    cursor.pos++; // attributes
    skipVarlong(data, cursor); // the timestamp, read again only for a rebuilt batch
    const offsetDelta = readVarint(data, cursor);
    const tailStart = cursor.pos;
    const keyLength = readVarint(data, cursor);
    const key = keyLength < 0 ? null : data.toString('latin1', cursor.pos, cursor.pos + keyLength);
    if (keyLength > 0) cursor.pos += keyLength;
    const valueLength = readVarint(data, cursor);
    list.push({ offset: base + offsetDelta, key, hasValue: valueLength >= 0, start, end: bodyEnd, tailStart, offsetDelta });
    cursor.pos = bodyEnd;
  }
  return { data, list };
}

/**
 * The batch as the cleaned log keeps it: the frame itself, a rebuilt frame, an empty header (an
 * idempotent producer's last batch), or null when it goes.
 */
function filterBatch(batch: WalkedBatch, records: WalkedRecords, map: Map<string, number>, mappedUpTo: bigint, job: CleanJob, horizon: number, io: Io): Buffer | null {
  const { frame, info } = batch;
  const existingHorizon = (info.attributes & ATTRIBUTE_DELETE_HORIZON) !== 0 ? Number(frame.readBigInt64BE(BASE_TIMESTAMP_POSITION)) : -1;
  const kept: WalkedRecord[] = [];
  const upTo = Number(mappedUpTo);
  let keptTombstone = false;
  for (const r of records.list) {
    if (shouldRetain(r, map, upTo, existingHorizon, job.nowMs)) {
      kept.push(r);
      if (!r.hasValue) keptTombstone = true;
    }
  }
  io.kept += kept.length;
  const needsHorizon = keptTombstone && existingHorizon < 0;
  const batchHorizon = needsHorizon ? horizon : existingHorizon;
  if (keptTombstone && (io.nextHorizon < 0 || batchHorizon < io.nextHorizon)) io.nextHorizon = batchHorizon;
  if (kept.length === records.list.length && !needsHorizon) return frame;
  if (kept.length === 0) {
    const producerId = readProducerId(frame, 0);
    const lastOfProducer = producerId >= 0n && job.producerLastOffsets.get(producerId) === info.lastOffset;
    return lastOfProducer ? emptyBatch(frame, info) : null;
  }
  return rebuildBatch(frame, info, records.data, kept, needsHorizon ? batchHorizon : -1);
}

/** A batch whose records all go: nothing, or its empty header when it is its producer's last (RETAIN_EMPTY). */
function keepOnlyIfLastOfProducer(batch: WalkedBatch, job: CleanJob): Buffer | null {
  const producerId = readProducerId(batch.frame, 0);
  const control = (batch.info.attributes & ATTRIBUTE_CONTROL) !== 0;
  const lastOfProducer = producerId >= 0n && (job.producerLastOffsets.get(producerId) === batch.info.lastOffset
    || (control && job.producerMarkerOnlyEpochs?.get(producerId) === batch.frame.readInt16BE(PRODUCER_EPOCH_POSITION)));
  return lastOfProducer ? emptyBatch(batch.frame, batch.info) : null;
}

/**
 * A marker as Kafka's cleaner keeps it: as it is while its transaction has batches left; once
 * eligible (`canDiscard`), given a delete horizon, then removed after it; an emptied one goes.
 */
function filterControlBatch(batch: WalkedBatch, canDiscard: boolean, job: CleanJob, horizon: number, io: Io): Buffer | null {
  const { frame, info } = batch;
  if (frame.readInt32BE(RECORD_COUNT_POSITION) === 0) return keepOnlyIfLastOfProducer(batch, job);
  if (!canDiscard) return frame;
  const hasHorizon = (info.attributes & ATTRIBUTE_DELETE_HORIZON) !== 0;
  const existing = hasHorizon ? Number(frame.readBigInt64BE(BASE_TIMESTAMP_POSITION)) : -1;
  if (hasHorizon && existing <= job.nowMs) return keepOnlyIfLastOfProducer(batch, job);
  const batchHorizon = hasHorizon ? existing : horizon;
  if (io.nextHorizon < 0 || batchHorizon < io.nextHorizon) io.nextHorizon = batchHorizon;
  if (hasHorizon) return frame;
  const records = walkRecords(frame, { ...info, attributes: info.attributes & ~0x07 });
  return rebuildBatch(frame, info, records.data, records.list, horizon);
}

/**
 * The transactions a cleaner pass walks through, in offset order (Kafka's CleanedTransactionMetadata):
 * the aborted ones come from the .txnindex entries whose marker is at or past the pass's start,
 * entered at their first offset; a producer's committed transaction is one it wrote transactional
 * batches for that no aborted entry covers. Markers say whether they may go.
 */
class TxnTracker {
  /** Aborted transactions not yet reached, by first offset. */
  readonly #pending: AbortedTxn[];
  readonly #ongoingAborted = new Map<bigint, { txn: AbortedTxn; observed: boolean }>();
  readonly #ongoingCommitted = new Set<bigint>();
  /** Entries the cleaned file being written keeps in its .txnindex. */
  #cleanedIndex: AbortedTxn[] = [];

  constructor(abortedTxns: readonly AbortedTxn[], fromOffset: bigint) {
    this.#pending = abortedTxns.filter((t) => t.lastOffset >= fromOffset).sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : a.firstOffset > b.firstOffset ? 1 : 0));
  }

  #consumeUpTo(offset: bigint): void {
    while (this.#pending.length > 0 && this.#pending[0]!.firstOffset <= offset) {
      const txn = this.#pending.shift()!;
      this.#ongoingAborted.set(txn.producerId, { txn, observed: false });
    }
  }

  /** True when the batch belongs to an aborted transaction (all its records go). */
  onDataBatch(frame: Buffer, info: BatchInfo): boolean {
    this.#consumeUpTo(info.lastOffset);
    if ((info.attributes & ATTRIBUTE_TRANSACTIONAL) === 0) return false;
    const producerId = readProducerId(frame, 0);
    const aborted = this.#ongoingAborted.get(producerId);
    if (aborted) {
      aborted.observed = true;
      return true;
    }
    this.#ongoingCommitted.add(producerId);
    return false;
  }

  /** True when the marker may go (after its horizon): its transaction has no batch left before it. */
  onControlBatch(frame: Buffer, info: BatchInfo): boolean {
    this.#consumeUpTo(info.lastOffset);
    const marker = readEndTxnMarker(frame, 0);
    if (marker === null) return true;
    const producerId = readProducerId(frame, 0);
    if (!marker.commit) {
      const aborted = this.#ongoingAborted.get(producerId);
      this.#ongoingAborted.delete(producerId);
      if (aborted?.observed) {
        this.#cleanedIndex.push(aborted.txn);
        return false;
      }
      return true;
    }
    return !this.#ongoingCommitted.delete(producerId);
  }

  /** The .txnindex entries of the cleaned file just finished (those whose marker it holds). */
  takeCleanedIndex(): AbortedTxn[] {
    const out = this.#cleanedIndex;
    this.#cleanedIndex = [];
    return out;
  }
}

function shouldRetain(r: WalkedRecord, map: Map<string, number>, mappedUpTo: number, horizon: number, nowMs: number): boolean {
  if (r.offset >= mappedUpTo) return true;
  if (r.key === null) return false;
  const latest = map.get(r.key);
  // A key not in the map was last written before the dirty part (an earlier clean kept it).
  if (latest !== undefined && r.offset < latest) return false;
  if (r.hasValue) return true;
  return horizon < 0 || nowMs < horizon;
}

/** Kafka's DefaultRecordBatch.writeEmptyHeader: the header alone, no records, no codec, both timestamps the max. */
function emptyBatch(frame: Buffer, info: BatchInfo): Buffer {
  const out = Buffer.from(frame.subarray(0, RECORDS_POSITION));
  out.writeInt32BE(RECORDS_POSITION - LOG_OVERHEAD, BATCH_LENGTH_POSITION);
  // No codec and no delete horizon: Kafka's writeEmptyHeader sets neither.
  const attributes = info.attributes & ~0x07 & ~ATTRIBUTE_DELETE_HORIZON;
  out.writeInt16BE(attributes, ATTRIBUTES_POSITION);
  out.writeBigInt64BE(info.maxTimestamp, BASE_TIMESTAMP_POSITION);
  out.writeInt32BE(0, RECORD_COUNT_POSITION);
  out.writeUInt32BE(computeBatchCrc(out, 0), CRC_POSITION);
  return out;
}

/**
 * A batch with only `kept` of its records: same baseOffset, lastOffsetDelta, producer fields and
 * codec; maxTimestamp from the kept records (the broker's under LogAppendTime); with `horizon`
 * >= 0 the delete horizon is set and every record's timestamp delta is rebased on it.
 */
function rebuildBatch(frame: Buffer, info: BatchInfo, data: Buffer, kept: WalkedRecord[], horizon: number): Buffer {
  const logAppendTime = (info.attributes & ATTRIBUTE_TIMESTAMP_TYPE_LOG_APPEND_TIME) !== 0;
  const oldBase = frame.readBigInt64BE(BASE_TIMESTAMP_POSITION);
  const newBase = horizon >= 0 ? BigInt(horizon) : oldBase;
  let size = 0;
  for (const r of kept) size += horizon >= 0 ? reencodedSize(r, data, newBase, oldBase, logAppendTime) : r.end - r.start;
  const section = Buffer.allocUnsafe(size);
  let at = 0;
  let maxTimestamp = -1n;
  for (const r of kept) {
    const timestamp = oldBase + storedDelta(r, data);
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
    if (horizon < 0) {
      data.copy(section, at, r.start, r.end);
      at += r.end - r.start;
    } else {
      at = writeReencoded(section, at, r, data, newBase, oldBase, logAppendTime);
    }
  }
  const codec = compressionCodecOf(info.attributes)!;
  const body = codec === 'none' ? section : compress(codec, section);
  const out = Buffer.allocUnsafe(RECORDS_POSITION + body.length);
  frame.copy(out, 0, 0, RECORDS_POSITION);
  body.copy(out, RECORDS_POSITION);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH_POSITION);
  out.writeInt32BE(frame.readInt32BE(LAST_OFFSET_DELTA_POSITION), LAST_OFFSET_DELTA_POSITION);
  if (horizon >= 0) out.writeInt16BE(info.attributes | ATTRIBUTE_DELETE_HORIZON, ATTRIBUTES_POSITION);
  out.writeBigInt64BE(newBase, BASE_TIMESTAMP_POSITION);
  out.writeBigInt64BE(logAppendTime ? info.maxTimestamp : maxTimestamp, MAX_TIMESTAMP_POSITION);
  out.writeInt32BE(kept.length, RECORD_COUNT_POSITION);
  out.writeUInt32BE(computeBatchCrc(out, 0), CRC_POSITION);
  return out;
}

/** The timestamp delta a record carries. */
function storedDelta(r: WalkedRecord, data: Buffer): bigint {
  const cursor = { pos: r.start };
  readVarint(data, cursor);
  cursor.pos++;
  return readVarlong(data, cursor);
}

/** A record's timestamp delta against `newBase` (under LogAppendTime the stored delta stays: readers ignore it). */
function rebasedDelta(r: WalkedRecord, data: Buffer, newBase: bigint, oldBase: bigint, logAppendTime: boolean): bigint {
  const delta = storedDelta(r, data);
  return logAppendTime ? delta : oldBase + delta - newBase;
}

function reencodedSize(r: WalkedRecord, data: Buffer, newBase: bigint, oldBase: bigint, logAppendTime: boolean): number {
  const body = 1 + varlongSize(rebasedDelta(r, data, newBase, oldBase, logAppendTime)) + varintSize(r.offsetDelta) + (r.end - r.tailStart);
  return varintSize(body) + body;
}

function writeReencoded(out: Buffer, at: number, r: WalkedRecord, data: Buffer, newBase: bigint, oldBase: bigint, logAppendTime: boolean): number {
  const delta = rebasedDelta(r, data, newBase, oldBase, logAppendTime);
  const body = 1 + varlongSize(delta) + varintSize(r.offsetDelta) + (r.end - r.tailStart);
  let pos = writeVarint(out, at, body);
  out[pos++] = 0;
  pos = writeVarlong(out, pos, delta);
  pos = writeVarint(out, pos, r.offsetDelta);
  data.copy(out, pos, r.tailStart, r.end);
  return pos + (r.end - r.tailStart);
}

function readVarint(buf: Buffer, cursor: { pos: number }): number {
  let u = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (cursor.pos >= buf.length) throw new RangeError('varint runs past the records');
    const b = buf[cursor.pos++]!;
    u |= (b & 0x7f) << shift;
    if (b < 0x80) {
      u >>>= 0;
      return (u >>> 1) ^ -(u & 1);
    }
  }
  throw new RangeError('varint too long');
}

function skipVarlong(buf: Buffer, cursor: { pos: number }): void {
  for (let i = 0; i < 10; i++) {
    if (cursor.pos >= buf.length) throw new RangeError('varlong runs past the records');
    if (buf[cursor.pos++]! < 0x80) return;
  }
  throw new RangeError('varlong too long');
}

function readVarlong(buf: Buffer, cursor: { pos: number }): bigint {
  let u = 0n;
  for (let shift = 0n; shift < 70n; shift += 7n) {
    if (cursor.pos >= buf.length) throw new RangeError('varlong runs past the records');
    const b = buf[cursor.pos++]!;
    u |= BigInt(b & 0x7f) << shift;
    if (b < 0x80) return (u >> 1n) ^ -(u & 1n);
  }
  throw new RangeError('varlong too long');
}

/**
 * Writes a cleaned segment: the .log and its two sparse indexes, with the writer's rule for index
 * entries (Segment.noteBatch), each fdatasynced before it is closed, so a rename later publishes
 * complete files only.
 */
class CleanedWriter {
  size = 0;
  private readonly logFd: number;
  private readonly offsetFd: number;
  private readonly timeFd: number;
  private readonly base: bigint;
  private readonly interval: number;
  private sinceEntry = 0;
  private maxTimestamp = -1n;
  private offsetOfMax = -1n;
  private lastIndexedTimestamp = -1n;
  private offsetIndexBytes = 0;
  private timeIndexBytes = 0;
  private readonly entry = Buffer.alloc(TIME_INDEX_ENTRY_BYTES);
  private closed = false;

  private readonly txnIndexPath: string;

  constructor(logPath: string, offsetPath: string, timePath: string, base: bigint, interval: number, txnIndexPath: string) {
    this.txnIndexPath = txnIndexPath;
    this.logFd = openSync(logPath, 'w');
    this.offsetFd = openSync(offsetPath, 'w');
    this.timeFd = openSync(timePath, 'w');
    this.base = base;
    this.interval = interval;
  }

  append(frame: Buffer, info: BatchInfo): void {
    const maxTimestamp = frame.readBigInt64BE(MAX_TIMESTAMP_POSITION);
    if (maxTimestamp > this.maxTimestamp) {
      this.maxTimestamp = maxTimestamp;
      this.offsetOfMax = info.baseOffset;
    }
    if (this.sinceEntry > this.interval) {
      encodeOffsetIndexEntry(this.entry, 0, Number(info.baseOffset - this.base), this.size);
      writeAll(this.offsetFd, this.entry, OFFSET_INDEX_ENTRY_BYTES, this.offsetIndexBytes);
      this.offsetIndexBytes += OFFSET_INDEX_ENTRY_BYTES;
      this.timeEntry();
      this.sinceEntry = 0;
    }
    writeAll(this.logFd, frame, frame.length, this.size);
    this.size += frame.length;
    this.sinceEntry += frame.length;
  }

  private timeEntry(): void {
    if (this.maxTimestamp <= this.lastIndexedTimestamp) return;
    encodeTimeIndexEntry(this.entry, 0, this.maxTimestamp, Number(this.offsetOfMax - this.base));
    writeAll(this.timeFd, this.entry, TIME_INDEX_ENTRY_BYTES, this.timeIndexBytes);
    this.timeIndexBytes += TIME_INDEX_ENTRY_BYTES;
    this.lastIndexedTimestamp = this.maxTimestamp;
  }

  /** The final time entry (a rolled segment's largest timestamp), then everything to the disk. */
  finish(abortedTxns: readonly AbortedTxn[]): void {
    this.timeEntry();
    fdatasyncSync(this.logFd);
    fdatasyncSync(this.offsetFd);
    fdatasyncSync(this.timeFd);
    // Only when some entry is kept: a cleaned segment with no aborted transaction has no .txnindex.
    if (abortedTxns.length > 0) {
      const fd = openSync(this.txnIndexPath, 'w');
      try {
        const bytes = encodeAbortedTxns(abortedTxns);
        writeAll(fd, bytes, bytes.length, 0);
        fdatasyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.logFd);
    closeSync(this.offsetFd);
    closeSync(this.timeFd);
  }
}

function writeAll(fd: number, buf: Buffer, length: number, position: number): void {
  let written = 0;
  while (written < length) written += writeSync(fd, buf, written, length - written, position + written);
}

/** For the shard's scheduling: the first batch's base timestamp of a segment (Kafka's earliest timestamp for max.compaction.lag.ms). */
export function firstBatchTimestamp(logPath: string): bigint | null {
  const fd = openSync(logPath, 'r');
  try {
    const header = Buffer.alloc(RECORDS_POSITION);
    if (readSync(fd, header, 0, RECORDS_POSITION, 0) < RECORDS_POSITION) return null;
    const attributes = header.readInt16BE(ATTRIBUTES_POSITION);
    // With a delete horizon the base timestamp field is not a record time: the max bounds it.
    return (attributes & ATTRIBUTE_DELETE_HORIZON) !== 0 ? header.readBigInt64BE(MAX_TIMESTAMP_POSITION) : header.readBigInt64BE(BASE_TIMESTAMP_POSITION);
  } finally {
    closeSync(fd);
  }
}
