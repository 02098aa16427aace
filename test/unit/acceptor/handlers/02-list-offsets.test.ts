// ListOffsets: latest, earliest, timestamps and max timestamp, from the slot and the reader.
import { afterEach, beforeEach, expect, test } from 'vitest';
import listOffsets, { OffsetSpec } from '../../../../src/acceptor/handlers/02-list-offsets.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { ListOffsetsResponse } from '../../../../src/protocol/generated/list-offsets-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
beforeEach(() => {
  s = fakeServices();
  s.addTopic('t', 1);
  s.appendRecords('t', 0, 3, 100n);
  s.appendRecords('t', 0, 2, 200n);
  s.fakePartition('t', 0).offsets.logStartOffset = 1n;
});
afterEach(() => s.close());

async function offsetsFor(timestamps: bigint[], extra: { currentLeaderEpoch?: number; name?: string; isolationLevel?: number } = {}) {
  const res = await call<ListOffsetsResponse>(listOffsets, s, 7, {
    replicaId: -1, isolationLevel: extra.isolationLevel ?? 0,
    topics: [{ name: extra.name ?? 't', partitions: timestamps.map((timestamp) => ({ partitionIndex: 0, timestamp, currentLeaderEpoch: extra.currentLeaderEpoch ?? -1 })) }],
  });
  return res!.topics[0]!.partitions;
}

test('latest is the HWM, earliest the log start offset, a timestamp the first batch at or after it', async () => {
  const got = await offsetsFor([OffsetSpec.LATEST, OffsetSpec.EARLIEST, 150n, OffsetSpec.MAX_TIMESTAMP, 999n]);
  expect(got.map((p) => [p.errorCode, p.offset, p.timestamp])).toEqual([
    [ErrorCode.NONE, 5n, -1n], [ErrorCode.NONE, 1n, -1n], [ErrorCode.NONE, 3n, 200n], [ErrorCode.NONE, 3n, 200n], [ErrorCode.NONE, -1n, -1n],
  ]);
});

test('read_committed latest is the last stable offset', async () => {
  s.fakePartition('t', 0).offsets.lastStableOffset = 4n;
  expect((await offsetsFor([OffsetSpec.LATEST], { isolationLevel: 1 }))[0]!.offset).toBe(4n);
});

test('unknown partitions, newer leader epochs and bad negative timestamps get their codes', async () => {
  expect((await offsetsFor([OffsetSpec.LATEST], { name: 'nope' }))[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  expect((await offsetsFor([OffsetSpec.LATEST], { currentLeaderEpoch: 3 }))[0]!.errorCode).toBe(ErrorCode.UNKNOWN_LEADER_EPOCH);
  expect((await offsetsFor([-7n]))[0]!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
});

test('a special timestamp below the version that introduced it is UNSUPPORTED_VERSION, even for an unknown partition', async () => {
  const ask = async (v: number, timestamp: bigint, partitionIndex = 0) => (await call<ListOffsetsResponse>(listOffsets, s, v, {
    replicaId: -1, isolationLevel: 0, topics: [{ name: 't', partitions: [{ partitionIndex, timestamp, currentLeaderEpoch: -1 }] }],
  }))!.topics[0]!.partitions[0]!;
  expect(await ask(6, OffsetSpec.MAX_TIMESTAMP)).toMatchObject({ errorCode: ErrorCode.UNSUPPORTED_VERSION, offset: -1n, timestamp: -1n });
  expect((await ask(6, OffsetSpec.MAX_TIMESTAMP, 9)).errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
  expect((await ask(7, OffsetSpec.EARLIEST_LOCAL)).errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
  expect((await ask(8, OffsetSpec.EARLIEST_PENDING_UPLOAD)).errorCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
  expect((await ask(7, OffsetSpec.MAX_TIMESTAMP)).errorCode).toBe(ErrorCode.NONE);
  expect((await ask(1, OffsetSpec.LATEST)).errorCode).toBe(ErrorCode.NONE);
});
