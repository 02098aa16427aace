// The durable metadata log: an internal partition owned by shard 0, written through the same append,
// fsync and recovery code as every topic's log (DESIGN.md §3). Each record's value is one JSON
// MetadataRecord. Writes are always fsynced before they are applied, whatever --fsync says.
import { buildRecordBatch } from '../protocol/records.ts';
import type { InternalLog } from './internal-log.ts';
import { RESERVED_TOPIC_PREFIX, type MetadataRecord } from './cluster-metadata.ts';

export const METADATA_TOPIC = `${RESERVED_TOPIC_PREFIX}_metadata`;

/** Never deleted by retention: the metadata log is the only record of the topics. */
export const METADATA_LOG_CONFIG: Readonly<Record<string, string>> = Object.freeze({
  'segment.bytes': String(64 * 1024 * 1024),
  'retention.ms': '-1',
  'retention.bytes': '-1',
});

export class MetadataLog {
  readonly #log: InternalLog;

  constructor(log: InternalLog) {
    this.#log = log;
  }

  /** Every record from the start of the log to its high watermark, in order. */
  async replay(): Promise<MetadataRecord[]> {
    const records: MetadataRecord[] = [];
    await this.#log.replay((r) => {
      if (r.value !== null) records.push(JSON.parse(r.value.toString('utf8')) as MetadataRecord);
    });
    return records;
  }

  /** Appends records durably; resolves once they are fsynced. */
  async append(records: MetadataRecord[]): Promise<void> {
    await this.#log.append([buildRecordBatch({
      baseTimestamp: BigInt(Date.now()),
      records: records.map((r) => ({ key: Buffer.from(r.type), value: Buffer.from(JSON.stringify(r)), headers: [] })),
    })]);
  }
}
