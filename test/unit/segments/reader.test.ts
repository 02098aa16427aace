import { afterEach, describe, expect, it } from 'vitest';
import { logConfig, type LogConfig } from '../../../src/segments/log-config.ts';
import { PartitionReader, type PartitionVisibility, type ReadResult } from '../../../src/segments/reader.ts';
import { PartitionLog } from '../../../src/wal/partition-log.ts';
import { buildBatch, simpleBatch, silentLogger, tempDir } from './batch-fixture.ts';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function setup(overrides: Partial<LogConfig> = {}): { log: PartitionLog; reader: PartitionReader; visible: () => PartitionVisibility } {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const log = PartitionLog.open({ dir, topic: 'f', partition: 0, config: logConfig({ segmentBytes: 3000, indexIntervalBytes: 400, retentionMs: -1, ...overrides }), logger: silentLogger });
  const reader = PartitionReader.forPartition(dir, 'f', 0);
  cleanups.push(() => reader.close());
  cleanups.push(() => log.close());
  const visible = (): PartitionVisibility => ({ highWatermark: log.logEndOffset, logStartOffset: log.logStartOffset, segmentsVersion: log.segmentsVersion });
  return { log, reader, visible };
}

/** Splits a records blob into its batches' (baseOffset, lastOffset). */
function batchesIn(records: Buffer): Array<{ base: bigint; last: bigint }> {
  const out: Array<{ base: bigint; last: bigint }> = [];
  for (let at = 0; at < records.length; ) {
    const base = records.readBigInt64BE(at);
    out.push({ base, last: base + BigInt(records.readInt32BE(at + 23)) });
    at += records.readInt32BE(at + 8) + 12;
  }
  return out;
}

function ok(result: ReadResult): Extract<ReadResult, { records: Buffer }> {
  if ('error' in result) throw new Error(result.error);
  return result;
}

/** Batches of 1..5 records, so batch boundaries and index entries fall unevenly. */
function fill(log: PartitionLog, batches: number): Array<{ base: bigint; last: bigint }> {
  const written: Array<{ base: bigint; last: bigint }> = [];
  for (let i = 0; i < batches; i++) {
    const r = log.append(simpleBatch((i % 5) + 1, 40, 1_000_000n + BigInt(i) * 10n), 1n);
    written.push({ base: r.baseOffset, last: r.lastOffset });
  }
  return written;
}

