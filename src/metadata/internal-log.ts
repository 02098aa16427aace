// An internal partition (the metadata log, the committed-offsets log) seen from the main thread:
// opened and appended to through its owning shard, like any topic's log, and replayed at start-up
// through the fetch-side reader. What the records mean is the caller's business.
import type { ShardPool } from '../acceptor/shards.ts';
import type { OpenPartitionRequest } from '../shared-mem/shard-messages.ts';
import type { WatermarkReader } from '../shared-mem/watermarks.ts';
import { PartitionReader } from '../segments/reader.ts';
import { decodeRecordBatch, type DecodedRecord } from '../protocol/records.ts';
import { forEachBatch } from '../protocol/record-batch.ts';
import { ErrorCode, errorName } from '../protocol/errors.ts';

const REPLAY_CHUNK_BYTES = 4 * 1024 * 1024;

export interface InternalLogOptions {
  shards: ShardPool;
  shard: number;
  /** Slot, topic, directory and log config, as the broker allocated them. */
  request: OpenPartitionRequest;
  watermarks: WatermarkReader;
}

export class InternalLog {
  readonly #o: InternalLogOptions;
  readonly #reader: PartitionReader;

  constructor(options: InternalLogOptions) {
    this.#o = options;
    this.#reader = new PartitionReader(options.request.dir);
  }

  async open(): Promise<void> {
    await this.#o.shards.openPartition(this.#o.shard, this.#o.request);
  }

  /** Visits every record from the log start offset to the high watermark, in offset order. */
  async replay(visit: (record: DecodedRecord) => void): Promise<void> {
    const { watermarks } = this.#o;
    const slot = this.#o.request.slot;
    const highWatermark = watermarks.highWatermark(slot);
    let offset = watermarks.logStartOffset(slot);
    while (offset < highWatermark) {
      const visible = { highWatermark, logStartOffset: watermarks.logStartOffset(slot), segmentsVersion: watermarks.segmentEpoch(slot) };
      const result = await this.#reader.read(offset, REPLAY_CHUNK_BYTES, visible);
      if ('error' in result) throw new Error(`${this.#o.request.topic} replay at offset ${offset}: ${result.error}`);
      if (result.records.length === 0) break;
      forEachBatch(result.records, (at, size) => {
        for (const record of decodeRecordBatch(result.records.subarray(at, at + size)).records) {
          // A fetch starts with the whole batch holding `offset`: skip what was already visited.
          if (record.offset < offset) continue;
          offset = record.offset + 1n;
          visit(record);
        }
      }, { origin: 'log' });
    }
  }

  /**
   * Hands batches to the shard at once, in order (so a later append never lands before them), and
   * resolves once all are fsynced, whatever --fsync says; rejects when any could not be written.
   */
  async append(batches: Buffer[]): Promise<void> {
    const results = batches.map((batch) => this.#o.shards.append(this.#o.shard, this.#o.request.slot, batch, { forceSync: true }));
    for (const result of await Promise.all(results)) {
      if (result.errorCode !== ErrorCode.NONE) {
        throw new Error(`${this.#o.request.topic} write failed: ${errorName(result.errorCode)} ${result.errorMessage}`);
      }
    }
  }

  async close(): Promise<void> {
    await this.#reader.close();
  }
}
