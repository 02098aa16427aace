// Rebuilds a produced batch with another codec, as Kafka's LogValidator does when a topic's
// compression.type differs from the batch's (buildRecordsAndAssignOffsets): the same records,
// keys, values, headers and record timestamps; offset deltas reassigned from 0; baseTimestamp the
// first record's; producer id, epoch, base sequence and the transactional flag kept. Stateless
// CPU work: the produce path runs recompressBatchAsync, whose inflating and deflating happen on
// libuv's thread pool (DESIGN.md §1), for a topic whose compression.type differs from the batch's
// codec (issue 19 defect 2).
import { compressAsync, compressionCodecId, decompressAsync, type CompressionCodec } from './compression.ts';
import {
  ATTRIBUTES_POSITION, ATTRIBUTE_TRANSACTIONAL, BATCH_LENGTH_POSITION, CRC_POSITION, LOG_OVERHEAD, RECORDS_POSITION, computeBatchCrc,
  readAttributes, readBaseSequence, readBaseTimestamp, readBatchSize, readProducerEpoch, readProducerId, readRecordCount,
} from './record-batch.ts';
import { MAX_DECOMPRESSED_BYTES, codecOrRefusal, validateRecordsSection, type RecordsError } from './record-validation.ts';
import { buildRecordBatch, decodeRecordBatch, decodeRecords } from './records.ts';

export interface RecompressOptions {
  /** The codec the stored batch gets. */
  codec: CompressionCodec;
  partitionLeaderEpoch: number;
  /** compression.gzip.level or compression.zstd.level; undefined is the codec's default. */
  level?: number;
  /** A compacted topic: records without a key are refused (validateRecordsSection). */
  keyRequired?: boolean;
}

export type Recompressed = { ok: true; batch: Buffer } | { ok: false; error: RecordsError; reason: string; keylessRecords?: number[] };

/** The batch at `offset` (validated, records included), rebuilt with `options.codec`. */
export function recompressBatch(buf: Buffer, offset: number, options: RecompressOptions): Buffer {
  const source = decodeRecordBatch(buf, offset);
  const first = source.records[0];
  return buildRecordBatch({
    baseOffset: 0n,
    baseTimestamp: first ? first.timestamp : source.baseTimestamp,
    compression: options.codec,
    partitionLeaderEpoch: options.partitionLeaderEpoch,
    producerId: source.producerId,
    producerEpoch: source.producerEpoch,
    baseSequence: source.baseSequence,
    transactional: source.isTransactional,
    records: source.records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp })),
  });
}

/**
 * recompressBatch for the batch at offset 0 of `batch` (header validated, records not yet), with
 * the records checked as validateBatchRecords checks them on the way: a batch that does not
 * decompress or parse is refused with Kafka's code instead of rebuilt.
 */
export async function recompressBatchAsync(batch: Buffer, options: RecompressOptions): Promise<Recompressed> {
  const codec = codecOrRefusal(batch, 0);
  if (typeof codec !== 'string') return codec as Recompressed;
  const count = readRecordCount(batch, 0);
  let inner: Buffer;
  try {
    inner = await decompressAsync(codec, batch.subarray(RECORDS_POSITION, readBatchSize(batch, 0)), MAX_DECOMPRESSED_BYTES);
  } catch (err) {
    return { ok: false, error: 'UNKNOWN_SERVER_ERROR', reason: `failed to decompress the ${codec} records: ${(err as Error).message}` };
  }
  const check = validateRecordsSection(inner, 0, inner.length, count, options.keyRequired === true);
  if (!check.ok) return check;
  const baseTimestamp = readBaseTimestamp(batch, 0);
  let plain: Buffer;
  try {
    const records = decodeRecords(inner, count);
    plain = buildRecordBatch({
      baseOffset: 0n,
      baseTimestamp: records.length > 0 ? baseTimestamp + records[0]!.timestampDelta : baseTimestamp,
      compression: 'none',
      partitionLeaderEpoch: options.partitionLeaderEpoch,
      producerId: readProducerId(batch, 0),
      producerEpoch: readProducerEpoch(batch, 0),
      baseSequence: readBaseSequence(batch, 0),
      transactional: (readAttributes(batch, 0) & ATTRIBUTE_TRANSACTIONAL) !== 0,
      records: records.map((r) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: baseTimestamp + r.timestampDelta })),
    });
  } catch (err) {
    return { ok: false, error: 'INVALID_RECORD', reason: (err as Error).message };
  }
  if (options.codec === 'none') return { ok: true, batch: plain };
  // The records section is deflated off the thread, then the header follows it: length, codec, CRC.
  const packed = await compressAsync(options.codec, plain.subarray(RECORDS_POSITION), options.level);
  const out = Buffer.allocUnsafe(RECORDS_POSITION + packed.length);
  plain.copy(out, 0, 0, RECORDS_POSITION);
  packed.copy(out, RECORDS_POSITION);
  out.writeInt32BE(out.length - LOG_OVERHEAD, BATCH_LENGTH_POSITION);
  out.writeInt16BE(readAttributes(plain, 0) | compressionCodecId(options.codec), ATTRIBUTES_POSITION);
  out.writeUInt32BE(computeBatchCrc(out, 0), CRC_POSITION);
  return { ok: true, batch: out };
}
