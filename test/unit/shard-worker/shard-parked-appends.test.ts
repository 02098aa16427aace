// ShardCore rebuilds batches of another codec than the topic's compression.type off its thread and
// parks later appends of the same partition behind them: offsets follow arrival order, idempotent
// retries are answered in order, and other partitions are not held up. A compressed batch stored as
// sent is checked in place, and a bad one is refused while the next good one lands.
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { recompressToTarget } from '../../../src/shard-worker/shard-options.ts';
import type { CompressionTarget } from '../../../src/shard-worker/parked-appends.ts';
import type { Recompressed } from '../../../src/protocol/recompress.ts';
import { buildRecordBatch, decodeRecordBatch } from '../../../src/protocol/records.ts';
import type { AppendCompletion } from '../../../src/shared-mem/shard-messages.ts';
import { BAD_BATCHES } from '../../differential/cases/data-path.ts';
import { START_WALL_MS, batch, shardHarness, type ShardHarness } from './shard-fixture.ts';

let h: ShardHarness;
const LZ4_TOPIC = { 'compression.type': 'lz4' };
afterEach(() => h.cleanup());

function gzipBatch(count: number, o: { producerId?: bigint; baseSequence?: number } = {}): Buffer {
  return buildRecordBatch({
    baseTimestamp: START_WALL_MS, compression: 'gzip', producerId: o.producerId, producerEpoch: o.producerId === undefined ? undefined : 0, baseSequence: o.baseSequence,
    records: Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`z${i}`), value: Buffer.alloc(200, i) })),
  });
}

/** A recompressor whose answers wait until the test releases them, so a batch stays in the "pool". */
function gatedRecompressor(): { recompress: (b: Buffer, t: CompressionTarget) => Promise<Recompressed>; release: () => void; waiting: () => number } {
  const gates: Array<() => void> = [];
  return {
    recompress: async (b, t) => {
      await new Promise<void>((resolve) => gates.push(resolve));
      return recompressToTarget(b, t);
    },
    release: () => { for (const g of gates.splice(0)) g(); },
    waiting: () => gates.length,
  };
}

let nextId = 1000;
/** One drain of the worker's loop, without waiting for the pool: returns the completions it sent. */
async function drainNow(appends: Array<{ slot: number; records: Buffer }>): Promise<Array<AppendCompletion & { requestId: number }>> {
  const first = h.sent.length;
  for (const a of appends) h.core.append(nextId++, a.slot, 0, a.records);
  h.core.writeStaged();
  await h.core.flush();
  h.core.commit();
  return h.sent.slice(first) as Array<AppendCompletion & { requestId: number }>;
}

/** Until nothing is parked: waits for the pool, then applies, writes, syncs and commits, as the worker's loop does. */
async function applyResults(): Promise<Array<AppendCompletion & { requestId: number }>> {
  const first = h.sent.length;
  while (h.core.parkedAppends > 0) {
    await h.core.nextPoolResult();
    h.core.applyParked();
    h.core.writeStaged();
    await h.core.flush();
    h.core.commit();
  }
  return h.sent.slice(first) as Array<AppendCompletion & { requestId: number }>;
}

function storedOffsets(slot: number): Array<[bigint, string]> {
  const out: Array<[bigint, string]> = [];
  h.logs.get(slot)!.forEachBatchSync(0n, (frame) => {
    const b = decodeRecordBatch(Buffer.from(frame));
    out.push([b.baseOffset, b.compression]);
  });
  return out;
}

