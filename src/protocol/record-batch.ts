// Zero-copy reading, validation and in-place rewriting of Kafka RecordBatch v2 headers, for the
// produce path (validate, assign offsets) and log recovery (find a torn or corrupt tail).
import { crc32c } from './crc32c.ts';
import { compressionCodecOf, type CompressionCodec } from './compression.ts';

/*
 * RecordBatch v2 header, big-endian, 61 bytes, then the (possibly compressed) records:
 *
 *   0  baseOffset            int64   ┐ LOG_OVERHEAD (12): not covered by batchLength
 *   8  batchLength           int32   ┘ bytes after this field
 *  12  partitionLeaderEpoch  int32
 *  16  magic                 int8    = 2
 *  17  crc                   uint32  CRC-32C of bytes [21, end)
 *  21  attributes            int16   ┐
 *  23  lastOffsetDelta       int32   │
 *  27  baseTimestamp         int64   │
 *  35  maxTimestamp          int64   │ covered by the CRC, so the broker may rewrite
 *  43  producerId            int64   │ baseOffset and partitionLeaderEpoch without
 *  51  producerEpoch         int16   │ recomputing it
 *  53  baseSequence          int32   │
 *  57  recordCount           int32   │
 *  61  records ...                   ┘
 */
export const BASE_OFFSET_POSITION = 0;
export const BATCH_LENGTH_POSITION = 8;
export const PARTITION_LEADER_EPOCH_POSITION = 12;
export const MAGIC_POSITION = 16;
export const CRC_POSITION = 17;
export const ATTRIBUTES_POSITION = 21;
export const LAST_OFFSET_DELTA_POSITION = 23;
export const BASE_TIMESTAMP_POSITION = 27;
export const MAX_TIMESTAMP_POSITION = 35;
export const PRODUCER_ID_POSITION = 43;
export const PRODUCER_EPOCH_POSITION = 51;
export const BASE_SEQUENCE_POSITION = 53;
export const RECORD_COUNT_POSITION = 57;
export const RECORDS_POSITION = 61;

export const RECORD_BATCH_HEADER_SIZE = 61;
/** baseOffset + batchLength: the bytes of a batch that batchLength does not count. */
export const LOG_OVERHEAD = 12;
/** The smallest legal batchLength: a header with no records. */
export const MIN_BATCH_LENGTH = RECORD_BATCH_HEADER_SIZE - LOG_OVERHEAD;
export const CURRENT_MAGIC = 2;

export const ATTRIBUTE_COMPRESSION_MASK = 0x07;
export const ATTRIBUTE_LOG_APPEND_TIME = 0x08;
export const ATTRIBUTE_TRANSACTIONAL = 0x10;
export const ATTRIBUTE_CONTROL = 0x20;

/** Kafka's error names for a bad batch; the acceptor maps them to wire error codes. */
export type BatchError = 'CORRUPT_MESSAGE' | 'INVALID_RECORD' | 'UNSUPPORTED_MAGIC';

export type BatchValidation =
  | { ok: true; size: number }
  // `truncated`: the bytes end before the batch does (a torn tail, as opposed to a bad batch).
  | { ok: false; error: BatchError; reason: string; truncated: boolean };

export type ValidateOptions = {
  /**
   * 'client' (default): a producer's batch, whose records must be dense (recordCount ==
   * lastOffsetDelta + 1), as Kafka's LogValidator requires. 'log': a batch read back from a
   * segment, which compaction may have thinned (recordCount <= lastOffsetDelta + 1).
   */
  origin?: 'client' | 'log';
};

