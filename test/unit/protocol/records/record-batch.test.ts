// RecordBatch v2 header view: validation (CRC, framing, magic, counts), the batch walker and the
// in-place rewrites the broker makes.
import { describe, expect, it } from 'vitest';
import {
  ATTRIBUTES_POSITION,
  CRC_POSITION,
  LAST_OFFSET_DELTA_POSITION,
  MAGIC_POSITION,
  RECORD_COUNT_POSITION,
  RecordBatchView,
  computeBatchCrc,
  forEachBatch,
  readCrc,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
  validateBatch,
  validateProduceRecords,
} from '../../../../src/protocol/record-batch.ts';
import { buildRecordBatch, decodeRecordBatch } from '../../../../src/protocol/records.ts';

const T0 = 1_700_000_000_000n;

function sampleBatch(recordCount = 3, compression: 'none' | 'gzip' = 'none'): Buffer {
  return buildRecordBatch({
    baseTimestamp: T0,
    compression,
    producerId: 42n,
    producerEpoch: 3,
    baseSequence: 17,
    records: Array.from({ length: recordCount }, (_, i) => ({
      key: Buffer.from(`k${i}`),
      value: Buffer.from(`value number ${i}`),
      headers: [{ key: 'h', value: Buffer.from([i]) }],
      timestamp: T0 + BigInt(i),
    })),
  });
}

/** Rewrites a CRC-covered field and fixes the CRC, to reach the checks that follow the CRC check. */
function withField(batch: Buffer, write: (b: Buffer) => void): Buffer {
  const copy = Buffer.from(batch);
  write(copy);
  copy.writeUInt32BE(computeBatchCrc(copy, 0), CRC_POSITION);
  return copy;
}

describe('RecordBatchView', () => {
  it('reads every header field', () => {
    const batch = sampleBatch(3);
    const view = new RecordBatchView(batch);
    expect(view.baseOffset).toBe(0n);
    expect(view.batchSize).toBe(batch.length);
    expect(view.batchLength).toBe(batch.length - 12);
    expect(view.partitionLeaderEpoch).toBe(-1);
    expect(view.magic).toBe(2);
    expect(view.crc).toBe(computeBatchCrc(batch, 0));
    expect(view.attributes).toBe(0);
    expect(view.compression).toBe('none');
    expect(view.lastOffsetDelta).toBe(2);
    expect(view.baseTimestamp).toBe(T0);
    expect(view.maxTimestamp).toBe(T0 + 2n);
    expect(view.producerId).toBe(42n);
    expect(view.producerEpoch).toBe(3);
    expect(view.baseSequence).toBe(17);
    expect(view.recordCount).toBe(3);
    expect(view.isTransactional).toBe(false);
    expect(view.isControl).toBe(false);
    expect(view.isLogAppendTime).toBe(false);
    expect(view.records.length).toBe(batch.length - 61);
  });

  it('views a batch in the middle of a larger buffer without copying', () => {
    const batch = sampleBatch(2);
    const buf = Buffer.concat([Buffer.alloc(5, 0xee), batch, Buffer.alloc(3)]);
    const view = new RecordBatchView(buf, 5);
    expect(view.bytes.equals(batch)).toBe(true);
    expect(view.bytes.buffer).toBe(buf.buffer);
  });
});

