// The watermark table: slot layout, monotonic writers, the state word, and the main thread's waitForChange,
// woken from a real shard worker, on timeout, and without piling up waiters over many slots.
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_WATERMARK_CAPACITY, HIGH_WATERMARK_BYTE_OFFSET, PARTITION_STATE_OFFLINE, PARTITION_STATE_ONLINE,
  PARTITION_STATE_UNUSED, LOCAL_LOG_START_OFFSET_BYTE_OFFSET, STATE_BYTE_OFFSET, WAKE_WORD_BYTE_OFFSET, WATERMARK_SLOT_BYTES,
  PARTITION_STATE_RECOVERING, createWatermarkBuffer, WatermarkReader, WatermarkWriter,
} from '../../../src/shared-mem/watermarks.ts';

const workers: Worker[] = [];

/** A reader and a writer over one fresh table, as the main thread and the owning shard hold them. */
function tableOf(capacity: number): { reader: WatermarkReader; writer: WatermarkWriter } {
  const reader = WatermarkReader.create(capacity);
  return { reader, writer: new WatermarkWriter(reader.buffer) };
}
afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.terminate()));
});

function wakeWords(table: WatermarkReader, slots: readonly number[]): number[] {
  return slots.map((slot) => table.wakeWord(slot));
}

describe('watermark table layout', () => {
  it('is one 64-byte slot per partition, 4 MiB for the default 65,536 partitions', () => {
    expect(WATERMARK_SLOT_BYTES).toBe(64);
    expect(createWatermarkBuffer().byteLength).toBe(4 * 1024 * 1024);
    expect(new WatermarkReader(createWatermarkBuffer()).capacity).toBe(DEFAULT_WATERMARK_CAPACITY);
    expect(LOCAL_LOG_START_OFFSET_BYTE_OFFSET).toBeLessThanOrEqual(WATERMARK_SLOT_BYTES);
    expect(() => new WatermarkReader(new SharedArrayBuffer(100))).toThrow(RangeError);
    expect(() => new WatermarkWriter(new SharedArrayBuffer(100))).toThrow(RangeError);
  });

  it('keeps each slot in its own 64 bytes', () => {
    const { reader, writer } = tableOf(4);
    writer.publishHighWatermark(2, 0x0102030405060708n);
    writer.setState(2, PARTITION_STATE_ONLINE);
    const bytes = new Uint8Array(reader.buffer);
    const touched = [...bytes.keys()].filter((i) => bytes[i] !== 0);
    expect(Math.min(...touched)).toBeGreaterThanOrEqual(2 * 64);
    expect(Math.max(...touched)).toBeLessThan(3 * 64);
    const view = new DataView(reader.buffer);
    expect(view.getBigInt64(2 * 64 + HIGH_WATERMARK_BYTE_OFFSET, true)).toBe(0x0102030405060708n);
    expect(view.getInt32(2 * 64 + WAKE_WORD_BYTE_OFFSET, true)).toBe(2);
    expect(view.getInt32(2 * 64 + STATE_BYTE_OFFSET, true)).toBe(PARTITION_STATE_ONLINE);
  });

  it('refuses slots outside the table', () => {
    const { reader, writer } = tableOf(4);
    expect(() => reader.highWatermark(4)).toThrow(RangeError);
    expect(() => writer.publishHighWatermark(-1, 1n)).toThrow(RangeError);
    expect(() => reader.waitForChange([0, 9], [0, 0], 10)).toThrow(RangeError);
  });
});

