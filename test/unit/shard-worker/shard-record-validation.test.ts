// ShardCore looks inside each batch as Kafka's LogValidator does (issue 19 defect 7): records that
// do not parse are refused with Kafka's code and log start offset, nothing is written, and the
// partition stays readable; what is written carries the leader epoch Kafka stamps (0).
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { readPartitionLeaderEpoch } from '../../../src/protocol/record-batch.ts';
import { buildRecordBatch, decodeRecordBatch } from '../../../src/protocol/records.ts';
import { PARTITION_LEADER_EPOCH } from '../../../src/shard-worker/shard.ts';
import { BAD_BATCHES } from '../../differential/cases/data-path.ts';
import { START_WALL_MS, batch, shardHarness, type ShardHarness } from './shard-fixture.ts';

let h: ShardHarness;
afterEach(() => h.cleanup());

// Kafka's answers, from the differential suite against Kafka 4.4.
const KAFKA_ANSWERS: Record<string, { errorCode: number; logStartOffset: bigint }> = {
  'garbage-records': { errorCode: ErrorCode.INVALID_RECORD, logStartOffset: 0n },
  'count-mismatch': { errorCode: ErrorCode.INVALID_RECORD, logStartOffset: 0n },
  'record-overruns-batch': { errorCode: ErrorCode.INVALID_RECORD, logStartOffset: 0n },
  'fake-gzip': { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, logStartOffset: 0n },
  'fake-zstd': { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, logStartOffset: 0n },
  'fake-lz4': { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, logStartOffset: 0n },
  'trailing-bytes': { errorCode: ErrorCode.INVALID_RECORD, logStartOffset: 0n },
  'unknown-codec': { errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, logStartOffset: 0n },
  'bad-crc': { errorCode: ErrorCode.CORRUPT_MESSAGE, logStartOffset: -1n },
};

function storedBatches(slot: number): Buffer[] {
  const frames: Buffer[] = [];
  h.logs.get(slot)!.forEachBatchSync(0n, (frame) => {
    frames.push(Buffer.from(frame));
  });
  return frames;
}

describe('ShardCore record validation', () => {
  it.each(Object.keys(BAD_BATCHES))('refuses the %s batch as Kafka does, and the partition stays readable', async (kind) => {
    h = shardHarness();
    h.open(0);
    await h.drain([{ slot: 0, records: batch({ count: 2 }) }]);
    const [refusal] = await h.drain([{ slot: 0, records: BAD_BATCHES[kind]!() }]);
    expect(refusal).toMatchObject({ ...KAFKA_ANSWERS[kind], baseOffset: -1n, recordCount: 0 });
    expect(refusal!.errorMessage).not.toBe('');
    const [next] = await h.drain([{ slot: 0, records: batch({ count: 3 }) }]);
    expect(next).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 2n });
    const decoded = storedBatches(0).map((b) => decodeRecordBatch(b));
    expect(decoded.map((b) => [b.baseOffset, b.records.length])).toEqual([[0n, 2], [2n, 3]]);
  });

  it.each(['gzip', 'snappy', 'lz4', 'zstd'] as const)('accepts a well-formed %s batch and stores it as sent', async (codec) => {
    h = shardHarness();
    h.open(0);
    const sent = buildRecordBatch({
      baseTimestamp: START_WALL_MS, compression: codec,
      records: Array.from({ length: 50 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.alloc(100, i), headers: [{ key: 'h', value: Buffer.from('v') }] })),
    });
    const [ok] = await h.drain([{ slot: 0, records: sent }]);
    expect(ok).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0n, recordCount: 50 });
    const [stored] = storedBatches(0);
    const decoded = decodeRecordBatch(stored!);
    expect(decoded.compression).toBe(codec);
    expect(decoded.records.map((r) => r.key!.toString())).toEqual(Array.from({ length: 50 }, (_, i) => `k${i}`));
  });

  it('stamps partitionLeaderEpoch 0 into every stored batch, outside the CRC', async () => {
    h = shardHarness();
    h.open(0);
    const sent = batch({ count: 2 });
    expect(readPartitionLeaderEpoch(sent, 0)).toBe(-1);
    await h.drain([{ slot: 0, records: Buffer.concat([sent, batch({ count: 1 })]) }]);
    const stored = storedBatches(0);
    expect(stored).toHaveLength(2);
    for (const b of stored) {
      expect(readPartitionLeaderEpoch(b, 0)).toBe(PARTITION_LEADER_EPOCH);
      expect(decodeRecordBatch(b).partitionLeaderEpoch).toBe(0); // decodes: the CRC still holds
    }
  });
});