describe('validateBatch', () => {
  it('accepts a well-formed batch and reports its size', () => {
    const batch = sampleBatch();
    expect(validateBatch(batch, 0)).toEqual({ ok: true, size: batch.length });
  });

  it('catches a flipped bit anywhere in the CRC-covered range', () => {
    const batch = sampleBatch(2);
    for (let byte = ATTRIBUTES_POSITION; byte < batch.length; byte++) {
      for (let bit = 0; bit < 8; bit++) {
        batch[byte] ^= 1 << bit;
        const result = validateBatch(batch, 0);
        batch[byte] ^= 1 << bit;
        expect(result.ok, `byte ${byte} bit ${bit}`).toBe(false);
        if (!result.ok) expect(result.error).toBe('CORRUPT_MESSAGE');
      }
    }
  });

  it('catches a flipped bit in the stored CRC itself', () => {
    const batch = sampleBatch();
    batch[CRC_POSITION + 2] ^= 0x10;
    expect(validateBatch(batch, 0)).toMatchObject({ ok: false, error: 'CORRUPT_MESSAGE', truncated: false });
  });

  it('reports a truncated batch as a truncated CORRUPT_MESSAGE at every cut', () => {
    const batch = sampleBatch();
    for (let cut = 0; cut < batch.length; cut++) {
      const result = validateBatch(batch.subarray(0, cut), 0);
      expect(result, `cut at ${cut}`).toMatchObject({ ok: false, error: 'CORRUPT_MESSAGE', truncated: true });
    }
  });

  it('reports a wrong magic as UNSUPPORTED_MAGIC', () => {
    for (const magic of [0, 1, 3, -1]) {
      const batch = sampleBatch();
      batch.writeInt8(magic, MAGIC_POSITION);
      expect(validateBatch(batch, 0)).toMatchObject({ ok: false, error: 'UNSUPPORTED_MAGIC' });
    }
  });

  it('rejects a batchLength below the header size', () => {
    const batch = sampleBatch();
    batch.writeInt32BE(48, 8);
    expect(validateBatch(batch, 0)).toMatchObject({ ok: false, error: 'CORRUPT_MESSAGE', truncated: false });
    batch.writeInt32BE(-5, 8);
    expect(validateBatch(batch, 0)).toMatchObject({ ok: false, error: 'CORRUPT_MESSAGE', truncated: false });
  });

  it('rejects a negative lastOffsetDelta or recordCount as INVALID_RECORD', () => {
    const negativeDelta = withField(sampleBatch(), (b) => b.writeInt32BE(-1, LAST_OFFSET_DELTA_POSITION));
    expect(validateBatch(negativeDelta, 0)).toMatchObject({ ok: false, error: 'INVALID_RECORD' });
    const negativeCount = withField(sampleBatch(), (b) => b.writeInt32BE(-1, RECORD_COUNT_POSITION));
    expect(validateBatch(negativeCount, 0, { origin: 'log' })).toMatchObject({ ok: false, error: 'INVALID_RECORD' });
  });

  it('requires dense offsets from clients but allows compacted log batches', () => {
    const thinned = withField(sampleBatch(3), (b) => b.writeInt32BE(5, LAST_OFFSET_DELTA_POSITION));
    expect(validateBatch(thinned, 0)).toMatchObject({ ok: false, error: 'INVALID_RECORD' });
    expect(validateBatch(thinned, 0, { origin: 'log' })).toEqual({ ok: true, size: thinned.length });
    const overfull = withField(sampleBatch(3), (b) => b.writeInt32BE(1, LAST_OFFSET_DELTA_POSITION));
    expect(validateBatch(overfull, 0, { origin: 'log' })).toMatchObject({ ok: false, error: 'INVALID_RECORD' });
  });

  it('does not decompress: a compressed batch with garbage records still validates by CRC alone', () => {
    const batch = withField(sampleBatch(3, 'gzip'), (b) => b.fill(0xab, 61));
    expect(validateBatch(batch, 0).ok).toBe(true);
  });
});

describe('in-place rewrites', () => {
  it('setBaseOffset and setPartitionLeaderEpoch keep the CRC valid', () => {
    const batch = sampleBatch();
    const crcBefore = readCrc(batch, 0);
    setBaseOffset(batch, 0, 0x1234_5678_9abcn);
    setPartitionLeaderEpoch(batch, 0, 7);
    expect(readCrc(batch, 0)).toBe(crcBefore);
    expect(validateBatch(batch, 0).ok).toBe(true);
    const decoded = decodeRecordBatch(batch);
    expect(decoded.baseOffset).toBe(0x1234_5678_9abcn);
    expect(decoded.partitionLeaderEpoch).toBe(7);
    expect(decoded.records.map((r) => r.offset)).toEqual([0x1234_5678_9abcn, 0x1234_5678_9abdn, 0x1234_5678_9aben]);
  });

  it('setLogAppendTime sets the timestamp type and maxTimestamp and recomputes the CRC', () => {
    const batch = sampleBatch(3, 'gzip');
    const appendTime = T0 + 60_000n;
    setLogAppendTime(batch, 0, appendTime);
    expect(validateBatch(batch, 0).ok).toBe(true);
    const view = new RecordBatchView(batch);
    expect(view.isLogAppendTime).toBe(true);
    expect(view.compression).toBe('gzip');
    expect(view.maxTimestamp).toBe(appendTime);
    const decoded = decodeRecordBatch(batch);
    expect(decoded.timestampType).toBe('LogAppendTime');
    expect(decoded.records.every((r) => r.timestamp === appendTime)).toBe(true);
    const again = Buffer.from(batch);
    setLogAppendTime(again, 0, appendTime);
    expect(again.equals(batch)).toBe(true);
  });

  it('rewrites a batch in the middle of a buffer without touching its neighbours', () => {
    const a = sampleBatch(1);
    const b = sampleBatch(2);
    const buf = Buffer.concat([a, b]);
    setBaseOffset(buf, a.length, 100n);
    setLogAppendTime(buf, a.length, T0 + 5n);
    expect(buf.subarray(0, a.length).equals(a)).toBe(true);
    expect(forEachBatch(buf, () => {})).toEqual({ status: 'complete', batchCount: 2, validBytes: buf.length });
    expect(decodeRecordBatch(buf, a.length).records[1].offset).toBe(101n);
  });
});