export function readBaseOffset(buf: Buffer, offset: number): bigint {
  return buf.readBigInt64BE(offset + BASE_OFFSET_POSITION);
}
export function readBatchLength(buf: Buffer, offset: number): number {
  return buf.readInt32BE(offset + BATCH_LENGTH_POSITION);
}
/** Whole size of the batch at `offset`: LOG_OVERHEAD + batchLength. */
export function readBatchSize(buf: Buffer, offset: number): number {
  return LOG_OVERHEAD + buf.readInt32BE(offset + BATCH_LENGTH_POSITION);
}
export function readPartitionLeaderEpoch(buf: Buffer, offset: number): number {
  return buf.readInt32BE(offset + PARTITION_LEADER_EPOCH_POSITION);
}
export function readMagic(buf: Buffer, offset: number): number {
  return buf.readInt8(offset + MAGIC_POSITION);
}
export function readCrc(buf: Buffer, offset: number): number {
  return buf.readUInt32BE(offset + CRC_POSITION);
}
export function readAttributes(buf: Buffer, offset: number): number {
  return buf.readInt16BE(offset + ATTRIBUTES_POSITION);
}
export function readLastOffsetDelta(buf: Buffer, offset: number): number {
  return buf.readInt32BE(offset + LAST_OFFSET_DELTA_POSITION);
}
export function readBaseTimestamp(buf: Buffer, offset: number): bigint {
  return buf.readBigInt64BE(offset + BASE_TIMESTAMP_POSITION);
}
export function readMaxTimestamp(buf: Buffer, offset: number): bigint {
  return buf.readBigInt64BE(offset + MAX_TIMESTAMP_POSITION);
}
export function readProducerId(buf: Buffer, offset: number): bigint {
  return buf.readBigInt64BE(offset + PRODUCER_ID_POSITION);
}
export function readProducerEpoch(buf: Buffer, offset: number): number {
  return buf.readInt16BE(offset + PRODUCER_EPOCH_POSITION);
}
export function readBaseSequence(buf: Buffer, offset: number): number {
  return buf.readInt32BE(offset + BASE_SEQUENCE_POSITION);
}
export function readRecordCount(buf: Buffer, offset: number): number {
  return buf.readInt32BE(offset + RECORD_COUNT_POSITION);
}

/** The CRC-32C a batch should carry, computed over attributes..end. Assumes a complete batch. */
export function computeBatchCrc(buf: Buffer, offset: number): number {
  return crc32c(buf.subarray(offset + ATTRIBUTES_POSITION, offset + readBatchSize(buf, offset)));
}

/** A read-only view of the batch at `offset` in `buf`; no bytes are copied. */
export class RecordBatchView {
  readonly buf: Buffer;
  readonly offset: number;

  constructor(buf: Buffer, offset = 0) {
    this.buf = buf;
    this.offset = offset;
  }

  get baseOffset(): bigint { return readBaseOffset(this.buf, this.offset); }
  get batchLength(): number { return readBatchLength(this.buf, this.offset); }
  get batchSize(): number { return readBatchSize(this.buf, this.offset); }
  get partitionLeaderEpoch(): number { return readPartitionLeaderEpoch(this.buf, this.offset); }
  get magic(): number { return readMagic(this.buf, this.offset); }
  get crc(): number { return readCrc(this.buf, this.offset); }
  get attributes(): number { return readAttributes(this.buf, this.offset); }
  get lastOffsetDelta(): number { return readLastOffsetDelta(this.buf, this.offset); }
  get baseTimestamp(): bigint { return readBaseTimestamp(this.buf, this.offset); }
  get maxTimestamp(): bigint { return readMaxTimestamp(this.buf, this.offset); }
  get producerId(): bigint { return readProducerId(this.buf, this.offset); }
  get producerEpoch(): number { return readProducerEpoch(this.buf, this.offset); }
  get baseSequence(): number { return readBaseSequence(this.buf, this.offset); }
  get recordCount(): number { return readRecordCount(this.buf, this.offset); }

