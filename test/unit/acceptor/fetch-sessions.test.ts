// The fetch session cache: Kafka's eviction preferences (stale first, then fewer partitions and
// unprivileged), its shard id ranges, epochs, the topic-id rule, and our cached-partition bound.
import { expect, test } from 'vitest';
import { CACHE_SHARDS, EVICTION_MS, FetchSessionCache, nextEpoch, type FetchContext, type PartitionAnswer, type RequestPartition } from '../../../src/acceptor/fetch-sessions.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';

const ZERO = '00000000-0000-0000-0000-000000000000';
const part = (partition: number, fetchOffset = 0n, topic = 't'): RequestPartition => ({
  topicId: ZERO, topic, partition, fetchOffset, logStartOffset: -1n, partitionMaxBytes: 1000, currentLeaderEpoch: -1, lastFetchedEpoch: -1,
});
const answer = (over: Partial<PartitionAnswer> = {}): PartitionAnswer => ({ errorCode: 0, highWatermark: 0n, logStartOffset: 0n, recordBytes: 0, preferredReadReplica: -1, ...over });

function open(cache: FetchSessionCache, partitions: RequestPartition[], privileged = false): number {
  const context = cache.newContext({ version: 12, sessionId: 0, sessionEpoch: 0, privileged, partitions, forgotten: [] });
  expect(context.kind).toBe('full');
  return cache.createSession(context as Extract<FetchContext, { kind: 'full' }>, partitions.map(() => answer()));
}

function incremental(cache: FetchSessionCache, sessionId: number, sessionEpoch: number, partitions: RequestPartition[] = [], forgotten: RequestPartition[] = [], version = 12) {
  return cache.newContext({ version, sessionId, sessionEpoch, privileged: false, partitions, forgotten });
}

test('epochs count up from 1 and wrap to 1; a negative one stays final', () => {
  expect(nextEpoch(0)).toBe(1);
  expect(nextEpoch(41)).toBe(42);
  expect(nextEpoch(0x7fffffff)).toBe(1);
  expect(nextEpoch(-1)).toBe(-1);
});

test('session ids come from the id range of the shard that made them, round-robin', () => {
  const cache = new FetchSessionCache({ slots: 1000 });
  const range = Math.floor(0x7fffffff / CACHE_SHARDS);
  for (let k = 0; k < CACHE_SHARDS * 2; k++) {
    const id = open(cache, [part(0)]);
    expect(Math.floor(id / range)).toBe(k % CACHE_SHARDS);
    expect(id).toBeGreaterThan(0);
  }
  expect(cache.size).toBe(16);
});

test('incremental fetches: wrong epoch, unknown id, topic ids switched, then add / update / forget', () => {
  const cache = new FetchSessionCache({ slots: 1000 });
  const id = open(cache, [part(0), part(1)]);
  expect(incremental(cache, id + 1, 1)).toEqual({ kind: 'error', errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND });
  expect(incremental(cache, id, 2)).toEqual({ kind: 'error', errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH });
  expect(incremental(cache, id, 1, [], [], 13)).toEqual({ kind: 'error', errorCode: ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR });
  // The errors above left the session where it was: epoch 1 is still the next.
  const ctx = incremental(cache, id, 1, [part(2), part(0, 5n)], [part(1)]);
  expect(ctx.kind).toBe('incremental');
  if (ctx.kind !== 'incremental') return;
  expect(ctx.partitions.map((p) => [p.partition, p.fetchOffset])).toEqual([[0, 5n], [2, 0n]]);
  expect(cache.cachedPartitions).toBe(2);
  expect(incremental(cache, id, 1).kind).toBe('error');
  expect(incremental(cache, id, 2).kind).toBe('incremental');
});

test('an incremental answer carries records, new watermarks and errors only; partitions with records go to the back', () => {
  const cache = new FetchSessionCache({ slots: 1000 });
  const id = open(cache, [part(0), part(1), part(2)]);
  let ctx = incremental(cache, id, 1);
  if (ctx.kind !== 'incremental') throw new Error(ctx.kind);
  const picked = cache.selectIncremental(ctx, [answer({ recordBytes: 10, highWatermark: 3n }), answer(), answer({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark: -1n, logStartOffset: -1n })]);
  expect(picked).toEqual([true, false, true]);
  ctx = incremental(cache, id, 2);
  if (ctx.kind !== 'incremental') throw new Error(ctx.kind);
  expect(ctx.partitions.map((p) => p.partition)).toEqual([1, 2, 0]);
  // Partition 2 still errs: still sent. Partition 0's log start moved: sent. Partition 1 unchanged.
  expect(cache.selectIncremental(ctx, [answer(), answer({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, highWatermark: -1n, logStartOffset: -1n }), answer({ highWatermark: 3n, logStartOffset: 1n })])).toEqual([false, true, true]);
  // A request overtaken by the next epoch is a duplicate: no selection.
  const stale = ctx;
  incremental(cache, id, 3);
  expect(cache.selectIncremental(stale, [answer(), answer(), answer()])).toBeUndefined();
});

