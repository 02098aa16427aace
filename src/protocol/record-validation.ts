// The produce path's check of the records inside a RecordBatch v2, as Kafka's LogValidator and
// DefaultRecord.readFrom make it (issue 19 defect 7): every record's length, and the key, value and
// header lengths inside it, the declared count, no bytes after the last record. A compressed batch
// is decompressed and walked the same way. The walk reads varints in place and allocates nothing
// per record: it runs on the shard for every produced batch.
import { decompress, decompressAsync, compressionCodecOf, type CompressionCodec } from './compression.ts';
import { RECORDS_POSITION, readAttributes, readBatchSize, readRecordCount } from './record-batch.ts';

/**
 * Kafka's answers, established by the differential suite (test/differential/cases/data-path.ts
 * BAD_BATCHES) and Kafka's code: a record that does not parse is InvalidRecordException
 * (INVALID_RECORD); a payload the codec cannot read is a KafkaException, which the produce path
 * answers UNKNOWN_SERVER_ERROR. Neither carries per-record errors (record_errors, Produce v8+):
 * Kafka fills those only for RecordValidationException (timestamps, keys of compacted topics).
 */
export type RecordsError = 'INVALID_RECORD' | 'UNKNOWN_SERVER_ERROR';

export type RecordsValidation =
  | { ok: true }
  | {
    ok: false; error: RecordsError; reason: string;
    /**
     * Indexes (within the batch) of records refused one by one, Kafka's RecordValidationException:
     * here a record without a key in a compacted topic. The caller words the per-record message.
     */
    keylessRecords?: number[];
  };

/** The per-record text Kafka's LogValidator.validateKey gives a keyless record of a compacted topic. */
export function keylessRecordMessage(topic: string, partition: number): string {
  return `Compacted topic cannot accept message without key in topic partition ${topic}-${partition}`;
}

/** The partition-level error_message Kafka's LogValidator.processRecordErrors builds from them (RecordError.toString). */
export function recordErrorsSummary(indexes: readonly number[], message: string): string {
  const shown = indexes.slice(0, 3).map((i) => `RecordError(batchIndex=${i}, message='${message}')`);
  return `One or more records have been rejected due to ${indexes.length} record errors in total, and only showing the first three errors at most: [${shown.join(', ')}]`;
}

const OK: RecordsValidation = { ok: true };

/** Past this much decompressed data a batch is refused rather than inflated further (a zip bomb). */
export const MAX_DECOMPRESSED_BYTES = 64 * 1024 * 1024;

// The walk's cursor. Module state instead of an object so that reading a varint allocates
// nothing; the walk is synchronous, so no two walks share it.
let pos = 0;
let limit = 0;
let overrun = false;

function readVarint(buf: Buffer): number {
  let u = 0;
  for (let shift = 0; shift < 35; shift += 7) {
    if (pos >= limit) {
      overrun = true;
      return 0;
    }
    const b = buf[pos++]!;
    u |= (b & 0x7f) << shift;
    if (b < 0x80) {
      u >>>= 0;
      return (u >>> 1) ^ -(u & 1);
    }
  }
  overrun = true;
  return 0;
}

/** Skips a varlong (the timestamp delta): up to 10 bytes, the last without the high bit. */
function skipVarlong(buf: Buffer): void {
  for (let i = 0; i < 10; i++) {
    if (pos >= limit) break;
    if (buf[pos++]! < 0x80) return;
  }
  overrun = true;
}

/** Skips a length-prefixed byte string; -1 is null. False when it does not fit. */
function skipBytes(buf: Buffer, nullable: boolean): boolean {
  const length = readVarint(buf);
  if (overrun) return false;
  if (length === -1 && nullable) return true;
  if (length < 0 || length > limit - pos) return false;
  pos += length;
  return true;
}

function invalid(reason: string): RecordsValidation {
  return { ok: false, error: 'INVALID_RECORD', reason };
}

/**
 * Walks `count` records in data[start, end); the first problem found is the reason. With
 * `keyRequired` (a compacted topic) every record without a key is listed; a record that does not
 * parse still wins, as in Kafka, where parsing throws while key errors are collected per batch.
 */
