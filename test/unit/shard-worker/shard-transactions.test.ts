// ShardCore's side of transactions (issue 13): markers are written as Kafka's control batches
// through the append path, the LSO is held at an ongoing transaction's first offset and moves when
// a marker ends it, ABORT markers fill the .txnindex, and the producer checks Kafka applies to
// markers and to batches around them; all of it survives a reopen, clean or not.
import { readFileSync, rmSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { readEndTxnMarker } from '../../../src/protocol/control-records.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { ATTRIBUTE_CONTROL, ATTRIBUTE_TRANSACTIONAL, readAttributes, readRecordCount, readBaseSequence, readProducerEpoch, readProducerId } from '../../../src/protocol/record-batch.ts';
import { cleanSegments } from '../../../src/segments/cleaner.ts';
import { decodeAbortedTxns } from '../../../src/segments/txn-index.ts';
import { buildRecordBatch } from '../../../src/protocol/records.ts';
import { recompressToTarget } from '../../../src/shard-worker/shard-options.ts';
import { START_WALL_MS, batch, shardHarness, type ShardHarness } from './shard-fixture.ts';

let h: ShardHarness;
afterEach(() => h.cleanup());

const txn = (producerId: bigint, baseSequence: number, count = 1, producerEpoch = 0): Buffer =>
  batch({ producerId, producerEpoch, baseSequence, count, transactional: true });

describe('ShardCore transaction markers and the LSO', () => {
  it('holds the LSO at the first offset of an ongoing transaction and moves it with the COMMIT marker', async () => {
    h = shardHarness();
    h.open(0);
    await h.drain([{ slot: 0, records: batch({ count: 2 }) }]);
    await h.drain([{ slot: 0, records: txn(10n, 0, 3) }]);
    await h.drain([{ slot: 0, records: batch({ count: 1 }) }]);
    expect(h.reader.highWatermark(0)).toBe(6n);
    expect(h.reader.lastStableOffset(0)).toBe(2n);
    const done = await h.marker(0, { producerId: 10n, producerEpoch: 0, coordinatorEpoch: 5, commit: true });
    expect(done).toMatchObject({ errorCode: ErrorCode.NONE, offset: 6n });
    expect(h.reader.highWatermark(0)).toBe(7n);
    expect(h.reader.lastStableOffset(0)).toBe(7n);
    // The marker is Kafka's control batch: transactional + control, base sequence -1, one record.
    const frames = h.logs.get(0)!.readAllSync();
    const marker = frames.at(-1)!;
    expect(readAttributes(marker, 0) & (ATTRIBUTE_CONTROL | ATTRIBUTE_TRANSACTIONAL)).toBe(ATTRIBUTE_CONTROL | ATTRIBUTE_TRANSACTIONAL);
    expect([readProducerId(marker, 0), readProducerEpoch(marker, 0), readBaseSequence(marker, 0)]).toEqual([10n, 0, -1]);
    expect(readEndTxnMarker(marker, 0)).toEqual({ commit: true, coordinatorEpoch: 5 });
    // Nothing aborted: no .txnindex.
    expect(h.logs.get(0)!.abortedTxns()).toEqual([]);
  });

  it('keeps the LSO at the oldest of two ongoing transactions, and indexes the aborted one', async () => {
    h = shardHarness();
    h.open(0);
    await h.drain([{ slot: 0, records: txn(1n, 0, 2) }, { slot: 0, records: txn(2n, 0, 2) }, { slot: 0, records: txn(1n, 2, 1) }]);
    expect(h.reader.lastStableOffset(0)).toBe(0n);
    expect(await h.marker(0, { producerId: 1n, producerEpoch: 0, coordinatorEpoch: 0, commit: false })).toMatchObject({ errorCode: ErrorCode.NONE, offset: 5n });
    // Producer 2's transaction (from offset 2) still holds the LSO.
    expect(h.reader.lastStableOffset(0)).toBe(2n);
    expect(h.logs.get(0)!.abortedTxns()).toEqual([{ producerId: 1n, firstOffset: 0n, lastOffset: 5n, lastStableOffset: 2n }]);
    await h.marker(0, { producerId: 2n, producerEpoch: 0, coordinatorEpoch: 0, commit: true });
    expect(h.reader.lastStableOffset(0)).toBe(7n);
    expect(h.reader.highWatermark(0)).toBe(7n);
  });

  it('writes a marker staged in the same drain as the transaction\'s last batch after it', async () => {
    h = shardHarness();
    h.open(0);
    const done = await h.marker(0, { producerId: 3n, producerEpoch: 0, coordinatorEpoch: 0, commit: true }, [{ slot: 0, records: txn(3n, 0, 4) }]);
    expect(done).toMatchObject({ errorCode: ErrorCode.NONE, offset: 4n });
    expect(h.reader.lastStableOffset(0)).toBe(5n);
  });

  it('fences: an older producer epoch, an older coordinator epoch, and later batches of the old epoch', async () => {
    h = shardHarness();
    h.open(0);
    await h.drain([{ slot: 0, records: txn(4n, 0, 1, 2) }]);
    expect(await h.marker(0, { producerId: 4n, producerEpoch: 1, coordinatorEpoch: 0, commit: false })).toMatchObject({ errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
    // The coordinator bumps the epoch when it aborts: the marker carries epoch 3.
    expect(await h.marker(0, { producerId: 4n, producerEpoch: 3, coordinatorEpoch: 7, commit: false })).toMatchObject({ errorCode: ErrorCode.NONE });
    expect(await h.marker(0, { producerId: 4n, producerEpoch: 3, coordinatorEpoch: 6, commit: false })).toMatchObject({ errorCode: ErrorCode.TRANSACTION_COORDINATOR_FENCED });
    const after = await h.drain([
      { slot: 0, records: txn(4n, 1, 1, 2) },
      { slot: 0, records: txn(4n, 5, 1, 3) },
      { slot: 0, records: txn(4n, 0, 1, 3) },
    ]);
    expect(after.map((c) => c.errorCode)).toEqual([ErrorCode.INVALID_PRODUCER_EPOCH, ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER, ErrorCode.NONE]);
  });

  it('refuses a non-transactional batch from a producer whose transaction is ongoing (INVALID_TXN_STATE)', async () => {
    h = shardHarness();
    h.open(0);
    await h.drain([{ slot: 0, records: txn(5n, 0, 1) }]);
    const [refused] = await h.drain([{ slot: 0, records: batch({ producerId: 5n, producerEpoch: 0, baseSequence: 1 }) }]);
    expect(refused!.errorCode).toBe(ErrorCode.INVALID_TXN_STATE);
  });

  it('answers a marker for a partition it does not own NOT_LEADER_OR_FOLLOWER', async () => {
    h = shardHarness();
    expect(await h.marker(3, { producerId: 1n, producerEpoch: 0, coordinatorEpoch: 0, commit: true })).toMatchObject({ errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER });
  });

  it('keeps an ongoing transaction (and its LSO) across a clean reopen and an unclean one, and rebuilds a deleted .txnindex', async () => {
    h = shardHarness();
    h.open(0);
    await h.drain([{ slot: 0, records: txn(6n, 0, 2) }, { slot: 0, records: txn(7n, 0, 1) }]);
    await h.marker(0, { producerId: 6n, producerEpoch: 0, coordinatorEpoch: 0, commit: false });
    await h.drain([{ slot: 0, records: batch({ count: 1 }) }]);
    expect(h.reader.lastStableOffset(0)).toBe(2n);
    const txnIndex = join(h.logs.get(0)!.partitionDir, '00000000000000000000.txnindex');
    const indexed = decodeAbortedTxns(readFileSync(txnIndex));
    expect(indexed).toEqual([{ producerId: 6n, firstOffset: 0n, lastOffset: 3n, lastStableOffset: 2n }]);

    // Clean: close and reopen from the snapshot.
    h.control({ op: 'close', slot: 0, deleteFiles: false });
    h.open(0);
    expect(h.reader.lastStableOffset(0)).toBe(2n);
    expect(h.reader.highWatermark(0)).toBe(5n);

    // Clean stop, but a .txnindex gone: the snapshot is not trusted, the log is replayed.
    h.control({ op: 'close', slot: 0, deleteFiles: false });
    rmSync(txnIndex);
    h.open(0);
    expect(decodeAbortedTxns(readFileSync(txnIndex))).toEqual(indexed);
    expect(h.reader.lastStableOffset(0)).toBe(2n);

    // Unclean: no snapshot, no clean-shutdown marker, no .txnindex.
    h.control({ op: 'close', slot: 0, deleteFiles: false });
    const dir = h.logs.get(0)!.partitionDir;
    for (const f of ['producer-state.json', 'clean-shutdown', '00000000000000000000.txnindex']) rmSync(join(dir, f), { force: true });
    h.open(0);
    expect(existsSync(txnIndex)).toBe(true);
    expect(decodeAbortedTxns(readFileSync(txnIndex))).toEqual(indexed);
    expect(h.reader.lastStableOffset(0)).toBe(2n);
    // The resumed transaction ends as any other.
    expect(await h.marker(0, { producerId: 7n, producerEpoch: 0, coordinatorEpoch: 0, commit: true })).toMatchObject({ errorCode: ErrorCode.NONE, offset: 5n });
    expect(h.reader.lastStableOffset(0)).toBe(6n);
  });
});

describe('ShardCore markers behind parked appends', () => {
  it('parks a marker behind a transactional batch still in the pool, so the marker lands after it', async () => {
    const gates: Array<() => void> = [];
    // The topic stores lz4: a gzip batch is rebuilt in the pool, and this pool waits for the test.
    h = shardHarness({
      recompress: async (b, t) => {
        await new Promise<void>((resolve) => gates.push(resolve));
        return recompressToTarget(b, t);
      },
    });
    h.open(0, { 'compression.type': 'lz4' });
    const gzipTxn = buildRecordBatch({
      baseTimestamp: START_WALL_MS, compression: 'gzip', producerId: 11n, producerEpoch: 0, baseSequence: 0, transactional: true,
      records: [{ key: Buffer.from('k'), value: Buffer.alloc(100, 1) }, { key: Buffer.from('k2'), value: Buffer.alloc(100, 2) }],
    });
    h.core.append(500, 0, 0, gzipTxn);
    h.core.control(501, { op: 'write-marker', slot: 0, producerId: 11n, producerEpoch: 0, coordinatorEpoch: 0, commit: true });
    h.core.writeStaged();
    await h.core.flush();
    h.core.commit();
    expect(h.sent.filter((c) => c.requestId >= 500)).toEqual([]);
    while (gates.length === 0) await new Promise((r) => setTimeout(r, 1));
    for (const g of gates.splice(0)) g();
    await h.core.nextPoolResult();
    h.core.applyParked();
    h.core.writeStaged();
    await h.core.flush();
    h.core.commit();
    const answers = h.sent.filter((c) => c.requestId >= 500);
    expect(answers.map((c) => [c.requestId, c.errorCode])).toEqual([[500, ErrorCode.NONE], [501, ErrorCode.NONE]]);
    expect((answers[1] as { offset: bigint }).offset).toBe(2n);
    expect(h.reader.lastStableOffset(0)).toBe(3n);
  });
});

describe('ShardCore cleaning a compacted partition with transactions', () => {
  it('removes the aborted records, keeps committed ones and the markers, swaps the .txnindex, never cleans past the LSO', async () => {
    let runs = 0;
    h = shardHarness({ cleaner: { enabled: true, backoffMs: 1_000, run: (job) => { runs++; return Promise.resolve({ result: cleanSegments(job), elapsedMs: 1 }); } } });
    h.open(0, { 'cleanup.policy': 'compact', 'segment.bytes': '300', 'min.cleanable.dirty.ratio': '0.01' });
    const keyedTxn = (producerId: bigint, seq: number, key: string, value: string) => buildRecordBatch({
      baseTimestamp: START_WALL_MS, producerId, producerEpoch: 0, baseSequence: seq, transactional: true, records: [{ key: Buffer.from(key), value: Buffer.from(value.padEnd(60, '.')) }],
    });
    const plainKeyed = (key: string) => buildRecordBatch({ baseTimestamp: START_WALL_MS, records: [{ key: Buffer.from(key), value: Buffer.alloc(60, 1) }] });
    await h.drain([{ slot: 0, records: keyedTxn(1n, 0, 'k', 'committed') }]); // 0
    await h.drain([{ slot: 0, records: keyedTxn(2n, 0, 'k', 'aborted') }]); // 1
    await h.marker(0, { producerId: 1n, producerEpoch: 0, coordinatorEpoch: 0, commit: true }); // 2
    await h.marker(0, { producerId: 2n, producerEpoch: 0, coordinatorEpoch: 0, commit: false }); // 3
    await h.drain([{ slot: 0, records: keyedTxn(3n, 0, 'open', 'open') }]); // 4: holds the LSO
    for (let i = 0; i < 6; i++) await h.drain([{ slot: 0, records: plainKeyed(`p${i}`) }]); // 5..10
    expect(h.reader.lastStableOffset(0)).toBe(4n);
    h.clock.advance(1_000);
    await h.core.housekeeping();
    expect(runs).toBe(1);
    await Promise.resolve();
    h.core.applyCleaned();
    const log = h.logs.get(0)!;
    const frames = log.readAllSync();
    const offsets = frames.map((f) => f.readBigInt64BE(0));
    // The aborted batch at 1 lost its record (its header stays: producer 2's last batch, Kafka's
    // RETAIN_EMPTY); 0 (committed 'k'), both markers and the open transaction stay whole.
    expect(offsets.slice(0, 5)).toEqual([0n, 1n, 2n, 3n, 4n]);
    expect(frames.slice(0, 5).map((f) => readRecordCount(f, 0))).toEqual([1, 0, 1, 1, 1]);
    // The ABORT's entry is still indexed (its batches were removed in this very pass).
    expect(log.abortedTxns()).toEqual([{ producerId: 2n, firstOffset: 1n, lastOffset: 3n, lastStableOffset: 4n }]);
    // The open transaction at 4 is past the cleanable range: its batch is untouched.
    expect(h.reader.lastStableOffset(0)).toBe(4n);
    expect(h.reader.highWatermark(0)).toBe(11n);
  });
});

describe('ShardCore refuses a marker it cannot build', () => {
  it('answers an out-of-range epoch with an error and keeps serving', async () => {
    h = shardHarness();
    h.open(0);
    const bad = await h.marker(0, { producerId: 1n, producerEpoch: 70_000, coordinatorEpoch: 0, commit: true });
    expect(bad.errorCode).not.toBe(ErrorCode.NONE);
    expect(await h.marker(0, { producerId: 1n, producerEpoch: 1, coordinatorEpoch: 0, commit: true })).toMatchObject({ errorCode: ErrorCode.NONE, offset: 0n });
  });
});
