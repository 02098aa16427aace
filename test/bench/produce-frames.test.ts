// Pre-encoded Produce frames: they decode as ordinary Produce requests, and after a refresh every
// batch still validates (CRC-32C recomputed) and carries the new timestamps and send stamps.
import { expect, test } from 'vitest';
import { Reader } from '../../src/protocol/primitives.ts';
import { decodeRequestHeader } from '../../src/protocol/headers.ts';
import { ApiKey, apiCodecs } from '../../src/protocol/generated/index.ts';
import type { ProduceRequest } from '../../src/protocol/generated/produce-request.ts';
import { validateBatch } from '../../src/protocol/record-batch.ts';
import { decodeRecordBatch } from '../../src/protocol/records.ts';
import { buildProduceFrame, makePayloads, refreshProduceFrame, splitRecords, type ProduceFrameSpec } from '../../bench/generator/produce-frames.ts';
import { CORRELATION_ID_POSITION } from '../../bench/generator/wire.ts';

function decode(frame: Buffer): ProduceRequest {
  expect(frame.readInt32BE(0)).toBe(frame.length - 4);
  const r = new Reader(frame.subarray(4));
  const header = decodeRequestHeader(r);
  expect(header).toMatchObject({ ok: true, apiKey: ApiKey.Produce, apiVersion: 9 });
  return apiCodecs.get(ApiKey.Produce)!.decodeRequest(r, 9) as ProduceRequest;
}

const spec = (over: Partial<ProduceFrameSpec> = {}): ProduceFrameSpec => ({
  produceVersion: 9, topic: 'bench', partitions: [0, 2, 5], recordsPerBatch: 4, acks: -1, timeoutMs: 30_000,
  compression: 'none', payloads: makePayloads(100, 12, null), stampValues: false, ...over,
});

test('payloads are reproducible upper-case letters', () => {
  const a = makePayloads(64, 3, null);
  expect(a).toEqual(makePayloads(64, 3, null));
  for (const p of a) expect(/^[A-Z]{64}$/.test(p.toString('latin1'))).toBe(true);
});

test('a frame is a Produce request with one valid batch per partition', () => {
  const pf = buildProduceFrame(spec());
  expect(pf.records).toBe(12);
  expect(pf.payloadBytes).toBe(1200);
  const req = decode(pf.frame);
  expect(req.acks).toBe(-1);
  expect(req.topicData[0]!.partitionData.map((p) => p.index)).toEqual([0, 2, 5]);
  for (const p of req.topicData[0]!.partitionData) {
    expect(validateBatch(p.records!, 0).ok).toBe(true);
    expect(decodeRecordBatch(p.records!).records).toHaveLength(4);
  }
});

test('refresh patches timestamps, stamps and CRCs in place; the correlation id slot is where wire.ts writes', () => {
  const pf = buildProduceFrame(spec({ stampValues: true }), 1_000);
  const now = 1_700_000_000_123;
  refreshProduceFrame(pf, now, now + 0.25);
  pf.frame.writeInt32BE(77, CORRELATION_ID_POSITION);
  const r = new Reader(pf.frame.subarray(4));
  expect(decodeRequestHeader(r)).toMatchObject({ correlationId: 77 });
  for (const p of decode(pf.frame).topicData[0]!.partitionData) {
    expect(validateBatch(p.records!, 0).ok).toBe(true);
    const batch = decodeRecordBatch(p.records!);
    expect(batch.baseTimestamp).toBe(BigInt(now));
    expect(batch.maxTimestamp).toBe(BigInt(now));
    for (const rec of batch.records) expect(rec.value!.readDoubleBE(0)).toBe(now + 0.25);
  }
});

test('compressed e2e frames are rebuilt per send, since stamps cannot be patched into compressed bytes', () => {
  const pf = buildProduceFrame(spec({ stampValues: true, compression: 'gzip' }));
  expect(pf.rebuild).toBe(true);
  for (const p of decode(pf.frame).topicData[0]!.partitionData) {
    const batch = decodeRecordBatch(p.records!);
    expect(batch.compression).toBe('gzip');
    expect(batch.records[0]!.value!.readDoubleBE(0)).toBeGreaterThan(1.6e12);
  }
});

test('the last request of a --records run carries exactly what is left', () => {
  expect(splitRecords(7, [0, 1, 2])).toEqual({ partitions: [0, 1, 2], counts: [3, 2, 2] });
  expect(splitRecords(2, [0, 1, 2])).toEqual({ partitions: [0, 1], counts: [1, 1] });
  const { partitions, counts } = splitRecords(7, [0, 2, 5]);
  const pf = buildProduceFrame(spec({ partitions, recordCounts: counts }));
  expect(pf.records).toBe(7);
  expect(decode(pf.frame).topicData[0]!.partitionData.map((p) => decodeRecordBatch(p.records!).recordCount)).toEqual([3, 2, 2]);
});
