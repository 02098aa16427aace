// BatchPool: a drain's batches go to the pool thread together and come back in order, checked or
// rebuilt exactly as the in-thread functions do.
import { afterEach, describe, expect, it } from 'vitest';
import { compressionCodecId } from '../../../src/protocol/compression.ts';
import { buildRecordBatch, decodeRecordBatch } from '../../../src/protocol/records.ts';
import { BatchPool } from '../../../src/shard-worker/batch-pool.ts';
import { BAD_BATCHES } from '../../differential/cases/data-path.ts';

let pool: BatchPool;
afterEach(async () => { await pool.close(); });

const gzip = (n: number) => buildRecordBatch({ baseTimestamp: 1n, compression: 'gzip', records: Array.from({ length: n }, (_, i) => ({ key: Buffer.from(`k${i}`), value: Buffer.alloc(100, i) })) });

describe('BatchPool', () => {
  it('checks a group of batches in one hop, answering each in order', async () => {
    pool = new BatchPool();
    const answers = await Promise.all([pool.validate(gzip(3)), pool.validate(BAD_BATCHES['fake-gzip']!()), pool.validate(gzip(1))]);
    expect(answers.map((a) => a.ok)).toEqual([true, false, true]);
    expect(answers[1]).toMatchObject({ error: 'UNKNOWN_SERVER_ERROR' });
  });

  it('rebuilds a batch with the target codec on the pool thread', async () => {
    pool = new BatchPool();
    const out = await pool.recompress(gzip(4), { codec: 'lz4', id: compressionCodecId('lz4'), level: undefined });
    if (!out.ok) throw new Error(out.reason);
    const b = decodeRecordBatch(out.batch);
    expect(b.compression).toBe('lz4');
    expect(b.records.map((r) => r.key!.toString())).toEqual(['k0', 'k1', 'k2', 'k3']);
  });
});
