// The durable metadata log: an internal partition owned by shard 0, written through the same append,
// fsync and recovery code as every topic's log (DESIGN.md §3). Each record's value is one JSON
// MetadataRecord. Writes are always fsynced before they are applied, whatever --fsync says.
import type { Logger } from 'pino';
import type { ShardPool, OpenPartitionRequest } from '../shard-worker/pool.ts';
import type { WatermarkTable } from '../shared-mem/layout.ts';
import { PartitionReader } from '../segments/reader.ts';
import { buildRecordBatch, decodeRecordBatch } from '../protocol/records.ts';
import { forEachBatch } from '../protocol/record-batch.ts';
import { ErrorCode, errorName } from '../protocol/errors.ts';
import type { MetadataRecord } from './cluster-metadata.ts';

export const METADATA_TOPIC = '__highwater_metadata';

const REPLAY_CHUNK_BYTES = 4 * 1024 * 1024;

export interface MetadataLogOptions {
  shards: ShardPool;
  shard: number;
  slot: number;
  dir: string;
  watermarks: WatermarkTable;
  log: Logger;
}

export class MetadataLog {
  readonly #o: MetadataLogOptions;
  readonly #reader: PartitionReader;

  constructor(options: MetadataLogOptions) {
    this.#o = options;
    this.#reader = new PartitionReader(options.dir);
  }

  openRequest(): OpenPartitionRequest {
    // Never deleted by retention: the metadata log is the only record of the topics.
    return {
      slot: this.#o.slot, topic: METADATA_TOPIC, partition: 0, dir: this.#o.dir,
      config: { 'segment.bytes': String(64 * 1024 * 1024), 'retention.ms': '-1', 'retention.bytes': '-1' },
    };
  }

  async open(): Promise<void> {
    await this.#o.shards.openPartition(this.#o.shard, this.openRequest());
  }

  /** Every record from the start of the log to its high watermark, in order. */
  async replay(): Promise<MetadataRecord[]> {
    const records: MetadataRecord[] = [];
    const { watermarks, slot } = this.#o;
    const highWatermark = watermarks.highWatermark(slot);
    let offset = watermarks.logStartOffset(slot);
    while (offset < highWatermark) {
      const result = await this.#reader.read(offset, REPLAY_CHUNK_BYTES, { highWatermark, logStartOffset: watermarks.logStartOffset(slot), segmentsVersion: watermarks.segmentEpoch(slot) });
      if ('error' in result) throw new Error(`metadata log replay at offset ${offset}: ${result.error}`);
      if (result.records.length === 0) break;
      forEachBatch(result.records, (at, size) => {
        const batch = decodeRecordBatch(result.records.subarray(at, at + size));
        for (const r of batch.records) {
          if (r.offset < offset || r.value === null) continue;
          records.push(JSON.parse(r.value.toString('utf8')) as MetadataRecord);
          offset = r.offset + 1n;
        }
      }, { origin: 'log' });
    }
    return records;
  }

  /** Appends records durably; resolves once they are fsynced. */
  async append(records: MetadataRecord[]): Promise<void> {
    const batch = buildRecordBatch({
      baseTimestamp: BigInt(Date.now()),
      records: records.map((r) => ({ key: Buffer.from(r.type), value: Buffer.from(JSON.stringify(r)), headers: [] })),
    });
    const result = await this.#o.shards.append(this.#o.shard, this.#o.slot, batch, { forceSync: true });
    if (result.errorCode !== ErrorCode.NONE) {
      throw new Error(`metadata write failed: ${errorName(result.errorCode)} ${result.errorMessage}`);
    }
  }

  async close(): Promise<void> {
    await this.#reader.close();
  }
}
