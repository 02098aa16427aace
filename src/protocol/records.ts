// Encoding and decoding of the records inside a RecordBatch v2, for tests, the CLI and the load
// generator. The produce path never calls this: it keeps batches opaque (record-batch.ts).
import { compress, compressionCodecId, decompress, type CompressionCodec } from './compression.ts';
import {
  ATTRIBUTES_POSITION,
  ATTRIBUTE_TRANSACTIONAL,
  BASE_OFFSET_POSITION,
  BASE_SEQUENCE_POSITION,
  BASE_TIMESTAMP_POSITION,
  BATCH_LENGTH_POSITION,
  CRC_POSITION,
  CURRENT_MAGIC,
  LAST_OFFSET_DELTA_POSITION,
  LOG_OVERHEAD,
  MAGIC_POSITION,
  MAX_TIMESTAMP_POSITION,
  PARTITION_LEADER_EPOCH_POSITION,
  PRODUCER_EPOCH_POSITION,
  PRODUCER_ID_POSITION,
  RECORDS_POSITION,
  RECORD_BATCH_HEADER_SIZE,
  RECORD_COUNT_POSITION,
  RecordBatchView,
  computeBatchCrc,
  validateBatch,
} from './record-batch.ts';
import { varintSize, varlongSize, writeVarint, writeVarlong } from './varint.ts';

export { varintSize, varlongSize, writeVarint, writeVarlong };

export type RecordHeader = { key: string; value: Buffer | null };

/** One record as stored in a batch: offsets and timestamps relative to the batch's base. */
export interface KafkaRecord {
  offsetDelta: number;
  timestampDelta: bigint;
  key: Buffer | null;
  value: Buffer | null;
  headers: RecordHeader[];
}

export type DecodedRecord = KafkaRecord & { offset: bigint; timestamp: bigint };

export type RecordInput = {
  key: Buffer | null;
  value: Buffer | null;
  headers?: RecordHeader[];
  /** Defaults to the batch's baseTimestamp. */
  timestamp?: bigint;
};

export type BuildRecordBatchOptions = {
  baseOffset?: bigint;
  baseTimestamp: bigint;
  records: RecordInput[];
  compression?: CompressionCodec;
  partitionLeaderEpoch?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
};

export type DecodedRecordBatch = {
  baseOffset: bigint;
  batchLength: number;
  partitionLeaderEpoch: number;
  magic: number;
  crc: number;
  attributes: number;
  compression: CompressionCodec;
  timestampType: 'CreateTime' | 'LogAppendTime';
  isTransactional: boolean;
  isControl: boolean;
  lastOffsetDelta: number;
  baseTimestamp: bigint;
  maxTimestamp: bigint;
  producerId: bigint;
  producerEpoch: number;
  baseSequence: number;
  recordCount: number;
  records: DecodedRecord[];
};

/** Reads records section bytes with every length bounded by what is left. */
class RecordReader {
  readonly buf: Buffer;
  position: number;
  readonly end: number;

  constructor(buf: Buffer, position: number, end: number) {
    this.buf = buf;
    this.position = position;
    this.end = end;
  }

  private byte(): number {
    if (this.position >= this.end) throw new RangeError('record data ends inside a varint');
    return this.buf[this.position++];
  }

  varint(): number {
    let u = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      const b = this.byte();
      u |= (b & 0x7f) << shift;
      if (b < 0x80) {
        u >>>= 0;
        return (u >>> 1) ^ -(u & 1);
      }
    }
    throw new RangeError('varint longer than 5 bytes');
  }

  varlong(): bigint {
    let z = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const b = this.byte();
      z |= BigInt(b & 0x7f) << shift;
      if (b < 0x80) return BigInt.asIntN(64, (z >> 1n) ^ -(z & 1n));
    }
    throw new RangeError('varlong longer than 10 bytes');
  }

  int8(): number {
    return (this.byte() << 24) >> 24;
  }

  /** A varint-length-prefixed byte string; length -1 means null. Returns a view, not a copy. */
  bytes(what: string): Buffer | null {
    const length = this.varint();
    if (length === -1) return null;
    if (length < -1 || length > this.end - this.position) {
      throw new RangeError(`${what} length ${length} with ${this.end - this.position} bytes left`);
    }
    const view = this.buf.subarray(this.position, this.position + length);
    this.position += length;
    return view;
  }
}

// ---- encoding ----

type SizedRecord = { input: RecordInput; timestampDelta: bigint; keyBytes: Buffer[]; bodySize: number };

function headerKeyBytes(headers: RecordHeader[]): Buffer[] {
  return headers.map((h) => Buffer.from(h.key, 'utf8'));
}

function nullableBytesSize(b: Buffer | null): number {
  return b === null ? 1 : varintSize(b.length) + b.length;
}

