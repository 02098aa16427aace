// The committed offsets on their own, over an in-memory store and a fixed clock: per-partition
// commit errors, durable-before-visible, the replay fold, OffsetDelete's checks and expiry.
import { beforeEach, expect, test } from 'vitest';
import pino from 'pino';
import { CommittedOffsets } from '../../../src/coordinator/committed-offsets.ts';
import { MemoryStore } from './fixtures.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';

let store: MemoryStore;
let clock: number;
let offsets: CommittedOffsets;

beforeEach(() => {
  store = new MemoryStore();
  clock = 1_000_000;
  offsets = new CommittedOffsets({
    store,
    partitionExists: (topic, partition) => (topic === 't' || topic === 'u') && partition >= 0 && partition < 4,
    log: pino({ level: 'silent' }),
    now: () => clock,
    settings: { offsetMetadataMaxBytes: 8 },
  });
});

const partition = (partitionIndex: number, committedOffset: bigint, committedMetadata: string | null = null) => ({ partitionIndex, committedOffset, committedLeaderEpoch: 1, committedMetadata });

test('a commit answers per partition in request order and writes only the accepted offsets, stamped with the clock', async () => {
  const { results, written } = await offsets.commit('g', [
    { name: 't', partitions: [partition(2, 20n), partition(9, 90n), partition(0, 5n, 'too long metadata')] },
    { name: 'nope', partitions: [partition(0, 1n)] },
  ]);
  expect(written).toBe(true);
  expect(results).toEqual([
    { name: 't', partitions: [{ partitionIndex: 2, errorCode: ErrorCode.NONE }, { partitionIndex: 9, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }, { partitionIndex: 0, errorCode: ErrorCode.OFFSET_METADATA_TOO_LARGE }] },
    { name: 'nope', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
  ]);
  expect(store.entries).toEqual([{ group: 'g', topic: 't', partition: 2, value: { offset: 20n, leaderEpoch: 1, metadata: null, commitTimestamp: 1_000_000n } }]);
  expect(offsets.list('g')).toEqual([{ topic: 't', partition: 2, offset: 20n, leaderEpoch: 1, metadata: null, commitTimestamp: 1_000_000n }]);
});

test('a commit with nothing accepted writes nothing; one the store refuses is not visible', async () => {
  expect(await offsets.commit('g', [{ name: 't', partitions: [partition(7, 1n)] }])).toEqual({ results: [{ name: 't', partitions: [{ partitionIndex: 7, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] }], written: false });
  store.fail = true;
  const refused = await offsets.commit('g', [{ name: 't', partitions: [partition(0, 1n), partition(8, 1n)] }]);
  expect(refused.written).toBe(false);
  expect(refused.results[0]!.partitions.map((p) => p.errorCode)).toEqual([ErrorCode.COORDINATOR_NOT_AVAILABLE, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  expect(offsets.has('g')).toBe(false);
  expect(offsets.fetch('g', [{ name: 't', partitionIndexes: [0] }])[0]!.partitions[0]!.committedOffset).toBe(-1n);
});

test('replayed entries fold last-wins; tombstones remove, and a group left with none is gone', () => {
  offsets.apply({ group: 'a', topic: 't', partition: 3, value: { offset: 1n, leaderEpoch: -1, metadata: null, commitTimestamp: 1n } });
  offsets.apply({ group: 'a', topic: 't', partition: 1, value: { offset: 2n, leaderEpoch: -1, metadata: 'm', commitTimestamp: 1n } });
  offsets.apply({ group: 'a', topic: 't', partition: 3, value: { offset: 7n, leaderEpoch: 4, metadata: null, commitTimestamp: 2n } });
  offsets.apply({ group: 'b', topic: 'u', partition: 0, value: { offset: 5n, leaderEpoch: -1, metadata: null, commitTimestamp: 1n } });
  offsets.apply({ group: 'b', topic: 'u', partition: 0, value: null });
  offsets.apply({ group: 'c', topic: 'u', partition: 0, value: null }); // a tombstone for nothing is harmless
  expect([...offsets.groupIds()]).toEqual(['a']);
  // All of a group's commits, sorted by partition.
  expect(offsets.fetch('a', null)).toEqual([{ name: 't', partitions: [
    { partitionIndex: 1, committedOffset: 2n, committedLeaderEpoch: -1, metadata: 'm', errorCode: 0 },
    { partitionIndex: 3, committedOffset: 7n, committedLeaderEpoch: 4, metadata: '', errorCode: 0 },
  ] }]);
  expect(offsets.tombstones('a', (_topic, p) => p === 3)).toEqual([{ group: 'a', topic: 't', partition: 3, value: null }]);
});

test('OffsetDelete: subscribed topics are refused, unknown partitions reported, tombstones only for what was committed', async () => {
  await offsets.commit('g', [{ name: 't', partitions: [partition(0, 1n)] }, { name: 'u', partitions: [partition(0, 1n)] }]);
  const before = store.entries.length;
  const r = await offsets.delete('g', [{ name: 't', partitionIndexes: [0, 1, 9] }, { name: 'u', partitionIndexes: [0] }], new Set(['u']));
  expect(r).toEqual({ errorCode: ErrorCode.NONE, topics: [
    { name: 't', partitions: [{ partitionIndex: 0, errorCode: 0 }, { partitionIndex: 1, errorCode: 0 }, { partitionIndex: 9, errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION }] },
    { name: 'u', partitions: [{ partitionIndex: 0, errorCode: ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC }] },
  ] });
  expect(store.entries.slice(before)).toEqual([{ group: 'g', topic: 't', partition: 0, value: null }]);
  expect(offsets.list('g').map((c) => c.topic)).toEqual(['u']);
  expect((await offsets.delete('g', [{ name: 'u', partitionIndexes: [0] }], 'unknown')).topics[0]!.partitions[0]!.errorCode).toBe(ErrorCode.GROUP_SUBSCRIBED_TO_TOPIC);
  store.fail = true;
  expect(await offsets.delete('g', [{ name: 'u', partitionIndexes: [0] }], new Set())).toEqual({ errorCode: ErrorCode.COORDINATOR_NOT_AVAILABLE, topics: [] });
  expect(offsets.list('g').length).toBe(1);
});

test('expiry: a group that had members expires whole from when it became empty; otherwise each commit from its own time', async () => {
  await offsets.commit('members', [{ name: 't', partitions: [partition(0, 1n), partition(1, 1n)] }]);
  await offsets.commit('simple', [{ name: 't', partitions: [partition(0, 1n)] }]);
  clock += 50;
  await offsets.commit('simple', [{ name: 't', partitions: [partition(1, 1n)] }]);
  clock += 60;
  const groups = [{ groupId: 'members', emptySince: clock - 99 }, { groupId: 'simple', emptySince: null }];
  expect(offsets.expired(groups, 100)).toEqual([{ group: 'simple', topic: 't', partition: 0, value: null }]);
  clock += 1;
  expect(offsets.expired(groups, 100).map((e) => `${e.group}/${e.partition}`)).toEqual(['members/0', 'members/1', 'simple/0']);
});
