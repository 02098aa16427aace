// Fetch: records below the HWM, offset range checks, unknown topics by name and by ID, sessions,
// leader epochs, and the long poll.
import { afterEach, beforeEach, expect, test } from 'vitest';
import fetch from '../../../../src/acceptor/handlers/01-fetch.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { FetchResponse } from '../../../../src/protocol/generated/fetch-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); s.addTopic('t', 2); });
afterEach(() => s.close());

const request = (partitions: { partition: number; fetchOffset: bigint; currentLeaderEpoch?: number }[], more: Record<string, unknown> = {}) => ({
  maxWaitMs: 0, minBytes: 0, maxBytes: 1 << 20, isolationLevel: 0, sessionId: 0, sessionEpoch: -1, forgottenTopicsData: [],
  topics: [{ topic: 't', topicId: s.cluster.topicByName('t')!.topicId, partitions: partitions.map((p) => ({ partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n, lastFetchedEpoch: -1, ...p })) }],
  ...more,
});

test('returns the batches from the fetch offset with the slot\'s watermarks, and counts what it served', async () => {
  const first = s.appendRecords('t', 0, 3);
  const second = s.appendRecords('t', 0, 2);
  const res = await call<FetchResponse>(fetch, s, 12, request([{ partition: 0, fetchOffset: 0n }, { partition: 1, fetchOffset: 0n }]));
  const [p0, p1] = res!.responses[0]!.partitions;
  expect(p0).toMatchObject({ partitionIndex: 0, errorCode: ErrorCode.NONE, highWatermark: 5n, logStartOffset: 0n });
  expect(Buffer.compare(p0!.records!, Buffer.concat([first, second]))).toBe(0);
  expect(p1).toMatchObject({ partitionIndex: 1, errorCode: ErrorCode.NONE, highWatermark: 0n });
  expect(p1!.records!.length).toBe(0);
  expect(s.counted.fetchServed).toEqual([{ topic: 't', partition: 0, bytes: first.length + second.length }]);
});

test('an offset past the HWM or below the log start is OFFSET_OUT_OF_RANGE', async () => {
  s.appendRecords('t', 0, 3);
  s.fakePartition('t', 0).offsets.logStartOffset = 2n;
  const res = await call<FetchResponse>(fetch, s, 12, request([{ partition: 0, fetchOffset: 4n }, { partition: 0, fetchOffset: 1n }]));
  expect(res!.responses[0]!.partitions.map((p) => p.errorCode)).toEqual([ErrorCode.OFFSET_OUT_OF_RANGE, ErrorCode.OFFSET_OUT_OF_RANGE]);
});

test('a partition whose log the shard took offline is KAFKA_STORAGE_ERROR, with an empty record set', async () => {
  s.appendRecords('t', 0, 3);
  s.fakePartition('t', 0).offline = true;
  const res = await call<FetchResponse>(fetch, s, 12, request([{ partition: 0, fetchOffset: 0n }, { partition: 1, fetchOffset: 0n }]));
  const [p0, p1] = res!.responses[0]!.partitions;
  expect(p0).toMatchObject({ errorCode: ErrorCode.KAFKA_STORAGE_ERROR, highWatermark: -1n, records: Buffer.alloc(0) });
  expect(p1!.errorCode).toBe(ErrorCode.NONE);
});

test('unknown partitions by name and unknown topic IDs (v13+) get their own codes', async () => {
  const byName = await call<FetchResponse>(fetch, s, 12, request([{ partition: 7, fetchOffset: 0n }]));
  expect(byName!.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  const byId = await call<FetchResponse>(fetch, s, 13, { ...request([{ partition: 0, fetchOffset: 0n }]), topics: [{ topic: '', topicId: '00000000-0000-0000-0000-0000000000aa', partitions: [{ partition: 0, fetchOffset: 0n, partitionMaxBytes: 100, currentLeaderEpoch: -1 }] }] });
  expect(byId!.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_ID);
});

test('a newer leader epoch is UNKNOWN_LEADER_EPOCH; an incremental fetch session is FETCH_SESSION_ID_NOT_FOUND', async () => {
  const epoch = await call<FetchResponse>(fetch, s, 12, request([{ partition: 0, fetchOffset: 0n, currentLeaderEpoch: 1 }]));
  expect(epoch!.responses[0]!.partitions[0]!.errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
  const session = await call<FetchResponse>(fetch, s, 12, request([], { sessionId: 5, sessionEpoch: 1 }));
  expect(session!.errorCode).toBe(ErrorCode.FETCH_SESSION_ID_NOT_FOUND);
  // KIP-227: epoch -1 (sessionless) and 0 (open a session) are full fetches, whatever id they name.
  const sessionless = await call<FetchResponse>(fetch, s, 12, request([{ partition: 0, fetchOffset: 0n }], { sessionId: 5, sessionEpoch: -1 }));
  expect(sessionless).toMatchObject({ errorCode: ErrorCode.NONE, sessionId: 0 });
  const opened = await call<FetchResponse>(fetch, s, 12, request([{ partition: 0, fetchOffset: 0n }], { sessionId: 5, sessionEpoch: 0 }));
  expect(opened!.errorCode).toBe(ErrorCode.NONE);
  expect(opened!.sessionId).toBeGreaterThan(0);
});

test('a long poll waits on the partitions and reads again once they change', async () => {
  let waits = 0;
  s.waitResult = async () => {
    waits++;
    s.appendRecords('t', 0, 1);
    return 'changed';
  };
  const res = await call<FetchResponse>(fetch, s, 12, request([{ partition: 0, fetchOffset: 0n }], { minBytes: 1, maxWaitMs: 5000 }));
  expect(waits).toBe(1);
  expect(res!.responses[0]!.partitions[0]!.highWatermark).toBe(1n);
  expect(res!.responses[0]!.partitions[0]!.records!.length).toBeGreaterThan(0);
});

test('many partitions are answered in request order, and max_bytes bounds the response', async () => {
  s.addTopic('many', 40);
  const sizes = Array.from({ length: 40 }, (_, p) => s.appendRecords('many', p, 2).length);
  const topicId = s.cluster.topicByName('many')!.topicId;
  const order = [...Array.from({ length: 40 }, (_, p) => 39 - p), 5];
  const maxBytes = sizes[0]! * 10 + 1;
  const res = await call<FetchResponse>(fetch, s, 13, {
    ...request([]), maxBytes,
    topics: [{ topic: '', topicId, partitions: order.map((partition) => ({ partition, fetchOffset: 0n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, logStartOffset: -1n, lastFetchedEpoch: -1 })) }],
  });
  const parts = res!.responses.flatMap((t) => t.partitions);
  expect(parts.map((p) => p.partitionIndex)).toEqual(order);
  const served = parts.map((p) => p.records!.length);
  expect(served.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(maxBytes);
  // The first ten fit exactly; every later one is empty (no room), the repeated partition 5 too.
  expect(served.slice(0, 10).every((n, i) => n === sizes[order[i]!])).toBe(true);
  expect(served.slice(10).every((n) => n === 0)).toBe(true);
});