function sizeRecord(input: RecordInput, offsetDelta: number, baseTimestamp: bigint): SizedRecord {
  const timestampDelta = (input.timestamp ?? baseTimestamp) - baseTimestamp;
  const headers = input.headers ?? [];
  const keyBytes = headerKeyBytes(headers);
  let bodySize = 1 + varlongSize(timestampDelta) + varintSize(offsetDelta);
  bodySize += nullableBytesSize(input.key) + nullableBytesSize(input.value);
  bodySize += varintSize(headers.length);
  for (let i = 0; i < headers.length; i++) {
    bodySize += varintSize(keyBytes[i].length) + keyBytes[i].length + nullableBytesSize(headers[i].value);
  }
  return { input, timestampDelta, keyBytes, bodySize };
}

function writeNullableBytes(buf: Buffer, position: number, b: Buffer | null): number {
  if (b === null) return writeVarint(buf, position, -1);
  position = writeVarint(buf, position, b.length);
  b.copy(buf, position);
  return position + b.length;
}

function writeRecord(buf: Buffer, position: number, record: SizedRecord, offsetDelta: number): number {
  position = writeVarint(buf, position, record.bodySize);
  buf[position++] = 0; // record attributes: unused by Kafka, always 0
  position = writeVarlong(buf, position, record.timestampDelta);
  position = writeVarint(buf, position, offsetDelta);
  position = writeNullableBytes(buf, position, record.input.key);
  position = writeNullableBytes(buf, position, record.input.value);
  const headers = record.input.headers ?? [];
  position = writeVarint(buf, position, headers.length);
  for (let i = 0; i < headers.length; i++) {
    position = writeNullableBytes(buf, position, record.keyBytes[i]);
    position = writeNullableBytes(buf, position, headers[i].value);
  }
  return position;
}

/** A complete RecordBatch v2 with correct lastOffsetDelta, maxTimestamp and CRC-32C. */
export function buildRecordBatch(options: BuildRecordBatchOptions): Buffer {
  const { records, baseTimestamp } = options;
  if (records.length === 0) throw new RangeError('a record batch needs at least one record');
  const codec = options.compression ?? 'none';

  let recordsSize = 0;
  let maxTimestamp = -1n;
  const sized: SizedRecord[] = new Array(records.length);
  for (let i = 0; i < records.length; i++) {
    sized[i] = sizeRecord(records[i], i, baseTimestamp);
    recordsSize += varintSize(sized[i].bodySize) + sized[i].bodySize;
    const timestamp = records[i].timestamp ?? baseTimestamp;
    if (timestamp > maxTimestamp) maxTimestamp = timestamp;
  }

  // Uncompressed, the records are written straight after the header: one allocation, no copy.
  let batch = Buffer.allocUnsafe(RECORD_BATCH_HEADER_SIZE + recordsSize);
  let position = RECORDS_POSITION;
  for (let i = 0; i < sized.length; i++) position = writeRecord(batch, position, sized[i], i);
  if (position !== batch.length) throw new Error(`record sizing bug: wrote ${position} of ${batch.length} bytes`);

  if (codec !== 'none') {
    const compressed = compress(codec, batch.subarray(RECORDS_POSITION));
    const header = batch;
    batch = Buffer.allocUnsafe(RECORD_BATCH_HEADER_SIZE + compressed.length);
    header.copy(batch, 0, 0, RECORD_BATCH_HEADER_SIZE);
    compressed.copy(batch, RECORDS_POSITION);
  }

  let attributes = compressionCodecId(codec);
  if (options.transactional) attributes |= ATTRIBUTE_TRANSACTIONAL;
  batch.writeBigInt64BE(options.baseOffset ?? 0n, BASE_OFFSET_POSITION);
  batch.writeInt32BE(batch.length - LOG_OVERHEAD, BATCH_LENGTH_POSITION);
  batch.writeInt32BE(options.partitionLeaderEpoch ?? -1, PARTITION_LEADER_EPOCH_POSITION);
  batch.writeInt8(CURRENT_MAGIC, MAGIC_POSITION);
  batch.writeInt16BE(attributes, ATTRIBUTES_POSITION);
  batch.writeInt32BE(records.length - 1, LAST_OFFSET_DELTA_POSITION);
  batch.writeBigInt64BE(baseTimestamp, BASE_TIMESTAMP_POSITION);
  batch.writeBigInt64BE(maxTimestamp, MAX_TIMESTAMP_POSITION);
  batch.writeBigInt64BE(options.producerId ?? -1n, PRODUCER_ID_POSITION);
  batch.writeInt16BE(options.producerEpoch ?? -1, PRODUCER_EPOCH_POSITION);
  batch.writeInt32BE(options.baseSequence ?? -1, BASE_SEQUENCE_POSITION);
  batch.writeInt32BE(records.length, RECORD_COUNT_POSITION);
  batch.writeUInt32BE(computeBatchCrc(batch, 0), CRC_POSITION);
  return batch;
}

export type BatchPatch = {
  baseOffset?: bigint;
  /** Shifts maxTimestamp by the same amount; record timestamps are deltas, so they follow. */
  baseTimestamp?: bigint;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
};