describe('forEachBatch', () => {
  const batches = [sampleBatch(1), sampleBatch(4), sampleBatch(2, 'gzip')];
  const all = Buffer.concat(batches);

  it('visits every batch of a multi-batch buffer in order', () => {
    const seen: [number, number][] = [];
    const walk = forEachBatch(all, (offset, size) => {
      seen.push([offset, size]);
    });
    expect(walk).toEqual({ status: 'complete', batchCount: 3, validBytes: all.length });
    expect(seen).toEqual([
      [0, batches[0].length],
      [batches[0].length, batches[1].length],
      [batches[0].length + batches[1].length, batches[2].length],
    ]);
  });

  it('reports a torn tail as partial, distinct from a corrupt batch, at every cut', () => {
    const lastStart = batches[0].length + batches[1].length;
    for (let cut = lastStart + 1; cut < all.length; cut++) {
      const walk = forEachBatch(all.subarray(0, cut), () => {});
      expect(walk, `cut at ${cut}`).toMatchObject({ status: 'partial', batchCount: 2, validBytes: lastStart });
    }
  });

  it('stops at a corrupt batch and says where the valid prefix ends', () => {
    const corrupt = Buffer.from(all);
    corrupt[batches[0].length + 70] ^= 1;
    expect(forEachBatch(corrupt, () => {})).toMatchObject({
      status: 'invalid',
      batchCount: 1,
      validBytes: batches[0].length,
      error: 'CORRUPT_MESSAGE',
    });
  });

  it('stops when the visitor returns false', () => {
    expect(forEachBatch(all, () => false)).toEqual({ status: 'stopped', batchCount: 1, validBytes: batches[0].length });
  });

  it('treats an empty buffer as complete with no batches', () => {
    expect(forEachBatch(Buffer.alloc(0), () => {})).toEqual({ status: 'complete', batchCount: 0, validBytes: 0 });
  });
});

describe('validateProduceRecords', () => {
  it('returns the span of every batch', () => {
    const a = sampleBatch(1);
    const b = sampleBatch(3);
    expect(validateProduceRecords(Buffer.concat([a, b]))).toEqual({
      ok: true,
      batches: [
        { offset: 0, size: a.length },
        { offset: a.length, size: b.length },
      ],
    });
  });

  it('turns a partial trailing batch into CORRUPT_MESSAGE', () => {
    const buf = Buffer.concat([sampleBatch(1), sampleBatch(2).subarray(0, 30)]);
    expect(validateProduceRecords(buf)).toMatchObject({ ok: false, error: 'CORRUPT_MESSAGE' });
  });

  it('rejects an empty records blob as INVALID_RECORD and passes other errors through', () => {
    expect(validateProduceRecords(Buffer.alloc(0))).toMatchObject({ ok: false, error: 'INVALID_RECORD' });
    const oldMagic = sampleBatch();
    oldMagic.writeInt8(1, MAGIC_POSITION);
    expect(validateProduceRecords(oldMagic)).toMatchObject({ ok: false, error: 'UNSUPPORTED_MAGIC' });
  });
});
