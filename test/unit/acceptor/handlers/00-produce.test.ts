// Produce: routing to the owning shard with backpressure, per-partition validation, acks=0.
import { afterEach, beforeEach, expect, test } from 'vitest';
import produce from '../../../../src/acceptor/handlers/00-produce.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { ProduceResponse } from '../../../../src/protocol/generated/produce-response.ts';
import { buildRecordBatch } from '../../../../src/protocol/records.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); s.addTopic('t', 2); });
afterEach(() => s.close());

const batch = buildRecordBatch({ baseTimestamp: 0n, records: [{ key: null, value: Buffer.from('x') }] });
const request = (acks: number, partitions: { index: number; records: Buffer | null }[], name = 't') =>
  ({ acks, timeoutMs: 1000, transactionalId: null, topicData: [{ name, partitionData: partitions }] });

test('appends go to the owning shard and slot, and the response carries the shard\'s offsets', async () => {
  s.appendResult = () => ({ baseOffset: 42n, logStartOffset: 3n, recordCount: 5, bytes: 100 });
  const res = await call<ProduceResponse>(produce, s, 9, request(1, [{ index: 1, records: batch }]));
  const handle = s.fakePartition('t', 1).handle;
  expect(s.appends.map((a) => [a.shard, a.slot, a.records])).toEqual([[handle.shard, handle.slot, batch]]);
  expect(s.appends[0]!.backpressure).toBeDefined();
  expect(res!.responses[0]!.partitionResponses[0]).toMatchObject({ index: 1, errorCode: ErrorCode.NONE, baseOffset: 42n, logStartOffset: 3n });
  expect(s.counted).toMatchObject({ bytesIn: 100, recordsIn: 5 });
});

test('unknown topic or partition, empty records, too-large records and bad acks get their error codes', async () => {
  const big = Buffer.alloc(s.append.maxAppendBytes + 1);
  const res = await call<ProduceResponse>(produce, s, 9, request(1, [{ index: 0, records: null }, { index: 5, records: batch }, { index: 1, records: big }]));
  expect(res!.responses[0]!.partitionResponses.map((p) => p.errorCode)).toEqual([ErrorCode.INVALID_RECORD, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, ErrorCode.RECORD_LIST_TOO_LARGE]);
  const unknown = await call<ProduceResponse>(produce, s, 9, request(1, [{ index: 0, records: batch }], 'nope'));
  expect(unknown!.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const badAcks = await call<ProduceResponse>(produce, s, 9, request(2, [{ index: 0, records: batch }]));
  expect(badAcks!.responses[0]!.partitionResponses[0]!.errorCode).toBe(ErrorCode.INVALID_REQUIRED_ACKS);
  expect(s.appends).toEqual([]);
});

test('a shard error is answered per partition with its message', async () => {
  s.appendResult = () => ({ errorCode: ErrorCode.CORRUPT_MESSAGE, errorMessage: 'bad crc' });
  const res = await call<ProduceResponse>(produce, s, 9, request(-1, [{ index: 0, records: batch }]));
  expect(res!.responses[0]!.partitionResponses[0]).toMatchObject({ errorCode: ErrorCode.CORRUPT_MESSAGE, errorMessage: 'bad crc', baseOffset: -1n });
});

test('acks=0 appends but sends no response', async () => {
  expect(await call(produce, s, 9, request(0, [{ index: 0, records: batch }]))).toBeNull();
  expect(s.appends).toHaveLength(1);
});

test('acks=0 is counted in the produced metrics once the shard answers, a shard error not', async () => {
  s.appendResult = (a) => (a.slot === s.fakePartition('t', 1).handle.slot ? { errorCode: ErrorCode.CORRUPT_MESSAGE } : { recordCount: 5, bytes: 100 });
  expect(await call(produce, s, 9, request(0, [{ index: 0, records: batch }, { index: 1, records: batch }]))).toBeNull();
  await new Promise((resolve) => setImmediate(resolve));
  expect(s.counted).toMatchObject({ bytesIn: 100, recordsIn: 5 });
});