export function validateRecordsSection(data: Buffer, start: number, end: number, count: number, keyRequired = false): RecordsValidation {
  pos = start;
  limit = end;
  overrun = false;
  let keyless: number[] | undefined;
  for (let i = 0; i < count; i++) {
    if (pos >= end) return invalid(`the batch declares ${count} records but ends after ${i}`);
    const bodySize = readVarint(data);
    if (overrun) return invalid(`record ${i}: its length runs past the batch`);
    if (bodySize < 0 || bodySize > end - pos) return invalid(`record ${i}: length ${bodySize} with ${end - pos} bytes left`);
    const bodyEnd = pos + bodySize;
    limit = bodyEnd;
    // The attributes byte: Kafka reads it and uses none of its bits in v2.
    if (pos >= limit) return invalid(`record ${i}: empty record`);
    pos++;
    skipVarlong(data);
    readVarint(data); // offsetDelta: Kafka does not check it (LogValidator reassigns offsets)
    if (overrun) return invalid(`record ${i}: timestamp or offset delta runs past the record`);
    if (keyRequired && nullBytesNext(data)) (keyless ??= []).push(i);
    if (!skipBytes(data, true)) return invalid(`record ${i}: key runs past the record`);
    if (!skipBytes(data, true)) return invalid(`record ${i}: value runs past the record`);
    const headerCount = readVarint(data);
    if (overrun || headerCount < 0 || headerCount > limit - pos) return invalid(`record ${i}: invalid header count ${headerCount}`);
    for (let h = 0; h < headerCount; h++) {
      if (!skipBytes(data, false)) return invalid(`record ${i}: header ${h} key runs past the record`);
      if (!skipBytes(data, true)) return invalid(`record ${i}: header ${h} value runs past the record`);
    }
    if (pos !== bodyEnd) return invalid(`record ${i}: length ${bodySize} but its fields take ${pos - (bodyEnd - bodySize)}`);
    limit = end;
  }
  if (pos !== end) return invalid(`${end - pos} bytes after the last of ${count} records`);
  if (keyless !== undefined) return { ok: false, error: 'INVALID_RECORD', reason: 'records without a key in a compacted topic', keylessRecords: keyless };
  return OK;
}

/** Whether the length varint at the cursor is -1 (a null key), without moving the cursor. */
function nullBytesNext(buf: Buffer): boolean {
  // -1 zigzag-encodes as the single byte 0x01.
  return pos < limit && buf[pos] === 0x01;
}

/** A batch's codec, or the refusal Kafka gives an undefined codec id. */
export function codecOrRefusal(buf: Buffer, offset: number): CompressionCodec | RecordsValidation {
  const codec = compressionCodecOf(readAttributes(buf, offset));
  // CompressionType.forId throws IllegalArgumentException, which Kafka answers UNKNOWN_SERVER_ERROR.
  return codec ?? { ok: false, error: 'UNKNOWN_SERVER_ERROR', reason: `unknown compression codec id ${readAttributes(buf, offset) & 0x07}` };
}

function undecompressable(codec: CompressionCodec, err: unknown): RecordsValidation {
  return { ok: false, error: 'UNKNOWN_SERVER_ERROR', reason: `failed to decompress the ${codec} records: ${(err as Error).message}` };
}

/**
 * Validates the records of the batch at `offset` (its header already checked): walks them in
 * place when uncompressed, decompresses then walks them otherwise.
 */
export function validateBatchRecords(buf: Buffer, offset: number, keyRequired = false): RecordsValidation {
  const size = readBatchSize(buf, offset);
  const count = readRecordCount(buf, offset);
  const start = offset + RECORDS_POSITION;
  const end = offset + size;
  const codec = codecOrRefusal(buf, offset);
  if (typeof codec !== 'string') return codec;
  if (codec === 'none') return validateRecordsSection(buf, start, end, count, keyRequired);
  let data: Buffer;
  try {
    data = decompress(codec, buf.subarray(start, end), MAX_DECOMPRESSED_BYTES);
  } catch (err) {
    return undecompressable(codec, err);
  }
  return validateRecordsSection(data, 0, data.length, count, keyRequired);
}

/**
 * validateBatchRecords for a compressed batch at offset 0 of `batch`, with the inflating done off
 * the calling thread (decompressAsync); the walk itself is synchronous and short. `batch` must
 * stay unchanged until the promise settles.
 */
export async function validateCompressedBatch(batch: Buffer, keyRequired = false): Promise<RecordsValidation> {
  const codec = codecOrRefusal(batch, 0);
  if (typeof codec !== 'string') return codec;
  const count = readRecordCount(batch, 0);
  let data: Buffer;
  try {
    data = await decompressAsync(codec, batch.subarray(RECORDS_POSITION, readBatchSize(batch, 0)), MAX_DECOMPRESSED_BYTES);
  } catch (err) {
    return undecompressable(codec, err);
  }
  return validateRecordsSection(data, 0, data.length, count, keyRequired);
}
