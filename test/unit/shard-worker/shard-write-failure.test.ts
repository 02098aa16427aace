// ShardCore when a write fails (a real ENOSPC: the partition's active segment is /dev/full): the
// appends staged for it are answered KAFKA_STORAGE_ERROR, nothing staged is published, the log
// goes offline and says so in its slot's state word, and other partitions carry on.
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { PARTITION_STATE_OFFLINE, PARTITION_STATE_ONLINE } from '../../../src/shared-mem/watermarks.ts';
import { batch, shardHarness, type ShardHarness } from './shard-fixture.ts';

let h: ShardHarness;
afterEach(() => h.cleanup());

describe('ShardCore staged-write failure', () => {
  it('fails every append staged for the broken log, publishes none of them, and takes the partition offline', async () => {
    h = shardHarness();
    h.fullDisk.add(1);
    h.open(1);
    h.open(2);
    expect(h.reader.state(1)).toBe(PARTITION_STATE_ONLINE);
    const wake = h.reader.wakeWord(1);
    const producer = { producerId: 42n, producerEpoch: 0 };
    const failedBatch = batch({ ...producer, baseSequence: 0, count: 2 });
    const retry = Buffer.from(failedBatch);
    const completions = await h.drain([
      { slot: 1, records: failedBatch },
      { slot: 2, records: batch({ count: 3 }) },
      { slot: 1, records: batch({ count: 1 }) },
    ]);
    expect(completions.map((c) => c.errorCode)).toEqual([ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.NONE, ErrorCode.KAFKA_STORAGE_ERROR]);
    expect(completions[0]!.errorMessage).toMatch(/ENOSPC/);
    expect(completions[0]).toMatchObject({ baseOffset: -1n, recordCount: 0 });
    // Nothing of the failed partition became visible; the healthy one published as usual.
    expect(h.reader.readOffsets(1)).toMatchObject({ highWatermark: 0n, lastStableOffset: 0n });
    expect(h.reader.highWatermark(2)).toBe(3n);
    expect(h.reader.state(1)).toBe(PARTITION_STATE_OFFLINE);
    expect(h.reader.isOffline(1)).toBe(true);
    expect(h.reader.isOffline(2)).toBe(false);
    expect(h.reader.wakeWord(1)).toBeGreaterThan(wake);

    // Offline refuses before the duplicate check: the retry of a batch that never reached the
    // disk must not be answered as written.
    const [again] = await h.drain([{ slot: 1, records: retry }]);
    expect(again).toMatchObject({ errorCode: ErrorCode.KAFKA_STORAGE_ERROR, baseOffset: -1n });
    expect(again!.errorMessage).toMatch(/offline/);
    expect(h.reader.highWatermark(1)).toBe(0n);
  });

  it('fails a request whose stage hits the disk (a roll writes what was staged first), and the one staged before it', async () => {
    h = shardHarness();
    h.fullDisk.add(0);
    // Small segments: the second request makes the log roll, which writes the first one's batch.
    h.open(0, { 'segment.bytes': '300' });
    const completions = await h.drain([
      { slot: 0, records: batch({ count: 2, valueBytes: 100 }) },
      { slot: 0, records: batch({ count: 2, valueBytes: 100 }) },
    ]);
    expect(completions.map((c) => c.errorCode)).toEqual([ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.KAFKA_STORAGE_ERROR]);
    expect(h.reader.highWatermark(0)).toBe(0n);
    expect(h.reader.state(0)).toBe(PARTITION_STATE_OFFLINE);
    expect(h.logs.get(0)!.offline).toBe(true);
  });

  it('is back online, in its state word too, once the partition is reopened on a good disk', async () => {
    h = shardHarness();
    h.fullDisk.add(0);
    h.open(0);
    await h.drain([{ slot: 0, records: batch() }]);
    expect(h.reader.isOffline(0)).toBe(true);
    expect(h.control({ op: 'close', slot: 0, deleteFiles: true }).errorCode).toBe(ErrorCode.NONE);
    h.fullDisk.delete(0);
    h.open(0);
    expect(h.reader.isOffline(0)).toBe(false);
    expect(await h.drain([{ slot: 0, records: batch({ count: 2 }) }])).toMatchObject([{ errorCode: ErrorCode.NONE, baseOffset: 0n }]);
    expect(h.reader.highWatermark(0)).toBe(2n);
  });
});
