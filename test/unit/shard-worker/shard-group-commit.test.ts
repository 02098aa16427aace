// ShardCore's group commit: a drain's batches are written before the ring space is released, synced
// together when the policy asks, and only then published; completions follow, in request order.
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { APPEND_FLAG_FORCE_SYNC } from '../../../src/shared-mem/shard-messages.ts';
import { FDATASYNCS, GROUP_SYNCS } from '../../../src/shared-mem/shard-stats.ts';
import { batch, shardHarness, type ShardHarness } from './shard-fixture.ts';

let h: ShardHarness;
afterEach(() => h.cleanup());

describe('ShardCore group commit', () => {
  it('under fsync=always writes at writeStaged, syncs at flush, and publishes only at commit, before completing', async () => {
    h = shardHarness({ fsync: { kind: 'always' } });
    h.open(0);
    h.open(1);
    const opened = h.sent.length;
    const seen: Array<{ requestId: number; hwm0: bigint; hwm1: bigint; dirty: boolean }> = [];
    h.onSend = (c) => seen.push({
      requestId: c.requestId, hwm0: h.reader.highWatermark(0), hwm1: h.reader.highWatermark(1),
      dirty: h.logs.get(0)!.dirty || h.logs.get(1)!.dirty,
    });
    h.core.append(101, 0, 0, batch({ count: 2 }));
    h.core.append(102, 1, 0, batch({ count: 5 }));
    h.core.append(103, 0, 0, batch({ count: 3 }));
    expect(h.logs.get(0)!.hasStaged).toBe(true);

    h.core.writeStaged();
    // Written (one write per partition), not yet synced, not yet visible, nobody answered.
    expect(h.logs.get(0)!.hasStaged).toBe(false);
    expect(h.logs.get(0)!.logEndOffset).toBe(5n);
    expect(h.logs.get(0)!.dirty).toBe(true);
    expect(h.reader.highWatermark(0)).toBe(0n);
    expect(h.sent).toHaveLength(opened);

    await h.core.flush();
    expect(h.logs.get(0)!.dirty || h.logs.get(1)!.dirty).toBe(false);
    expect(h.stats.read(GROUP_SYNCS)).toBe(1n);
    expect(h.stats.read(FDATASYNCS)).toBe(2n);
    expect(h.reader.highWatermark(0)).toBe(0n);
    expect(h.sent).toHaveLength(opened);

    h.core.commit();
    // Every completion went out after the sync and after both partitions were published.
    expect(seen).toEqual([
      { requestId: 101, hwm0: 5n, hwm1: 5n, dirty: false },
      { requestId: 102, hwm0: 5n, hwm1: 5n, dirty: false },
      { requestId: 103, hwm0: 5n, hwm1: 5n, dirty: false },
    ]);
    expect(h.sent.slice(opened).map((c) => [c.errorCode, c.type === 1 ? c.baseOffset : null])).toEqual([[ErrorCode.NONE, 0n], [ErrorCode.NONE, 0n], [ErrorCode.NONE, 2n]]);
  });

  it('under fsync=never publishes and completes without syncing, unless an append forces the sync', async () => {
    h = shardHarness({ fsync: { kind: 'never' } });
    h.open(0);
    const dirtyAtSend: boolean[] = [];
    h.onSend = () => dirtyAtSend.push(h.logs.get(0)!.dirty);
    await h.drain([{ slot: 0, records: batch({ count: 2 }) }]);
    expect(h.reader.highWatermark(0)).toBe(2n);
    expect(dirtyAtSend).toEqual([true]);
    expect(h.stats.read(GROUP_SYNCS)).toBe(0n);

    // A metadata write asks for the sync whatever the policy; it covers the whole drain.
    await h.drain([{ slot: 0, records: batch() }, { slot: 0, records: batch(), flags: APPEND_FLAG_FORCE_SYNC }]);
    expect(dirtyAtSend.slice(1)).toEqual([false, false]);
    expect(h.stats.read(GROUP_SYNCS)).toBe(1n);
    // The force applies to its own drain only.
    await h.drain([{ slot: 0, records: batch() }]);
    expect(dirtyAtSend.at(-1)).toBe(true);
  });

  it('under fsync=interval syncs dirty logs from housekeeping once the interval has passed on the clock', async () => {
    h = shardHarness({ fsync: { kind: 'interval', intervalMs: 50 }, retentionCheckMs: 60_000 });
    h.open(0);
    await h.drain([{ slot: 0, records: batch() }]);
    expect(h.logs.get(0)!.dirty).toBe(true);
    expect(h.core.nextWaitMs()).toBe(50);
    h.clock.advance(20);
    await h.core.housekeeping();
    expect(h.logs.get(0)!.dirty).toBe(true);
    expect(h.core.nextWaitMs()).toBe(30);
    h.clock.advance(30);
    await h.core.housekeeping();
    expect(h.logs.get(0)!.dirty).toBe(false);
    expect(h.stats.read(GROUP_SYNCS)).toBe(1n);
  });
});