/**
 * A copy of a pre-built batch with some header fields changed and the CRC recomputed: how a load
 * generator sends fresh batches without re-encoding (or recompressing) records.
 */
export function cloneBatchWith(template: Buffer, patch: BatchPatch): Buffer {
  const batch = Buffer.allocUnsafe(template.length);
  template.copy(batch);
  if (patch.baseOffset !== undefined) batch.writeBigInt64BE(patch.baseOffset, BASE_OFFSET_POSITION);
  if (patch.baseTimestamp !== undefined) {
    const shift = patch.baseTimestamp - batch.readBigInt64BE(BASE_TIMESTAMP_POSITION);
    batch.writeBigInt64BE(patch.baseTimestamp, BASE_TIMESTAMP_POSITION);
    batch.writeBigInt64BE(batch.readBigInt64BE(MAX_TIMESTAMP_POSITION) + shift, MAX_TIMESTAMP_POSITION);
  }
  if (patch.producerId !== undefined) batch.writeBigInt64BE(patch.producerId, PRODUCER_ID_POSITION);
  if (patch.producerEpoch !== undefined) batch.writeInt16BE(patch.producerEpoch, PRODUCER_EPOCH_POSITION);
  if (patch.baseSequence !== undefined) batch.writeInt32BE(patch.baseSequence, BASE_SEQUENCE_POSITION);
  batch.writeUInt32BE(computeBatchCrc(batch, 0), CRC_POSITION);
  return batch;
}

// ---- decoding ----

/** Decodes `count` records from an uncompressed records section; keys and values are views. */
export function decodeRecords(data: Buffer, count: number): KafkaRecord[] {
  const reader = new RecordReader(data, 0, data.length);
  const records: KafkaRecord[] = [];
  for (let i = 0; i < count; i++) {
    const bodySize = reader.varint();
    if (bodySize < 0 || bodySize > reader.end - reader.position) {
      throw new RangeError(`record ${i}: length ${bodySize} with ${reader.end - reader.position} bytes left`);
    }
    const bodyEnd = reader.position + bodySize;
    const body = new RecordReader(data, reader.position, bodyEnd);
    body.int8(); // record attributes, unused
    const timestampDelta = body.varlong();
    const offsetDelta = body.varint();
    const key = body.bytes('key');
    const value = body.bytes('value');
    const headerCount = body.varint();
    // Each header takes at least two bytes, which bounds a hostile count before allocating.
    if (headerCount < 0 || headerCount * 2 > bodyEnd - body.position) {
      throw new RangeError(`record ${i}: header count ${headerCount} does not fit`);
    }
    const headers: RecordHeader[] = [];
    for (let h = 0; h < headerCount; h++) {
      const headerKey = body.bytes('header key');
      if (headerKey === null) throw new RangeError(`record ${i}: null header key`);
      headers.push({ key: headerKey.toString('utf8'), value: body.bytes('header value') });
    }
    if (body.position !== bodyEnd) throw new RangeError(`record ${i}: ${bodyEnd - body.position} bytes left over`);
    reader.position = bodyEnd;
    records.push({ offsetDelta, timestampDelta, key, value, headers });
  }
  if (reader.position !== data.length) {
    throw new RangeError(`${data.length - reader.position} bytes after the last of ${count} records`);
  }
  return records;
}

/** Decodes the batch at `offset` (validated as a log batch), decompressing its records if needed. */
export function decodeRecordBatch(buf: Buffer, offset = 0): DecodedRecordBatch {
  const validation = validateBatch(buf, offset, { origin: 'log' });
  if (!validation.ok) throw new Error(`${validation.error}: ${validation.reason}`);
  const view = new RecordBatchView(buf, offset);
  const compression = view.compression;
  if (compression === null) throw new Error(`INVALID_RECORD: unknown compression codec ${view.attributes & 7}`);
  const { baseOffset, baseTimestamp, maxTimestamp, isLogAppendTime } = view;
  const recordCount = view.recordCount;
  const records = decodeRecords(decompress(compression, view.records), recordCount).map(
    (record): DecodedRecord => ({
      ...record,
      offset: baseOffset + BigInt(record.offsetDelta),
      // Under LogAppendTime the broker's time, kept in maxTimestamp, replaces every record's own.
      timestamp: isLogAppendTime ? maxTimestamp : baseTimestamp + record.timestampDelta,
    }),
  );
  return {
    baseOffset,
    batchLength: view.batchLength,
    partitionLeaderEpoch: view.partitionLeaderEpoch,
    magic: view.magic,
    crc: view.crc,
    attributes: view.attributes,
    compression,
    timestampType: isLogAppendTime ? 'LogAppendTime' : 'CreateTime',
    isTransactional: view.isTransactional,
    isControl: view.isControl,
    lastOffsetDelta: view.lastOffsetDelta,
    baseTimestamp,
    maxTimestamp,
    producerId: view.producerId,
    producerEpoch: view.producerEpoch,
    baseSequence: view.baseSequence,
    recordCount,
    records,
  };
}