describe('watermark table writers', () => {
  it('moves the high watermark only forwards, and wakes only on a real change', () => {
    const { reader, writer } = tableOf(4);
    writer.publishHighWatermark(1, 10n);
    const wake = reader.wakeWord(1);
    writer.publishHighWatermark(1, 10n);
    expect(reader.wakeWord(1)).toBe(wake);
    expect(() => writer.publishHighWatermark(1, 9n)).toThrow(/backwards/);
    expect(reader.highWatermark(1)).toBe(10n);
    writer.publishHighWatermark(1, 2n ** 62n);
    expect(reader.highWatermark(1)).toBe(2n ** 62n);
    expect(reader.wakeWord(1)).toBe(wake + 1);
  });

  it('keeps logStart <= LSO <= HWM and moves them forwards only', () => {
    const { reader, writer } = tableOf(4);
    writer.publishHighWatermark(0, 100n);
    writer.publishLastStableOffset(0, 80n);
    writer.publishLogStartOffset(0, 50n);
    expect(() => writer.publishLogStartOffset(0, 40n)).toThrow(/backwards/);
    expect(() => writer.publishLogStartOffset(0, 101n)).toThrow(/high watermark/);
    expect(() => writer.publishLastStableOffset(0, 79n)).toThrow(/backwards/);
    expect(() => writer.publishLastStableOffset(0, 101n)).toThrow(/high watermark/);
    expect(reader.readOffsets(0)).toEqual({ wakeWord: 3, logStartOffset: 50n, lastStableOffset: 80n, highWatermark: 100n });
  });

  it('keeps the local log start (tiered storage) forwards only and below the HWM; a reset sets it, to the log start when not given', () => {
    const { reader, writer } = tableOf(4);
    writer.publishHighWatermark(1, 100n);
    const word = reader.wakeWord(1);
    writer.publishLocalLogStartOffset(1, 60n);
    expect(reader.wakeWord(1)).toBe(word + 1);
    expect(() => writer.publishLocalLogStartOffset(1, 59n)).toThrow(/backwards/);
    expect(() => writer.publishLocalLogStartOffset(1, 101n)).toThrow(/high watermark/);
    expect(reader.localLogStartOffset(1)).toBe(60n);
    writer.resetForTruncation(1, { highWatermark: 100n, logStartOffset: 10n, lastStableOffset: 100n, logEndBytes: 0n, localLogStartOffset: 70n });
    expect([reader.logStartOffset(1), reader.localLogStartOffset(1)]).toEqual([10n, 70n]);
    writer.resetForTruncation(1, { highWatermark: 100n, logStartOffset: 20n, lastStableOffset: 100n, logEndBytes: 0n });
    expect(reader.localLogStartOffset(1)).toBe(20n);
  });

  it('moves backwards only through resetForTruncation, which also bumps the segment epoch', () => {
    const { reader, writer } = tableOf(4);
    writer.publishHighWatermark(3, 500n);
    writer.publishLogStartOffset(3, 100n);
    const epoch = reader.segmentEpoch(3);
    const wake = reader.wakeWord(3);
    writer.resetForTruncation(3, { highWatermark: 300n, logStartOffset: 0n, lastStableOffset: 300n, logEndBytes: 4096n });
    expect(reader.readOffsets(3)).toEqual({ wakeWord: wake + 1, logStartOffset: 0n, lastStableOffset: 300n, highWatermark: 300n });
    expect(reader.logEndBytes(3)).toBe(4096n);
    expect(reader.segmentEpoch(3)).toBe(epoch + 1);
    expect(() => writer.resetForTruncation(3, { highWatermark: 1n, logStartOffset: 2n, lastStableOffset: 1n, logEndBytes: 0n })).toThrow(RangeError);
  });

  it('bumps the segment epoch, sets the state, and records log end bytes', () => {
    const { reader, writer } = tableOf(2);
    expect(reader.state(1)).toBe(PARTITION_STATE_UNUSED);
    expect(writer.bumpSegmentEpoch(1)).toBe(1);
    expect(writer.bumpSegmentEpoch(1)).toBe(2);
    const wake = reader.wakeWord(1);
    writer.setState(1, PARTITION_STATE_OFFLINE);
    expect(reader.state(1)).toBe(PARTITION_STATE_OFFLINE);
    expect(reader.wakeWord(1)).toBe(wake + 1);
    writer.publishLogEndBytes(1, 1n << 40n);
    expect(reader.logEndBytes(1)).toBe(1n << 40n);
  });

  it('shows readers the state the owning shard set: offline only once it says so, online again after a reopen', async () => {
    const { reader, writer } = tableOf(4);
    expect(reader.isOffline(2)).toBe(false);
    writer.setState(2, PARTITION_STATE_RECOVERING);
    writer.setState(2, PARTITION_STATE_ONLINE);
    expect(reader.isOffline(2)).toBe(false);
    // A long poll on the partition answers as soon as it goes offline.
    const waiting = reader.waitForChange([2], wakeWords(reader, [2]), 5_000);
    writer.setState(2, PARTITION_STATE_OFFLINE);
    expect(await waiting).toBe('changed');
    expect(reader.isOffline(2)).toBe(true);
    expect(reader.isOffline(1)).toBe(false);
    writer.setState(2, PARTITION_STATE_ONLINE);
    expect(reader.isOffline(2)).toBe(false);
  });
});

