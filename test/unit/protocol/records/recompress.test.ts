// recompressBatch: a batch rebuilt with another codec keeps what Kafka keeps (records, timestamps,
// producer id/epoch/sequence, the transactional flag) and reassigns offset deltas from 0.
import { describe, expect, it } from 'vitest';
import { recompressBatch, recompressBatchAsync } from '../../../../src/protocol/recompress.ts';
import { validateBatch } from '../../../../src/protocol/record-batch.ts';
import { validateBatchRecords } from '../../../../src/protocol/record-validation.ts';
import { buildRecordBatch, decodeRecordBatch } from '../../../../src/protocol/records.ts';

const T0 = 1_700_000_000_000n;

describe('recompressBatch', () => {
  it.each([['gzip', 'lz4'], ['none', 'zstd'], ['snappy', 'none'], ['zstd', 'gzip']] as const)('rebuilds a %s batch as %s', (from, to) => {
    const source = buildRecordBatch({
      baseTimestamp: T0, compression: from, producerId: 42n, producerEpoch: 3, baseSequence: 17, transactional: true,
      records: Array.from({ length: 20 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: i === 3 ? null : Buffer.alloc(50, i), headers: [{ key: 'h', value: Buffer.from(`${i}`) }], timestamp: T0 + 5n + BigInt(i % 4) })),
    });
    const out = recompressBatch(source, 0, { codec: to, partitionLeaderEpoch: 0 });
    expect(validateBatch(out, 0).ok).toBe(true);
    expect(validateBatchRecords(out, 0).ok).toBe(true);
    const a = decodeRecordBatch(source);
    const b = decodeRecordBatch(out);
    expect(b.compression).toBe(to);
    expect(b).toMatchObject({ producerId: 42n, producerEpoch: 3, baseSequence: 17, isTransactional: true, partitionLeaderEpoch: 0, lastOffsetDelta: 19, recordCount: 20 });
    expect(b.baseTimestamp).toBe(T0 + 5n);
    expect(b.maxTimestamp).toBe(T0 + 8n);
    const strip = (r: (typeof a.records)[number]) => ({ key: r.key, value: r.value, headers: r.headers, timestamp: r.timestamp, offsetDelta: r.offsetDelta });
    expect(b.records.map(strip)).toEqual(a.records.map(strip));
  });
});

describe('recompressBatchAsync', () => {
  it.each([['gzip', 'lz4'], ['none', 'zstd'], ['snappy', 'none'], ['zstd', 'gzip'], ['lz4', 'snappy']] as const)('rebuilds a %s batch as %s off the thread, as recompressBatch does', async (from, to) => {
    const source = buildRecordBatch({
      baseTimestamp: T0, compression: from, producerId: 42n, producerEpoch: 3, baseSequence: 17, transactional: true,
      records: Array.from({ length: 20 }, (_, i) => ({ key: Buffer.from(`k${i}`), value: i === 3 ? null : Buffer.alloc(50, i), headers: [{ key: 'h', value: Buffer.from(`${i}`) }], timestamp: T0 + 5n + BigInt(i % 4) })),
    });
    const out = await recompressBatchAsync(source, { codec: to, partitionLeaderEpoch: 0, level: to === 'gzip' ? 9 : undefined });
    if (!out.ok) throw new Error(out.reason);
    expect(validateBatch(out.batch, 0).ok).toBe(true);
    const sync = decodeRecordBatch(recompressBatch(source, 0, { codec: to, partitionLeaderEpoch: 0 }));
    const b = decodeRecordBatch(out.batch);
    expect(b.compression).toBe(to);
    expect(b).toMatchObject({ producerId: 42n, producerEpoch: 3, baseSequence: 17, isTransactional: true, partitionLeaderEpoch: 0, lastOffsetDelta: 19, recordCount: 20, baseTimestamp: T0 + 5n, maxTimestamp: T0 + 8n });
    expect(b.records).toEqual(sync.records);
  });

  it('refuses instead of rebuilding a batch whose payload does not decompress', async () => {
    const source = buildRecordBatch({ baseTimestamp: T0, compression: 'gzip', records: [{ key: null, value: Buffer.from('v') }] });
    source.fill(0x42, 61);
    expect(await recompressBatchAsync(source, { codec: 'lz4', partitionLeaderEpoch: 0 })).toMatchObject({ ok: false, error: 'UNKNOWN_SERVER_ERROR' });
  });
});
