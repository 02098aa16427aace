// Rebuilds a produced batch with another codec, as Kafka's LogValidator does when a topic's
// compression.type differs from the batch's (buildRecordsAndAssignOffsets): the same records,
// keys, values, headers and record timestamps; offset deltas reassigned from 0; baseTimestamp the
// first record's; producer id, epoch, base sequence and the transactional flag kept. Stateless
// CPU work, meant for the pool (DESIGN.md §1); not wired into the produce path yet (issue 19
// defect 2).
import type { CompressionCodec } from './compression.ts';
import { buildRecordBatch, decodeRecordBatch } from './records.ts';

export interface RecompressOptions {
  /** The codec the stored batch gets. */
  codec: CompressionCodec;
  partitionLeaderEpoch: number;
}

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
