// Regression: throttle_time_ms was written in the wrong place in ProduceResponse, which broke
// clients. The generated encoder puts it after the responses array (v1+), exactly where Kafka's
// definition says; this test checks the bytes with an independent hand decoder.
import { expect, test } from 'vitest';
import { Writer } from '../../src/protocol/primitives.ts';
import { encodeProduceResponse } from '../../src/protocol/generated/produce-response.ts';

test('ProduceResponse v8 bytes: responses first, throttle_time_ms last', () => {
  const w = new Writer();
  encodeProduceResponse(w, 8, {
    responses: [{ name: 't', partitionResponses: [{ index: 2, errorCode: 0, baseOffset: 5n, logAppendTimeMs: -1n, logStartOffset: 0n, recordErrors: [], errorMessage: null }] }],
    throttleTimeMs: 0x01020304,
  });
  const b = Buffer.from(w.finish());
  let at = 0;
  expect(b.readInt32BE(at)).toBe(1); at += 4; // responses count
  expect(b.readInt16BE(at)).toBe(1); at += 2; // name length
  expect(b.toString('utf8', at, at + 1)).toBe('t'); at += 1;
  expect(b.readInt32BE(at)).toBe(1); at += 4; // partition count
  expect(b.readInt32BE(at)).toBe(2); at += 4; // index
  expect(b.readInt16BE(at)).toBe(0); at += 2; // error code
  expect(b.readBigInt64BE(at)).toBe(5n); at += 8; // base offset
  expect(b.readBigInt64BE(at)).toBe(-1n); at += 8; // log append time
  expect(b.readBigInt64BE(at)).toBe(0n); at += 8; // log start offset
  expect(b.readInt32BE(at)).toBe(0); at += 4; // record errors
  expect(b.readInt16BE(at)).toBe(-1); at += 2; // error message: null
  expect(b.readInt32BE(at)).toBe(0x01020304); at += 4; // throttle_time_ms, last
  expect(at).toBe(b.length);
});

test('ProduceResponse v9 (flexible): throttle_time_ms after the compact responses array', () => {
  const w = new Writer();
  encodeProduceResponse(w, 9, { responses: [], throttleTimeMs: 7 });
  const b = Buffer.from(w.finish());
  // compact array of 0 elements (varint 1), throttle int32, empty tagged fields (varint 0)
  expect([...b]).toEqual([1, 0, 0, 0, 7, 0]);
});
