// The durable metadata log: an internal partition owned by shard 0, written through the same append,
// fsync and recovery code as every topic's log (DESIGN.md §3). Each record's value is one JSON
// MetadataRecord. Writes are always fsynced before they are applied, whatever --fsync says. The
// log below the newest snapshot (metadata-snapshot.ts) is deleted.
import { buildRecordBatch } from '../protocol/records.ts';
import type { InternalLog } from './internal-log.ts';
import { RESERVED_TOPIC_PREFIX, type MetadataRecord } from './cluster-metadata.ts';

export const METADATA_TOPIC = `${RESERVED_TOPIC_PREFIX}_metadata`;

/**
 * Never deleted by retention: only a durable snapshot lets the log below it go. Segments roll at
 * the snapshot interval (within [64 KiB, 64 MiB]), so the log a snapshot makes redundant is whole
 * closed segments that can be deleted.
 */
export function metadataLogConfig(maxRecordBytesBetweenSnapshots: number): Record<string, string> {
  const segmentBytes = Math.min(64 * 1024 * 1024, Math.max(64 * 1024, maxRecordBytesBetweenSnapshots));
  return { 'segment.bytes': String(segmentBytes), 'retention.ms': '-1', 'retention.bytes': '-1' };
}

export class MetadataLog {
  readonly #log: InternalLog;

  constructor(log: InternalLog) {
    this.#log = log;
  }

  get logStartOffset(): bigint {
    return this.#log.logStartOffset;
  }

  get highWatermark(): bigint {
    return this.#log.highWatermark;
  }

  /**
   * Every record from `from` (at the earliest the log start offset) to the high watermark, in
   * order, and the bytes of the batches they came in.
   */
  async replay(from = 0n): Promise<{ records: MetadataRecord[]; bytes: number }> {
    const records: MetadataRecord[] = [];
    const { bytes } = await this.#log.replay((r) => {
      if (r.value !== null) records.push(JSON.parse(r.value.toString('utf8')) as MetadataRecord);
    }, from);
    return { records, bytes };
  }

  /** Appends records durably; resolves once they are fsynced, to the offset after them and the batch's size. */
  async append(records: MetadataRecord[]): Promise<{ nextOffset: bigint; bytes: number }> {
    const batch = buildRecordBatch({
      baseTimestamp: BigInt(Date.now()),
      records: records.map((r) => ({ key: Buffer.from(r.type), value: Buffer.from(JSON.stringify(r)), headers: [] })),
    });
    const { nextOffset } = await this.#log.append([batch]);
    return { nextOffset, bytes: batch.length };
  }

  /** Deletes the log below `offset`, which a durable snapshot covers. */
  async deleteBefore(offset: bigint): Promise<void> {
    await this.#log.deleteBefore(offset);
  }
}