  get lastOffset(): bigint { return this.baseOffset + BigInt(this.lastOffsetDelta); }
  get compression(): CompressionCodec | null { return compressionCodecOf(this.attributes); }
  get isLogAppendTime(): boolean { return (this.attributes & ATTRIBUTE_LOG_APPEND_TIME) !== 0; }
  get isTransactional(): boolean { return (this.attributes & ATTRIBUTE_TRANSACTIONAL) !== 0; }
  get isControl(): boolean { return (this.attributes & ATTRIBUTE_CONTROL) !== 0; }
  /** The records section, still compressed if the batch is. */
  get records(): Buffer { return this.buf.subarray(this.offset + RECORDS_POSITION, this.offset + this.batchSize); }
  /** The whole batch, header included. */
  get bytes(): Buffer { return this.buf.subarray(this.offset, this.offset + this.batchSize); }
}

function invalid(error: BatchError, reason: string, truncated = false): BatchValidation {
  return { ok: false, error, reason, truncated };
}

/**
 * Checks the batch starting at `offset` without decompressing it: framing, magic, CRC-32C and
 * the offset/count fields. On success `size` is the whole batch size, so the next one starts at
 * offset + size.
 */
export function validateBatch(buf: Buffer, offset: number, options: ValidateOptions = {}): BatchValidation {
  const available = buf.length - offset;
  // Kafka reads up to the magic before anything else: a shorter tail cannot even say its format.
  if (available < MAGIC_POSITION + 1) {
    return invalid('CORRUPT_MESSAGE', `${available} bytes left, too few for a batch header`, true);
  }
  const batchLength = readBatchLength(buf, offset);
  const magic = readMagic(buf, offset);
  if (magic !== CURRENT_MAGIC) {
    return invalid('UNSUPPORTED_MAGIC', `magic ${magic}, only RecordBatch v2 (magic 2) is accepted`);
  }
  if (batchLength < MIN_BATCH_LENGTH) {
    return invalid('CORRUPT_MESSAGE', `batchLength ${batchLength} is below the minimum ${MIN_BATCH_LENGTH}`);
  }
  const size = LOG_OVERHEAD + batchLength;
  if (size > available) {
    return invalid('CORRUPT_MESSAGE', `batch of ${size} bytes but only ${available} bytes left`, true);
  }
  const storedCrc = readCrc(buf, offset);
  const actualCrc = crc32c(buf.subarray(offset + ATTRIBUTES_POSITION, offset + size));
  if (storedCrc !== actualCrc) {
    return invalid('CORRUPT_MESSAGE', `stored CRC ${hex(storedCrc)} but the batch hashes to ${hex(actualCrc)}`);
  }
  const lastOffsetDelta = readLastOffsetDelta(buf, offset);
  const recordCount = readRecordCount(buf, offset);
  if (lastOffsetDelta < 0) return invalid('INVALID_RECORD', `lastOffsetDelta ${lastOffsetDelta} is negative`);
  if (recordCount < 0) return invalid('INVALID_RECORD', `recordCount ${recordCount} is negative`);
  if ((options.origin ?? 'client') === 'client') {
    if (recordCount !== lastOffsetDelta + 1) {
      return invalid('INVALID_RECORD', `recordCount ${recordCount} does not match lastOffsetDelta ${lastOffsetDelta} + 1`);
    }
  } else if (recordCount > lastOffsetDelta + 1) {
    return invalid('INVALID_RECORD', `recordCount ${recordCount} exceeds lastOffsetDelta ${lastOffsetDelta} + 1`);
  }
  return { ok: true, size };
}

function hex(n: number): string {
  return `0x${n.toString(16).padStart(8, '0')}`;
}

export type BatchWalk =
  /** Every byte belongs to a valid batch. */
  | { status: 'complete'; batchCount: number; validBytes: number }
  /** Valid batches, then bytes that end mid-batch: a torn tail to truncate at validBytes. */
  | { status: 'partial'; batchCount: number; validBytes: number; reason: string }
  /** Valid batches, then a whole but bad batch at validBytes. */
  | { status: 'invalid'; batchCount: number; validBytes: number; error: BatchError; reason: string }
  /** The callback asked to stop after the batch ending at validBytes. */
  | { status: 'stopped'; batchCount: number; validBytes: number };