describe('PartitionReader.read', () => {
  it('finds the batch containing every offset across several segments (index + scan)', async () => {
    const { log, visible } = setup();
    const written = fill(log, 80);
    expect(log.segmentCount).toBeGreaterThan(3);
    for (const batch of written) {
      for (let offset = batch.base; offset <= batch.last; offset++) {
        // A fresh reader each time exercises the index path, not the cursor cache.
        const reader = PartitionReader.forPartition(log.partitionDir.replace(/\/f-0$/, ''), 'f', 0);
        const result = ok(await reader.read(offset, 1, visible()));
        expect(batchesIn(result.records)).toEqual([batch]);
        expect(result.firstOffset).toBe(batch.base);
        expect(result.nextOffset).toBe(batch.last + 1n);
        await reader.close();
      }
    }
  });

  it('serves a sequential consumer every batch exactly once, bytes identical to the log', async () => {
    const { log, reader, visible } = setup();
    fill(log, 80);
    const expected = Buffer.concat(log.readAllSync());
    const received: Buffer[] = [];
    let offset = 0n;
    while (offset < log.logEndOffset) {
      const result = ok(await reader.read(offset, 700, visible()));
      expect(result.records.length).toBeGreaterThan(0);
      received.push(Buffer.from(result.records));
      offset = result.nextOffset;
    }
    expect(Buffer.concat(received).equals(expected)).toBe(true);
  });

  it('returns at most maxBytes of whole batches, but at least one batch', async () => {
    const { log, reader, visible } = setup({ segmentBytes: 1 << 20 });
    log.append(simpleBatch(3, 500), 1n);
    log.append(simpleBatch(1, 10), 1n);
    log.append(simpleBatch(1, 10), 1n);
    const big = ok(await reader.read(0n, 100, visible()));
    expect(batchesIn(big.records)).toEqual([{ base: 0n, last: 2n }]);
    const small = ok(await reader.read(3n, 100_000, visible()));
    expect(batchesIn(small.records).map((b) => b.base)).toEqual([3n, 4n]);
    const firstTwoBytes = simpleBatch(3, 500).length + simpleBatch(1, 10).length;
    const two = ok(await reader.read(0n, firstTwoBytes + 5, visible()));
    expect(batchesIn(two.records).map((b) => b.base)).toEqual([0n, 3n]);
  });

  it('never returns a batch at or past the high watermark it was given', async () => {
    const { log, reader, visible } = setup();
    const written = fill(log, 40);
    for (const hwmBatch of [written[5], written[17], written[39]]) {
      const hwm = hwmBatch.base;
      const seen: bigint[] = [];
      let offset = 0n;
      for (;;) {
        const result = ok(await reader.read(offset, 10_000, { ...visible(), highWatermark: hwm }));
        if (result.records.length === 0) break;
        for (const b of batchesIn(result.records)) {
          expect(b.base).toBeLessThan(hwm);
          seen.push(b.base);
        }
        offset = result.nextOffset;
      }
      expect(seen).toEqual(written.filter((b) => b.base < hwm).map((b) => b.base));
    }
  });

  it('answers empty at the HWM and OFFSET_OUT_OF_RANGE outside [logStartOffset, HWM]', async () => {
    const { log, reader, visible } = setup();
    fill(log, 10);
    const end = log.logEndOffset;
    expect(ok(await reader.read(end, 1000, visible())).records.length).toBe(0);
    expect(await reader.read(end + 1n, 1000, visible())).toEqual({ error: 'OFFSET_OUT_OF_RANGE' });
    log.deleteRecordsBefore(7n);
    expect(await reader.read(6n, 1000, visible())).toEqual({ error: 'OFFSET_OUT_OF_RANGE' });
    // Kafka returns the whole batch containing the start offset; the client skips below it.
    const atStart = ok(await reader.read(7n, 1, visible()));
    expect(atStart.firstOffset).toBeLessThanOrEqual(7n);
  });

  it('survives retention deleting segments under it: ENOENT becomes a re-list, then OUT_OF_RANGE', async () => {
    const { log, reader, visible } = setup({ retentionMs: 1000 });
    const written = fill(log, 80);
    const stale = visible();
    // Open a handle on a later segment so the reader has listed and cached state.
    ok(await reader.read(written[60].base, 100, stale));
    const retention = log.applyRetention(10n ** 15n);
    expect(retention.deletedSegments).toBeGreaterThan(0);
    // The caller's view may lag one request behind: same old version and start offset.
    expect(await reader.read(written[1].base, 100, stale)).toEqual({ error: 'OFFSET_OUT_OF_RANGE' });
    const tail = ok(await reader.read(log.logStartOffset, 100_000, stale));
    expect(tail.firstOffset).toBe(log.logStartOffset);
    expect(tail.nextOffset).toBe(log.logEndOffset);
  });

  it('follows rolls made after its listing without being told the new segments version', async () => {
    const { log, reader, visible } = setup();
    fill(log, 5);
    const early = visible();
    ok(await reader.read(0n, 100, early));
    fill(log, 60);
    let offset = 0n;
    let batches = 0;
    while (offset < log.logEndOffset) {
      const result = ok(await reader.read(offset, 5000, { ...visible(), segmentsVersion: early.segmentsVersion }));
      batches += batchesIn(result.records).length;
      offset = result.nextOffset;
    }
    expect(batches).toBe(65);
  });

  it('concurrent appends and reads: the reader never sees past the HWM it is handed', async () => {
    const { log, reader } = setup({ segmentBytes: 8000 });
    let published = 0n;
    let offset = 0n;
    let appended = 0;
    const writer = (async () => {
      for (let i = 0; i < 300; i++) {
        const r = log.appendMany([simpleBatch((i % 4) + 1, 64), simpleBatch(2, 64)], 1n);
        appended += r.length;
        // Publish only some of what is on disk: the rest is "unflushed" from the reader's view.
        published = r[0].lastOffset + 1n;
        if (i % 3 === 0) await new Promise((resolve) => setImmediate(resolve));
      }
      published = log.logEndOffset;
    })();
    let received = 0;
    const consumer = (async () => {
      while (offset < 2_000n) {
        const hwm = published;
        const result = ok(await reader.read(offset, 3000, { highWatermark: hwm, logStartOffset: 0n, segmentsVersion: log.segmentsVersion }));
        for (const b of batchesIn(result.records)) {
          expect(b.base).toBe(offset);
          expect(b.base).toBeLessThan(hwm);
          offset = b.last + 1n;
          received++;
        }
        if (result.records.length === 0) {
          if (offset === log.logEndOffset && published === log.logEndOffset) break;
          await new Promise((resolve) => setImmediate(resolve));
        }
      }
    })();
    await Promise.all([writer, consumer]);
    expect(received).toBe(appended);
  });
});

