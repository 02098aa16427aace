// ShardCore's control requests and timers: open publishes what recovery found, DeleteRecords moves
// the log start (64-bit offsets end to end), update-config and close, LogAppendTime and retention
// from the injected clock, and shutdown.
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { NO_OFFSET } from '../../../src/shared-mem/shard-messages.ts';
import { PARTITION_STATE_ONLINE, PARTITION_STATE_UNUSED } from '../../../src/shared-mem/watermarks.ts';
import { creationSyncsIdle, creationSyncsPending } from '../../../src/wal/creation-syncs.ts';
import { START_WALL_MS, batch, shardHarness, type ShardHarness } from './shard-fixture.ts';

let h: ShardHarness;
afterEach(() => h.cleanup());

describe('ShardCore control', () => {
  it('opens a partition online and reports the log end offset recovery found', async () => {
    h = shardHarness();
    expect(h.open(0)).toMatchObject({ errorCode: ErrorCode.NONE, offset: 0n });
    expect(h.reader.state(0)).toBe(PARTITION_STATE_ONLINE);
    await h.drain([{ slot: 0, records: batch({ count: 6 }) }]);
    expect(h.control({ op: 'close', slot: 0, deleteFiles: false })).toMatchObject({ errorCode: ErrorCode.NONE });
    expect(h.reader.state(0)).toBe(PARTITION_STATE_UNUSED);
    expect(h.open(0)).toMatchObject({ errorCode: ErrorCode.NONE, offset: 6n });
    expect(h.reader.readOffsets(0)).toMatchObject({ logStartOffset: 0n, lastStableOffset: 6n, highWatermark: 6n });
  });

  it('deletes records before an offset, up to the high watermark for -1, and refuses one past it', async () => {
    h = shardHarness();
    h.open(0, { 'segment.bytes': '400' });
    for (let i = 0; i < 6; i++) await h.drain([{ slot: 0, records: batch({ count: 2, valueBytes: 60 }) }]);
    expect(h.reader.highWatermark(0)).toBe(12n);
    expect(h.control({ op: 'delete-records', slot: 0, offset: 5n })).toMatchObject({ errorCode: ErrorCode.NONE, offset: 5n });
    expect(h.reader.logStartOffset(0)).toBe(5n);
    expect(h.control({ op: 'delete-records', slot: 0, offset: 13n })).toMatchObject({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, offset: NO_OFFSET });
    expect(h.control({ op: 'delete-records', slot: 0, offset: -1n })).toMatchObject({ errorCode: ErrorCode.NONE, offset: 12n });
    expect(h.reader.readOffsets(0)).toMatchObject({ logStartOffset: 12n, highWatermark: 12n });
    expect(h.control({ op: 'delete-records', slot: 9, offset: 0n })).toMatchObject({ errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION });
  });

  it('applies new settings from update-config to the next append', async () => {
    h = shardHarness();
    h.open(0);
    const big = batch({ count: 4, valueBytes: 200 });
    expect(await h.drain([{ slot: 0, records: Buffer.from(big) }])).toMatchObject([{ errorCode: ErrorCode.NONE }]);
    expect(h.control({ op: 'update-config', slot: 0, config: { 'max.message.bytes': '500' } }).errorCode).toBe(ErrorCode.NONE);
    expect(await h.drain([{ slot: 0, records: Buffer.from(big) }])).toMatchObject([{ errorCode: ErrorCode.MESSAGE_TOO_LARGE }]);
    expect(h.reader.highWatermark(0)).toBe(4n);
    expect(h.control({ op: 'update-config', slot: 7, config: {} }).errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  });

  it('stamps LogAppendTime from the clock', async () => {
    h = shardHarness();
    h.open(0, { 'message.timestamp.type': 'LogAppendTime' });
    h.clock.advance(12_345);
    const [c] = await h.drain([{ slot: 0, records: batch() }]);
    expect(c).toMatchObject({ errorCode: ErrorCode.NONE, logAppendTime: START_WALL_MS + 12_345n });
  });

  it('runs retention when the check is due on the clock, and publishes the new log start', async () => {
    h = shardHarness({ retentionCheckMs: 1_000 });
    h.open(0, { 'segment.bytes': '400', 'retention.ms': '60000' });
    for (let i = 0; i < 6; i++) await h.drain([{ slot: 0, records: batch({ count: 2, valueBytes: 60 }) }]);
    const epoch = h.reader.segmentEpoch(0);
    h.clock.advance(120_000);
    expect(h.core.nextWaitMs()).toBe(1);
    await h.core.housekeeping();
    expect(h.reader.logStartOffset(0)).toBeGreaterThan(0n);
    expect(h.reader.highWatermark(0)).toBe(12n);
    expect(h.reader.segmentEpoch(0)).toBeGreaterThan(epoch);
    expect(h.core.nextWaitMs()).toBe(1_000);
  });

  it('answers the opens of new partitions at once, and commits an append to one under fsync=always only once its files are synced', async () => {
    h = shardHarness({ fsync: { kind: 'always' } });
    await creationSyncsIdle();
    for (let slot = 0; slot < 12; slot++) expect(h.open(slot).errorCode).toBe(ErrorCode.NONE);
    // Every open is answered; the new partitions' directory and checkpoint syncs run off this loop.
    expect(creationSyncsPending()).toBeGreaterThan(0);
    expect(h.logs.get(11)!.creationPending).toBe(true);
    const [c] = await h.drain([{ slot: 11, records: batch({ count: 2 }) }]);
    expect(c).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0n });
    expect(h.logs.get(11)!.creationPending).toBe(false);
    expect(h.reader.highWatermark(11)).toBe(2n);
    await creationSyncsIdle();
  });

  it('past the turn\'s open budget queues opens, runs a slice per housekeeping, and opens a queued slot at once when it is addressed', async () => {
    h = shardHarness({ openBudgetMs: 0 });
    // With no budget every open queues (a real shard spends OPEN_BUDGET_MS first).
    for (let slot = 0; slot < 6; slot++) h.core.control(100 + slot, { op: 'open', slot, topic: 'orders', partition: slot, dir: '', config: {} });
    expect(h.core.queuedOpens).toBe(6);
    expect(h.core.nextWaitMs()).toBe(1);
    h.core.commit();
    expect(h.sent).toEqual([]);
    // An append to a queued slot opens it first, in the same drain.
    const [appended] = await h.drain([{ slot: 4, records: batch({ count: 3 }) }]);
    expect(appended).toMatchObject({ errorCode: ErrorCode.NONE, baseOffset: 0n });
    expect(h.sent.map((c) => c.requestId)).toEqual([104, expect.any(Number)]);
    expect(h.core.queuedOpens).toBe(5);
    // So does a control request for one.
    expect(h.control({ op: 'delete-records', slot: 2, offset: 0n })).toMatchObject({ errorCode: ErrorCode.NONE });
    expect(h.sent.some((c) => c.requestId === 102 && c.errorCode === ErrorCode.NONE)).toBe(true);
    // The rest open one housekeeping slice at a time (at least one per slice), answered at the next commit.
    while (h.core.queuedOpens > 0) {
      await h.core.housekeeping();
      h.core.commit();
    }
    expect(h.sent.filter((c) => c.requestId >= 100 && c.requestId < 106).map((c) => c.requestId).sort()).toEqual([100, 101, 102, 103, 104, 105]);
    for (let slot = 0; slot < 6; slot++) expect(h.reader.state(slot)).toBe(PARTITION_STATE_ONLINE);
    expect(h.reader.highWatermark(4)).toBe(3n);
    // A shutdown answers what is still queued rather than leaving it waiting.
    h.core.control(200, { op: 'open', slot: 7, topic: 'orders', partition: 7, dir: '', config: {} });
    expect(h.control({ op: 'shutdown' }).errorCode).toBe(ErrorCode.NONE);
    expect(h.sent.find((c) => c.requestId === 200)).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
    await creationSyncsIdle();
  });

  it('stops on shutdown', () => {
    h = shardHarness();
    expect(h.core.stopping).toBe(false);
    expect(h.control({ op: 'shutdown' }).errorCode).toBe(ErrorCode.NONE);
    expect(h.core.stopping).toBe(true);
  });
});
