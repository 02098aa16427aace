// Records inside a batch: build/decode round trips for every codec, varint edges, patching a
// pre-built batch, and malformed record data failing cleanly.
import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import type { CompressionCodec } from '../../../../src/protocol/compression.ts';
import { RecordBatchView, validateBatch, CRC_POSITION, computeBatchCrc } from '../../../../src/protocol/record-batch.ts';
import {
  buildRecordBatch,
  cloneBatchWith,
  decodeRecordBatch,
  decodeRecords,
  varintSize,
  varlongSize,
  writeVarint,
  writeVarlong,
  type RecordInput,
} from '../../../../src/protocol/records.ts';

const T0 = 1_700_000_000_000n;
const CODECS: CompressionCodec[] = ['none', 'gzip', 'snappy', 'lz4', 'zstd'];

const RECORDS: RecordInput[] = [
  { key: Buffer.from('alpha'), value: Buffer.from('first value'), headers: [{ key: 'trace-id', value: Buffer.from('t-1') }] },
  { key: null, value: Buffer.from('no key'), timestamp: T0 + 250n },
  { key: Buffer.alloc(0), value: null, headers: [{ key: 'nul', value: null }, { key: 'ünïcödé', value: Buffer.alloc(0) }] },
  // Bigger than one xerial snappy block (32 KiB) and one lz4 block, compressible and not.
  { key: Buffer.from('big'), value: Buffer.concat([Buffer.alloc(40_000, 'z'), randomBytes(70_000)]), timestamp: T0 - 5n },
];

describe('buildRecordBatch / decodeRecordBatch', () => {
  for (const compression of CODECS) {
    it(`round-trips records with ${compression}`, () => {
      const batch = buildRecordBatch({
        baseOffset: 1000n,
        baseTimestamp: T0,
        compression,
        records: RECORDS,
        producerId: 9n,
        producerEpoch: 1,
        baseSequence: 5,
        transactional: true,
      });
      expect(validateBatch(batch, 0)).toEqual({ ok: true, size: batch.length });
      const decoded = decodeRecordBatch(batch);
      expect(decoded).toMatchObject({
        baseOffset: 1000n,
        magic: 2,
        compression,
        timestampType: 'CreateTime',
        isTransactional: true,
        isControl: false,
        lastOffsetDelta: 3,
        recordCount: 4,
        baseTimestamp: T0,
        maxTimestamp: T0 + 250n,
        producerId: 9n,
        producerEpoch: 1,
        baseSequence: 5,
        partitionLeaderEpoch: -1,
      });
      decoded.records.forEach((record, i) => {
        const input = RECORDS[i];
        expect(record.offsetDelta).toBe(i);
        expect(record.offset).toBe(1000n + BigInt(i));
        expect(record.timestamp).toBe(input.timestamp ?? T0);
        expect(record.timestampDelta).toBe((input.timestamp ?? T0) - T0);
        expect(record.key).toEqual(input.key);
        expect(record.value).toEqual(input.value);
        expect(record.headers).toEqual(input.headers ?? []);
      });
    });
  }

  it('defaults to what a non-idempotent producer sends', () => {
    const view = new RecordBatchView(buildRecordBatch({ baseTimestamp: T0, records: [{ key: null, value: null }] }));
    expect([view.baseOffset, view.producerId, view.producerEpoch, view.baseSequence, view.partitionLeaderEpoch]).toEqual([
      0n, -1n, -1, -1, -1,
    ]);
    expect([view.lastOffsetDelta, view.recordCount, view.maxTimestamp]).toEqual([0, 1, T0]);
  });

  it('refuses to build an empty batch', () => {
    expect(() => buildRecordBatch({ baseTimestamp: T0, records: [] })).toThrow(RangeError);
  });

  it('round-trips timestamp deltas that need a 64-bit varlong', () => {
    const records = [-1n, 0n, 1n << 40n, -(1n << 40n), 0x7fffffffn + 1n, -0x80000000n - 1n].map((delta) => ({
      key: null,
      value: null,
      timestamp: T0 + delta,
    }));
    const decoded = decodeRecordBatch(buildRecordBatch({ baseTimestamp: T0, records }));
    expect(decoded.records.map((r) => r.timestamp)).toEqual(records.map((r) => r.timestamp));
  });
});