describe('PartitionReader timestamps', () => {
  it('offsetForTimestamp finds the first record at or after a timestamp, across segments', async () => {
    const { log, reader, visible } = setup();
    // Batch i: 3 records at 10_000 + 100 i + {0, 1, 2}.
    for (let i = 0; i < 60; i++) {
      log.append(buildBatch([{ value: Buffer.alloc(50) }, { value: Buffer.alloc(50), timestampDelta: 1 }, { value: Buffer.alloc(50), timestampDelta: 2 }], 10_000n + BigInt(i) * 100n), 1n);
    }
    expect(await reader.offsetForTimestamp(0n, visible())).toEqual({ offset: 0n, timestamp: 10_000n, leaderEpoch: -1 });
    expect(await reader.offsetForTimestamp(10_000n + 4200n + 1n, visible())).toEqual({ offset: 42n * 3n + 1n, timestamp: 14_201n, leaderEpoch: -1 });
    expect(await reader.offsetForTimestamp(10_000n + 4200n + 3n, visible())).toEqual({ offset: 43n * 3n, timestamp: 14_300n, leaderEpoch: -1 });
    expect(await reader.offsetForTimestamp(10_000n + 5902n, visible())).toEqual({ offset: 179n, timestamp: 15_902n, leaderEpoch: -1 });
    expect(await reader.offsetForTimestamp(10_000n + 5903n, visible())).toBeNull();
    // Not past the HWM.
    expect(await reader.offsetForTimestamp(14_300n, { ...visible(), highWatermark: 129n })).toBeNull();
  });

  it('offsetForTimestamp answers a compressed batch by its baseOffset (records are not decompressed)', async () => {
    const { log, reader, visible } = setup();
    log.append(buildBatch([{ value: Buffer.alloc(50) }, { value: Buffer.alloc(50), timestampDelta: 7 }], 20_000n, 'gzip'), 1n);
    expect(await reader.offsetForTimestamp(20_005n, visible())).toEqual({ offset: 0n, timestamp: 20_007n, leaderEpoch: -1 });
  });

  it('maxTimestamp answers the largest timestamp below the HWM and its first record', async () => {
    const { log, reader, visible } = setup();
    const stamps = [5_000n, 9_000n, 7_000n, 9_500n, 1_000n, 3_000n];
    for (let round = 0; round < 10; round++) {
      for (const ts of stamps) log.append(buildBatch([{ value: Buffer.alloc(60) }, { value: Buffer.alloc(60), timestampDelta: 5 }], ts + BigInt(round)), 1n);
    }
    // The largest is round 9's 9_500 batch: base 2 * (9 * 6 + 3) = 114, its second record at +5.
    expect(await reader.maxTimestamp(visible())).toEqual({ offset: 115n, timestamp: 9_514n, leaderEpoch: -1 });
    // With the HWM before that batch, the answer is round 8's 9_500 batch (offset 2 * 51 + 1).
    expect(await reader.maxTimestamp({ ...visible(), highWatermark: 114n })).toEqual({ offset: 103n, timestamp: 9_513n, leaderEpoch: -1 });
    expect(await reader.maxTimestamp({ ...visible(), highWatermark: 0n })).toBeNull();
  });
});
