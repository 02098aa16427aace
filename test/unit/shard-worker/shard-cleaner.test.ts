// ShardCore's log cleaner scheduling: a compacted partition is cleaned when its dirty ratio is due
// on the clock, the result swapped in between drains and published (metrics fields, segment
// epoch), offsets and the high watermark untouched; a failed clean waits before it is tried again.
import { afterEach, expect, it } from 'vitest';
import { buildRecordBatch } from '../../../src/protocol/records.ts';
import { cleanSegments, type CleanJob } from '../../../src/segments/cleaner.ts';
import { CLEANER_RUNS } from '../../../src/shared-mem/shard-stats.ts';
import type { CleanerRun } from '../../../src/shard-worker/cleaner-pool.ts';
import { CLEANER_RETRY_BACKOFF_MS } from '../../../src/shard-worker/compaction.ts';
import { shardHarness, type ShardHarness } from './shard-fixture.ts';

let h: ShardHarness | undefined;
afterEach(() => {
  h?.cleanup();
  h = undefined;
});

const keyed = (round: number) => buildRecordBatch({
  baseTimestamp: 1_000n,
  records: ['a', 'b'].map((k) => ({ key: Buffer.from(k), value: Buffer.from(`${k}${round}-${'v'.repeat(80)}`) })),
});
const COMPACTED = { 'cleanup.policy': 'compact', 'segment.bytes': '400', 'min.cleanable.dirty.ratio': '0.01' };

it('cleans a compacted partition when due, swaps between drains and publishes; offsets stay', async () => {
  let runs = 0;
  h = shardHarness({ cleaner: { enabled: true, backoffMs: 1_000, run: (job: Omit<CleanJob, 'throttle'>) => { runs++; return Promise.resolve({ result: cleanSegments(job), elapsedMs: 1 }); } } });
  h.open(0, COMPACTED);
  expect(h.reader.dirtyRatio(0)).toBe(0);
  for (let round = 0; round < 12; round++) expect((await h.drain([{ slot: 0, records: keyed(round) }]))[0]!.errorCode).toBe(0);
  const size = h.reader.logEndBytes(0);
  const epoch = h.reader.segmentEpoch(0);
  await h.core.housekeeping();
  expect(runs).toBe(0);
  h.clock.advance(1_000);
  await h.core.housekeeping();
  expect(runs).toBe(1);
  await Promise.resolve();
  expect(h.core.cleanedWaiting).toBe(1);
  h.core.applyCleaned();
  expect(h.stats.read(CLEANER_RUNS)).toBe(1n);
  expect(h.reader.highWatermark(0)).toBe(24n);
  expect(h.reader.logStartOffset(0)).toBe(0n);
  expect(h.reader.logEndBytes(0)).toBeLessThan(size);
  expect(h.reader.segmentEpoch(0)).toBeGreaterThan(epoch);
  expect(h.reader.lastCleanMs(0)).toBe(Number(h.clock.wall));
  // A partition that is not compacted has no dirty ratio.
  h.open(1, { 'segment.bytes': '400' });
  expect(h.reader.dirtyRatio(1)).toBe(-1);
});

it('a failed clean is not retried before the retry backoff', async () => {
  let runs = 0;
  const failing = (): Promise<CleanerRun> => {
    runs++;
    return Promise.reject(new Error('disk on fire'));
  };
  h = shardHarness({ cleaner: { enabled: true, backoffMs: 1_000, run: failing } });
  h.open(0, COMPACTED);
  for (let round = 0; round < 12; round++) await h.drain([{ slot: 0, records: keyed(round) }]);
  h.clock.advance(1_000);
  await h.core.housekeeping();
  await new Promise((r) => setImmediate(r));
  h.core.applyCleaned();
  expect(runs).toBe(1);
  h.clock.advance(1_000);
  await h.core.housekeeping();
  expect(runs).toBe(1);
  h.clock.advance(CLEANER_RETRY_BACKOFF_MS);
  await h.core.housekeeping();
  expect(runs).toBe(2);
});

it('keyless records are refused in a compacted partition, with the records listed', async () => {
  h = shardHarness();
  h.open(0, COMPACTED);
  const mixed = buildRecordBatch({ baseTimestamp: 1_000n, records: [{ key: Buffer.from('a'), value: Buffer.from('1') }, { key: null, value: Buffer.from('2') }, { key: null, value: null }] });
  const [c] = await h.drain([{ slot: 0, records: mixed }]);
  expect(c).toMatchObject({
    errorCode: 87, recordErrors: [1, 2], recordErrorMessage: 'Compacted topic cannot accept message without key in topic partition orders-0',
    errorMessage: "One or more records have been rejected due to 2 record errors in total, and only showing the first three errors at most: [RecordError(batchIndex=1, message='Compacted topic cannot accept message without key in topic partition orders-0'), RecordError(batchIndex=2, message='Compacted topic cannot accept message without key in topic partition orders-0')]",
  });
  expect(h.reader.highWatermark(0)).toBe(0n);
});
