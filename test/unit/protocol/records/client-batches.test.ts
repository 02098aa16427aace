// Golden batches from real Kafka clients' encoders (fixtures/client-batches.json, made by
// fixtures/capture-client-batches.ts): our CRC and decoder must accept them, and for uncompressed
// batches our encoder must produce the same bytes.
import { describe, expect, it } from 'vitest';
import { createRequire } from 'node:module';
import { validateBatch, validateProduceRecords } from '../../../../src/protocol/record-batch.ts';
import { buildRecordBatch, decodeRecordBatch } from '../../../../src/protocol/records.ts';
import { BASE_TIMESTAMP, CLIENT_MAX_TIMESTAMP, CLIENT_RECORDS } from './fixtures/client-records.ts';

const require = createRequire(import.meta.url);
const fixture = require('./fixtures/client-batches.json') as {
  batches: { client: string; compression: string; hex: string }[];
};

function ourBatch(): Buffer {
  // The clients write producerEpoch 0, baseSequence 0 and partitionLeaderEpoch 0 when not idempotent.
  return buildRecordBatch({
    baseTimestamp: BASE_TIMESTAMP,
    producerEpoch: 0,
    baseSequence: 0,
    partitionLeaderEpoch: 0,
    records: CLIENT_RECORDS.map((r) => ({
      key: r.key === null ? null : Buffer.from(r.key),
      value: Buffer.from(r.value),
      headers: r.headers.map(([key, value]) => ({ key, value: Buffer.from(value) })),
      timestamp: r.timestamp,
    })),
  });
}

describe('batches made by real clients', () => {
  it('covers every codec', () => {
    expect(new Set(fixture.batches.map((b) => b.compression))).toEqual(new Set(['none', 'gzip', 'snappy', 'lz4', 'zstd']));
  });

  for (const { client, compression, hex } of fixture.batches) {
    it(`${client} ${compression}: CRC validates and records decode`, () => {
      const batch = Buffer.from(hex, 'hex');
      expect(validateBatch(batch, 0)).toEqual({ ok: true, size: batch.length });
      expect(validateProduceRecords(batch)).toMatchObject({ ok: true, batches: [{ offset: 0, size: batch.length }] });
      const decoded = decodeRecordBatch(batch);
      expect(decoded).toMatchObject({
        compression,
        recordCount: CLIENT_RECORDS.length,
        lastOffsetDelta: CLIENT_RECORDS.length - 1,
        baseTimestamp: BASE_TIMESTAMP,
        maxTimestamp: CLIENT_MAX_TIMESTAMP,
      });
      decoded.records.forEach((record, i) => {
        const expected = CLIENT_RECORDS[i];
        expect(record.offset).toBe(BigInt(i));
        expect(record.timestamp).toBe(expected.timestamp);
        expect(record.key?.toString('utf8') ?? null).toBe(expected.key);
        expect(record.value?.toString('utf8')).toBe(expected.value);
        expect(record.headers.map((h) => [h.key, h.value?.toString('utf8')])).toEqual(expected.headers);
      });
    });
  }

  it('our encoder writes the same bytes as the clients for an uncompressed batch', () => {
    const ours = ourBatch().toString('hex');
    const uncompressed = fixture.batches.filter((b) => b.compression === 'none');
    expect(uncompressed.length).toBe(2);
    for (const { hex } of uncompressed) expect(ours).toBe(hex);
  });
});
