// The records walk of the produce path (record-validation.ts): real clients' batches pass, every
// way a record can be malformed is INVALID_RECORD, a payload that does not decompress is
// UNKNOWN_SERVER_ERROR, as Kafka answers them.
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { RECORDS_POSITION, RECORD_COUNT_POSITION } from '../../../../src/protocol/record-batch.ts';
import { MAX_DECOMPRESSED_BYTES, validateBatchRecords, validateRecordsSection } from '../../../../src/protocol/record-validation.ts';
import { buildRecordBatch } from '../../../../src/protocol/records.ts';
import { compress } from '../../../../src/protocol/compression.ts';
import { writeVarint } from '../../../../src/protocol/varint.ts';

const require = createRequire(import.meta.url);
const fixture = require('./fixtures/client-batches.json') as { batches: { client: string; compression: string; hex: string }[] };

const T0 = 1_700_000_000_000n;
const records = (n: number) => Array.from({ length: n }, (_, i) => ({
  key: i % 2 === 0 ? null : Buffer.from(`k${i}`), value: i % 3 === 0 ? null : Buffer.alloc(i * 7, i),
  headers: i % 2 === 0 ? [] : [{ key: 'a', value: null }, { key: 'bb', value: Buffer.from('x') }],
}));

/** The records section of an uncompressed batch, and a walk of it with `count` records. */
function section(n: number): Buffer {
  return buildRecordBatch({ baseTimestamp: T0, records: records(n) }).subarray(RECORDS_POSITION);
}

/** One record body from its fields (numbers are varints, strings raw bytes), with a length prefix that says `declared` (default: true length). */
function record(fields: Array<number | string>, declared?: number): Buffer {
  const body = Buffer.alloc(64);
  let p = 0;
  body[p++] = 0; // attributes
  for (const f of fields) p = typeof f === 'number' ? writeVarint(body, p, f) : p + body.write(f, p, 'latin1');
  const out = Buffer.alloc(5 + p);
  const q = writeVarint(out, 0, declared ?? p);
  body.copy(out, q, 0, p);
  return out.subarray(0, q + p);
}

describe('validateBatchRecords', () => {
  it.each(fixture.batches.map((b) => [b.client, b.compression, b.hex] as const))('accepts %s %s', (_client, _codec, hex) => {
    expect(validateBatchRecords(Buffer.from(hex, 'hex'), 0)).toEqual({ ok: true });
  });

  it.each(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const)('accepts our own %s batch with null keys, values and headers', (codec) => {
    expect(validateBatchRecords(buildRecordBatch({ baseTimestamp: T0, compression: codec, records: records(40) }), 0)).toEqual({ ok: true });
  });

  it('answers a compressed payload that does not decompress with UNKNOWN_SERVER_ERROR', () => {
    const b = buildRecordBatch({ baseTimestamp: T0, compression: 'gzip', records: records(3) });
    b.fill(0x42, RECORDS_POSITION);
    expect(validateBatchRecords(b, 0)).toMatchObject({ ok: false, error: 'UNKNOWN_SERVER_ERROR' });
  });

  it('answers well-compressed but malformed records with INVALID_RECORD', () => {
    const b = buildRecordBatch({ baseTimestamp: T0, compression: 'zstd', records: records(3) });
    b.writeInt32BE(4, RECORD_COUNT_POSITION);
    expect(validateBatchRecords(b, 0)).toMatchObject({ ok: false, error: 'INVALID_RECORD', reason: /declares 4 records but ends after 3/ });
  });

  it('refuses to inflate past its bound (a zip bomb)', () => {
    const bomb = compress('gzip', Buffer.alloc(MAX_DECOMPRESSED_BYTES + 1));
    const b = buildRecordBatch({ baseTimestamp: T0, records: records(1) });
    const batch = Buffer.concat([b.subarray(0, RECORDS_POSITION), bomb]);
    batch.writeInt32BE(batch.length - 12, 8);
    batch.writeInt16BE(1, 21);
    expect(validateBatchRecords(batch, 0)).toMatchObject({ ok: false, error: 'UNKNOWN_SERVER_ERROR' });
  });
});

describe('validateRecordsSection', () => {
  it('accepts exactly the declared records', () => {
    const s = section(5);
    expect(validateRecordsSection(s, 0, s.length, 5).ok).toBe(true);
    expect(validateRecordsSection(s, 0, s.length, 4)).toMatchObject({ ok: false, reason: /bytes after the last of 4 records/ });
    expect(validateRecordsSection(s, 0, s.length, 6)).toMatchObject({ ok: false, reason: /declares 6 records but ends after 5/ });
  });

  const cases: Array<[string, Buffer, RegExp]> = [
    ['a length past the end', record([0, 0, -1, -1, 0], 40), /length 40 with/],
    ['a negative length', record([0, 0, -1, -1, 0], -3), /length -3/],
    ['a key longer than the record', record([0, 0, 30, -1, 0]), /key runs past/],
    ['a value longer than the record', record([0, 0, -1, 9, 0]), /value runs past/],
    ['a key length below -1', record([0, 0, -2, -1, 0]), /key runs past/],
    ['a negative header count', record([0, 0, -1, -1, -1]), /invalid header count -1/],
    ['a null header key', record([0, 0, -1, -1, 1, -1, -1]), /header 0 key/],
    ['fields shorter than the length', Buffer.concat([record([0, 0, -1, -1, 0]).subarray(0, 1).fill(14), record([0, 0, -1, -1, 0]).subarray(1), Buffer.alloc(8)]), /its fields take/],
  ];
  it.each(cases)('refuses %s', (_what, bytes, reason) => {
    expect(validateRecordsSection(bytes, 0, bytes.length, 1)).toMatchObject({ ok: false, error: 'INVALID_RECORD', reason });
  });

  it('accepts a hand-built record with a header', () => {
    const r = record([5, 3, 1, 'A', -1, 1, 1, 'B', 2, 'CC']);
    expect(validateRecordsSection(r, 0, r.length, 1)).toEqual({ ok: true });
  });
});