/**
 * Validates and visits each batch of `buf` in order, stopping at the first bad or partial one.
 * `visit` gets the batch's start and size; returning false stops the walk. Nothing is copied.
 */
export function forEachBatch(
  buf: Buffer,
  visit: (offset: number, size: number) => void | boolean,
  options: ValidateOptions = {},
): BatchWalk {
  let offset = 0;
  let batchCount = 0;
  while (offset < buf.length) {
    const result = validateBatch(buf, offset, options);
    if (!result.ok) {
      return result.truncated
        ? { status: 'partial', batchCount, validBytes: offset, reason: result.reason }
        : { status: 'invalid', batchCount, validBytes: offset, error: result.error, reason: result.reason };
    }
    batchCount++;
    const keepGoing = visit(offset, result.size);
    offset += result.size;
    if (keepGoing === false) return { status: 'stopped', batchCount, validBytes: offset };
  }
  return { status: 'complete', batchCount, validBytes: offset };
}

export type BatchSpan = { offset: number; size: number };

export type ProduceRecordsValidation =
  | { ok: true; batches: BatchSpan[] }
  | { ok: false; error: BatchError; reason: string };

/**
 * The produce path's check of one partition's `records`: one or more whole, valid batches.
 * A partial trailing batch is CORRUPT_MESSAGE here (a client never sends one); an empty blob is
 * INVALID_RECORD, as in Kafka.
 */
export function validateProduceRecords(buf: Buffer): ProduceRecordsValidation {
  if (buf.length === 0) return { ok: false, error: 'INVALID_RECORD', reason: 'no record batch in the produce records' };
  const batches: BatchSpan[] = [];
  const walk = forEachBatch(buf, (offset, size) => {
    batches.push({ offset, size });
  });
  switch (walk.status) {
    case 'complete':
      return { ok: true, batches };
    case 'partial':
      return { ok: false, error: 'CORRUPT_MESSAGE', reason: `partial batch at byte ${walk.validBytes}: ${walk.reason}` };
    case 'invalid':
      return { ok: false, error: walk.error, reason: `batch at byte ${walk.validBytes}: ${walk.reason}` };
    default:
      throw new Error(`unreachable walk status ${walk.status}`);
  }
}

/** Assigns the batch's offsets; baseOffset is outside the CRC, so the CRC stays valid. */
export function setBaseOffset(buf: Buffer, offset: number, baseOffset: bigint): void {
  buf.writeBigInt64BE(baseOffset, offset + BASE_OFFSET_POSITION);
}

/** Stamps the leader epoch; outside the CRC, so the CRC stays valid. */
export function setPartitionLeaderEpoch(buf: Buffer, offset: number, epoch: number): void {
  buf.writeInt32BE(epoch, offset + PARTITION_LEADER_EPOCH_POSITION);
}

/**
 * Marks the batch LogAppendTime with `timestamp` as its maxTimestamp, as Kafka does for topics
 * with message.timestamp.type=LogAppendTime. Both fields are CRC-covered, so the CRC is
 * recomputed (a no-op when the batch already says exactly this).
 */
export function setLogAppendTime(buf: Buffer, offset: number, timestamp: bigint): void {
  const attributes = readAttributes(buf, offset);
  if ((attributes & ATTRIBUTE_LOG_APPEND_TIME) !== 0 && readMaxTimestamp(buf, offset) === timestamp) return;
  buf.writeInt16BE(attributes | ATTRIBUTE_LOG_APPEND_TIME, offset + ATTRIBUTES_POSITION);
  buf.writeBigInt64BE(timestamp, offset + MAX_TIMESTAMP_POSITION);
  buf.writeUInt32BE(computeBatchCrc(buf, offset), offset + CRC_POSITION);
}