describe('ShardCore parked appends', () => {
  it('keeps arrival order: a compressed batch then an uncompressed one for the same partition', async () => {
    const gate = gatedRecompressor();
    h = shardHarness({ recompress: gate.recompress });
    h.open(0, LZ4_TOPIC);
    expect(await drainNow([{ slot: 0, records: gzipBatch(4) }])).toEqual([]);
    // The later uncompressed append parks behind it: nothing is answered, nothing written.
    expect(await drainNow([{ slot: 0, records: batch({ count: 2 }) }])).toEqual([]);
    expect(h.core.parkedAppends).toBe(2);
    expect(h.reader.highWatermark(0)).toBe(0n);
    gate.release();
    const done = await applyResults();
    expect(done.map((c) => [c.errorCode, c.baseOffset])).toEqual([[ErrorCode.NONE, 0n], [ErrorCode.NONE, 4n]]);
    expect(storedOffsets(0)).toEqual([[0n, 'lz4'], [4n, 'lz4']]);
    expect(h.reader.highWatermark(0)).toBe(6n);
    expect(h.core.parkedAppends).toBe(0);
  });

  it('refuses a bad compressed batch as Kafka does and the next good one lands', async () => {
    h = shardHarness();
    h.open(0);
    const done = await h.drain([{ slot: 0, records: BAD_BATCHES['fake-gzip']!() }, { slot: 0, records: batch({ count: 3 }) }, { slot: 0, records: gzipBatch(2) }]);
    expect(done.map((c) => [c.errorCode, c.baseOffset])).toEqual([[ErrorCode.UNKNOWN_SERVER_ERROR, -1n], [ErrorCode.NONE, 0n], [ErrorCode.NONE, 3n]]);
    expect(done[0]!.logStartOffset).toBe(0n);
    expect(storedOffsets(0)).toEqual([[0n, 'none'], [3n, 'gzip']]);
  });

  it('runs the idempotent sequence checks in arrival order, a retry answered with the original offsets', async () => {
    const gate = gatedRecompressor();
    h = shardHarness({ recompress: gate.recompress });
    h.open(0, LZ4_TOPIC);
    const first = gzipBatch(3, { producerId: 7n, baseSequence: 0 });
    await drainNow([{ slot: 0, records: first }, { slot: 0, records: first }, { slot: 0, records: gzipBatch(2, { producerId: 7n, baseSequence: 3 }) }]);
    expect(gate.waiting()).toBe(3);
    gate.release();
    const done = await applyResults();
    expect(done.map((c) => [c.errorCode, c.baseOffset])).toEqual([[ErrorCode.NONE, 0n], [ErrorCode.NONE, 0n], [ErrorCode.NONE, 3n]]);
    expect(storedOffsets(0)).toEqual([[0n, 'lz4'], [3n, 'lz4']]);
  });

  it('does not hold up another partition while one waits for the pool', async () => {
    const gate = gatedRecompressor();
    h = shardHarness({ recompress: gate.recompress });
    h.open(0, LZ4_TOPIC);
    h.open(1);
    const done = await drainNow([{ slot: 0, records: gzipBatch(2) }, { slot: 1, records: batch({ count: 1 }) }]);
    expect(done.map((c) => [c.errorCode, c.baseOffset])).toEqual([[ErrorCode.NONE, 0n]]);
    expect(h.reader.highWatermark(1)).toBe(1n);
    gate.release();
    expect((await applyResults()).map((c) => c.baseOffset)).toEqual([0n]);
  });

  it('answers a parked append NOT_LEADER_OR_FOLLOWER when its partition is closed meanwhile', async () => {
    const gate = gatedRecompressor();
    h = shardHarness({ recompress: gate.recompress });
    h.open(0, LZ4_TOPIC);
    await drainNow([{ slot: 0, records: gzipBatch(2) }]);
    h.control({ op: 'close', slot: 0, deleteFiles: false });
    gate.release();
    expect((await applyResults()).map((c) => c.errorCode)).toEqual([ErrorCode.NOT_LEADER_OR_FOLLOWER]);
  });

  it('rebuilds every batch of another codec with the topic compression.type, in arrival order', async () => {
    h = shardHarness();
    h.open(0, { 'compression.type': 'lz4' });
    const lz4 = buildRecordBatch({ baseTimestamp: START_WALL_MS, compression: 'lz4', records: [{ key: null, value: Buffer.from('as sent') }] });
    const done = await h.drain([{ slot: 0, records: gzipBatch(3) }, { slot: 0, records: batch({ count: 2 }) }, { slot: 0, records: lz4 }]);
    expect(done.map((c) => [c.errorCode, c.baseOffset])).toEqual([[ErrorCode.NONE, 0n], [ErrorCode.NONE, 3n], [ErrorCode.NONE, 5n]]);
    expect(storedOffsets(0)).toEqual([[0n, 'lz4'], [3n, 'lz4'], [5n, 'lz4']]);
    const keys: Array<[bigint, string | null]> = [];
    h.logs.get(0)!.forEachBatchSync(0n, (frame) => {
      for (const r of decodeRecordBatch(Buffer.from(frame)).records) keys.push([r.offset, r.key?.toString() ?? null]);
    });
    expect(keys).toEqual([[0n, 'z0'], [1n, 'z1'], [2n, 'z2'], [3n, null], [4n, null], [5n, null]]);
  });

  it('stores batches as they came under compression.type producer, and rebuilds to none under uncompressed', async () => {
    h = shardHarness();
    h.open(0);
    h.open(1, { 'compression.type': 'uncompressed' });
    await h.drain([{ slot: 0, records: gzipBatch(2) }, { slot: 1, records: gzipBatch(2) }, { slot: 1, records: batch({ count: 1 }) }]);
    expect(storedOffsets(0)).toEqual([[0n, 'gzip']]);
    expect(storedOffsets(1)).toEqual([[0n, 'none'], [2n, 'none']]);
  });
});