describe('waitForChange', () => {
  it('resolves on a publish from the owning shard worker', async () => {
    const { reader } = tableOf(16);
    const worker = new Worker(new URL('./fixtures/watermark-publisher.ts', import.meta.url), { workerData: { watermarks: reader.buffer } });
    workers.push(worker);
    await once(worker, 'online');
    for (let round = 1; round <= 20; round++) {
      const slots = [1, 5, 9];
      const seen = wakeWords(reader, slots);
      // 'changed' (not 'timeout') is the proof that the publish woke the wait; no wall-clock bound.
      const waiting = reader.waitForChange(slots, seen, 30_000);
      const slot = slots[round % 3]!;
      worker.postMessage({ slot, highWatermark: BigInt(round) });
      expect(await waiting).toBe('changed');
      expect(reader.highWatermark(slot)).toBe(BigInt(round));
    }
    expect(reader.activeWaitCount()).toBe(0);
  });

  it('resolves on timeout when nothing changes', async () => {
    const { reader } = tableOf(8);
    const started = performance.now();
    expect(await reader.waitForChange([0, 1, 2], [0, 0, 0], 50)).toBe('timeout');
    expect(performance.now() - started).toBeGreaterThanOrEqual(45);
    expect(await reader.waitForChange([0], [0], 0)).toBe('timeout');
    expect(reader.activeWaitCount()).toBe(0);
  });

  it('never misses a change made between reading the wake word and starting to wait', async () => {
    const { reader, writer } = tableOf(8);
    const seen = wakeWords(reader, [2, 3]);
    writer.publishHighWatermark(3, 1n); // lands after the read, before the wait
    expect(await reader.waitForChange([2, 3], seen, 5_000)).toBe('changed');

    // Same, while a waiter armed by an earlier poll is still outstanding on the slot.
    const earlier = reader.waitForChange([4], wakeWords(reader, [4]), 5_000);
    const seenAgain = wakeWords(reader, [4]);
    writer.publishHighWatermark(4, 1n);
    expect(await reader.waitForChange([4], seenAgain, 5_000)).toBe('changed');
    expect(await earlier).toBe('changed');
  });

  it('wakes every poll waiting on the same slot', async () => {
    const { reader, writer } = tableOf(8);
    const polls = Array.from({ length: 10 }, () => reader.waitForChange([6], wakeWords(reader, [6]), 5_000));
    expect(reader.pendingWaitCount()).toBe(1);
    writer.publishHighWatermark(6, 7n);
    expect(await Promise.all(polls)).toEqual(Array(10).fill('changed'));
  });

  it('keeps at most one waiter per slot while a consumer long-polls 1,000 partitions over and over', async () => {
    const partitions = 1_000;
    const { reader } = tableOf(partitions);
    const worker = new Worker(new URL('./fixtures/watermark-publisher.ts', import.meta.url), { workerData: { watermarks: reader.buffer } });
    workers.push(worker);
    await once(worker, 'online');
    const slots = Array.from({ length: partitions }, (_, i) => i);
    let mostPending = 0;
    let changed = 0;
    // Every poll is answered early by a publish on one partition, so each leaves 999 waiters
    // behind. With one waitAsync per slot per poll these would pile up to ~200,000.
    for (let poll = 0; poll < 200; poll++) {
      const waiting = reader.waitForChange(slots, wakeWords(reader, slots), 5_000);
      mostPending = Math.max(mostPending, reader.pendingWaitCount());
      worker.postMessage({ slot: (poll * 7) % partitions, highWatermark: BigInt(poll + 1) * 10n });
      if ((await waiting) === 'changed') changed++;
    }
    expect(changed).toBe(200);
    expect(mostPending).toBeGreaterThanOrEqual(partitions - 1); // the polls really did wait on every slot
    expect(mostPending).toBeLessThanOrEqual(partitions);
    expect(reader.activeWaitCount()).toBe(0);

    // Abandoned waiters go at the next notify on their slot.
    const before = reader.pendingWaitCount();
    for (let slot = 0; slot < 100; slot++) {
      worker.postMessage({ slot, highWatermark: 1_000_000n + BigInt(slot) });
    }
    for (let i = 0; i < 50 && reader.pendingWaitCount() > before - 100; i++) await sleep(10);
    expect(reader.pendingWaitCount()).toBeLessThanOrEqual(before - 100);
  });

  it('checks its arguments', () => {
    const { reader } = tableOf(4);
    expect(() => reader.waitForChange([0, 1], [0], 10)).toThrow(RangeError);
  });
});