test('a full fetch closes the session it names; forgetting every partition closes it too', () => {
  const cache = new FetchSessionCache({ slots: 1000 });
  const a = open(cache, [part(0)]);
  expect(cache.newContext({ version: 12, sessionId: a, sessionEpoch: -1, privileged: false, partitions: [part(0)], forgotten: [] }).kind).toBe('sessionless');
  expect(cache.get(a)).toBeUndefined();
  const b = open(cache, [part(0)]);
  expect(incremental(cache, b, 1, [], [part(0)]).kind).toBe('sessionless');
  expect(cache.get(b)).toBeUndefined();
  expect(cache.cachedPartitions).toBe(0);
});

test('a full cache shard evicts a stale session, else a smaller one older than the eviction time, else nothing', () => {
  let now = 1_000_000;
  let evictions = 0;
  // 8 slots: one session per shard; new sessions go to shard 0, 1, 2, ... in turn.
  const cache = new FetchSessionCache({ slots: CACHE_SHARDS, now: () => now, onEviction: () => { evictions++; } });
  const first = Array.from({ length: CACHE_SHARDS }, () => open(cache, [part(0), part(1)]));
  // Shard 0: its session is young (evictable by nobody unprivileged) and not stale.
  expect(open(cache, [part(0), part(1), part(2)])).toBe(0);
  // Every session used again after the eviction time since its creation: evictable by size, not stale.
  now += EVICTION_MS + 1;
  for (const id of first) expect(incremental(cache, id, 1).kind).toBe('incremental');
  expect(open(cache, [part(0), part(1)])).toBe(0); // shard 1: same size, the old one stays
  expect(open(cache, [part(0), part(1), part(2)])).toBeGreaterThan(0); // shard 2: more partitions, evicts
  expect(evictions).toBe(1);
  expect(cache.get(first[2]!)).toBeUndefined();
  // Unused for longer than the eviction time: stale, evicted whatever the newcomer's size.
  now += EVICTION_MS + 1;
  expect(open(cache, [part(9)])).toBeGreaterThan(0); // shard 3
  expect(cache.get(first[3]!)).toBeUndefined();
  expect(evictions).toBe(2);
  expect(cache.size).toBe(CACHE_SHARDS);
});

test('a privileged session may evict an unprivileged one at once', () => {
  const now = 5_000;
  const cache = new FetchSessionCache({ slots: CACHE_SHARDS, now: () => now });
  for (let k = 0; k < CACHE_SHARDS; k++) open(cache, [part(0), part(1), part(2)]);
  expect(open(cache, [part(0)])).toBe(0);
  expect(open(cache, [part(0)], true)).toBeGreaterThan(0);
  expect(cache.size).toBe(CACHE_SHARDS);
});

test('zero slots: no session is ever created, and full fetches still work', () => {
  const cache = new FetchSessionCache({ slots: 0 });
  expect(open(cache, [part(0)])).toBe(0);
  expect(cache.size).toBe(0);
});

test('the partitions of all sessions are bounded: past the bound no session, or the session closes', () => {
  const cache = new FetchSessionCache({ slots: 1000, maxCachedPartitions: 5 });
  const id = open(cache, [part(0), part(1), part(2)]);
  expect(id).toBeGreaterThan(0);
  expect(open(cache, [part(0), part(1), part(2)])).toBe(0);
  const ctx = incremental(cache, id, 1, [part(3), part(4), part(5)]);
  expect(ctx.kind).toBe('sessionless');
  expect(ctx.kind === 'sessionless' && ctx.partitions.map((p) => p.partition)).toEqual([0, 1, 2, 3, 4, 5]);
  expect(cache.get(id)).toBeUndefined();
  expect(cache.cachedPartitions).toBe(0);
});