describe('varints', () => {
  it('encodes zigzag varints as Kafka does, at every size boundary', () => {
    const cases: [number, string][] = [
      [0, '00'], [-1, '01'], [1, '02'], [-64, '7f'], [63, '7e'], [64, '8001'], [-65, '8101'],
      [0x7fffffff, 'feffffff0f'], [-0x80000000, 'ffffffff0f'],
    ];
    for (const [n, hex] of cases) {
      const buf = Buffer.alloc(5);
      const end = writeVarint(buf, 0, n);
      expect(buf.subarray(0, end).toString('hex'), `varint ${n}`).toBe(hex);
      expect(varintSize(n)).toBe(hex.length / 2);
    }
  });

  it('encodes varlongs to the 10-byte extreme', () => {
    const cases: [bigint, string][] = [
      [0n, '00'], [-1n, '01'], [1n << 40n, '808080808040'],
      [0x7fffffffffffffffn, 'feffffffffffffffff01'], [-0x8000000000000000n, 'ffffffffffffffffff01'],
    ];
    for (const [n, hex] of cases) {
      const buf = Buffer.alloc(10);
      const end = writeVarlong(buf, 0, n);
      expect(buf.subarray(0, end).toString('hex'), `varlong ${n}`).toBe(hex);
      expect(varlongSize(n)).toBe(hex.length / 2);
    }
  });
});

describe('cloneBatchWith', () => {
  it('patches header fields, shifts maxTimestamp, keeps records, and leaves a valid CRC', () => {
    for (const compression of ['none', 'zstd'] as const) {
      const template = buildRecordBatch({ baseTimestamp: T0, compression, records: RECORDS.slice(0, 2) });
      const clone = cloneBatchWith(template, {
        baseTimestamp: T0 + 1000n,
        producerId: 77n,
        producerEpoch: 2,
        baseSequence: 300,
        baseOffset: 5n,
      });
      expect(clone).not.toBe(template);
      expect(validateBatch(clone, 0).ok).toBe(true);
      const decoded = decodeRecordBatch(clone);
      expect(decoded).toMatchObject({ baseOffset: 5n, producerId: 77n, producerEpoch: 2, baseSequence: 300 });
      expect(decoded.maxTimestamp).toBe(T0 + 1250n);
      expect(decoded.records.map((r) => r.timestamp)).toEqual([T0 + 1000n, T0 + 1250n]);
      expect(new RecordBatchView(template).baseTimestamp).toBe(T0);
    }
  });
});

describe('malformed record data', () => {
  function batchWithRecords(records: Buffer, count: number): Buffer {
    const batch = buildRecordBatch({ baseTimestamp: T0, records: [{ key: null, value: null }] });
    const patched = Buffer.concat([batch.subarray(0, 61), records]);
    patched.writeInt32BE(patched.length - 12, 8);
    patched.writeInt32BE(count - 1, 23);
    patched.writeInt32BE(count, 57);
    patched.writeUInt32BE(computeBatchCrc(patched, 0), CRC_POSITION);
    return patched;
  }

  it('throws (never hangs or over-allocates) on lengths past the data', () => {
    // A record claiming 64 bytes with 3 present; a key claiming 1000 bytes; a huge header count.
    const cases = [
      Buffer.from([0x80, 0x01, 0x00, 0x00]),
      Buffer.from([0x0a, 0x00, 0x00, 0x00, 0xd0, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00]),
      Buffer.from([0x10, 0x00, 0x00, 0x00, 0x01, 0x01, 0xfe, 0xff, 0xff, 0xff, 0x07]),
      Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]),
    ];
    for (const records of cases) {
      expect(() => decodeRecordBatch(batchWithRecords(records, 1))).toThrow(RangeError);
    }
  });

  it('throws when recordCount promises more records than there are', () => {
    const one = buildRecordBatch({ baseTimestamp: T0, records: [{ key: null, value: Buffer.from('x') }] });
    expect(() => decodeRecordBatch(batchWithRecords(one.subarray(61), 2_000_000_000))).toThrow(RangeError);
    expect(() => decodeRecords(Buffer.concat([one.subarray(61), Buffer.from([0])]), 1)).toThrow(/after the last/);
  });

  it('reports a bad CRC before looking at the records', () => {
    const batch = buildRecordBatch({ baseTimestamp: T0, records: RECORDS.slice(0, 1) });
    batch[batch.length - 1] ^= 0xff;
    expect(() => decodeRecordBatch(batch)).toThrow(/CORRUPT_MESSAGE/);
  });
});
