// ShardCore's idempotent-producer checks: a retried batch is answered with its original offsets and
// not written again (in a later drain, in the same drain, after a reopen); a gap in sequences is refused.
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { DUPLICATE_BATCHES, APPENDED_BATCHES } from '../../../src/shared-mem/shard-stats.ts';
import { batch, shardHarness, type ShardHarness } from './shard-fixture.ts';

let h: ShardHarness;
afterEach(() => h.cleanup());

const producer = { producerId: 7001n, producerEpoch: 0 };

describe('ShardCore idempotent dedupe', () => {
  it('answers a retried batch as a duplicate with its original base offset, and writes it once', async () => {
    h = shardHarness();
    h.open(0);
    const first = batch({ ...producer, baseSequence: 0, count: 3 });
    const second = batch({ ...producer, baseSequence: 3, count: 2 });
    const retry = Buffer.from(first);
    expect(await h.drain([{ slot: 0, records: first }])).toMatchObject([{ errorCode: ErrorCode.NONE, baseOffset: 0n, recordCount: 3 }]);
    expect(await h.drain([{ slot: 0, records: second }])).toMatchObject([{ errorCode: ErrorCode.NONE, baseOffset: 3n }]);
    const [duplicate] = await h.drain([{ slot: 0, records: retry }]);
    expect(duplicate).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0n, recordCount: 0 });
    expect(h.reader.highWatermark(0)).toBe(5n);
    expect(h.logs.get(0)!.logEndOffset).toBe(5n);
    expect(h.stats.read(DUPLICATE_BATCHES)).toBe(1n);
    expect(h.stats.read(APPENDED_BATCHES)).toBe(2n);
  });

  it('spots a retry of a batch staged earlier in the same drain', async () => {
    h = shardHarness();
    h.open(0);
    const first = batch({ ...producer, baseSequence: 0, count: 2 });
    const completions = await h.drain([{ slot: 0, records: first }, { slot: 0, records: Buffer.from(first) }]);
    expect(completions.map((c) => [c.errorCode, c.baseOffset])).toEqual([[ErrorCode.NONE, 0n], [ErrorCode.NONE, 0n]]);
    expect(h.reader.highWatermark(0)).toBe(2n);
  });

  it('refuses a sequence gap, an unknown producer mid-stream and a fenced epoch, writing none of them', async () => {
    h = shardHarness();
    h.open(0);
    await h.drain([{ slot: 0, records: batch({ producerId: 7001n, producerEpoch: 3, baseSequence: 0, count: 2 }) }]);
    const refused = await h.drain([
      { slot: 0, records: batch({ producerId: 7001n, producerEpoch: 3, baseSequence: 5 }) },
      { slot: 0, records: batch({ producerId: 9999n, producerEpoch: 0, baseSequence: 4 }) },
      { slot: 0, records: batch({ producerId: 7001n, producerEpoch: 2, baseSequence: 2 }) },
    ]);
    expect(refused.map((c) => c.errorCode)).toEqual([
      ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, ErrorCode.UNKNOWN_PRODUCER_ID, ErrorCode.INVALID_PRODUCER_EPOCH,
    ]);
    expect(h.reader.highWatermark(0)).toBe(2n);
    // The next batch in sequence is still taken.
    expect(await h.drain([{ slot: 0, records: batch({ producerId: 7001n, producerEpoch: 3, baseSequence: 2 }) }])).toMatchObject([{ errorCode: ErrorCode.NONE, baseOffset: 2n }]);
  });

  it('still knows a retry after the partition is closed and reopened', async () => {
    h = shardHarness();
    h.open(0);
    const first = batch({ ...producer, baseSequence: 0, count: 4 });
    const retry = Buffer.from(first);
    await h.drain([{ slot: 0, records: first }]);
    expect(h.control({ op: 'close', slot: 0, deleteFiles: false }).errorCode).toBe(ErrorCode.NONE);
    h.open(0);
    expect(h.reader.highWatermark(0)).toBe(4n);
    expect(await h.drain([{ slot: 0, records: retry }])).toMatchObject([{ errorCode: ErrorCode.NONE, baseOffset: 0n, recordCount: 0 }]);
    expect(h.logs.get(0)!.logEndOffset).toBe(4n);
  });
});

describe('ShardCore describe-producers', () => {
  it('reports each idempotent producer with its epoch, last sequence and last append time; an unknown slot is UNKNOWN_TOPIC_OR_PARTITION', async () => {
    h = shardHarness();
    h.open(0);
    await h.drain([{ slot: 0, records: batch({ ...producer, baseSequence: 0, count: 3 }) }]);
    await h.drain([{ slot: 0, records: batch({ producerId: 7002n, producerEpoch: 4, baseSequence: 0, count: 1 }) }]);
    await h.drain([{ slot: 0, records: batch({ count: 2 }) }]);
    const c = h.control({ op: 'describe-producers', slot: 0 });
    expect(c.errorCode).toBe(ErrorCode.NONE);
    const producers = c.body!.producers!;
    expect(producers.map((p) => [p.producerId, p.producerEpoch, p.lastSequence])).toEqual([['7001', 0, 2], ['7002', 4, 0]]);
    expect(producers.every((p) => BigInt(p.lastTimestamp) > 0n)).toBe(true);
    expect(h.control({ op: 'describe-producers', slot: 9 }).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });
});
