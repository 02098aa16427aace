// ShardCore's pipelined group commit: while one commit's fdatasyncs are in flight the next drains are
// written, but nothing of them is published or answered before their own sync; commits finish in
// order; a failed sync fails every answer about that partition in its commit and behind it, and
// publishes none of them. Syncs are held (or failed) by the PartitionLog's test hook; the disk is real.
import { afterEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { MESSAGE_APPEND } from '../../../src/shared-mem/shard-messages.ts';
import { PARTITION_STATE_OFFLINE, PARTITION_STATE_ONLINE } from '../../../src/shared-mem/watermarks.ts';
import { setSyncFaultForTests, type PartitionLog } from '../../../src/wal/partition-log.ts';
import { batch, shardHarness, type Completion, type ShardHarness } from './shard-fixture.ts';

let h: ShardHarness;
afterEach(() => {
  setSyncFaultForTests(undefined);
  h.cleanup();
});

/** Holds every sync until release(); a sync of a partition in `failing` then fails (EIO) instead of running. */
function holdSyncs(): { release(): void; failing: Set<number>; calls(): number } {
  let waiting: Array<() => void> = [];
  let calls = 0;
  const failing = new Set<number>();
  setSyncFaultForTests(async (log: PartitionLog) => {
    calls++;
    await new Promise<void>((resolve) => waiting.push(resolve));
    if (failing.has(log.partition)) throw Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });
  });
  return {
    failing,
    calls: () => calls,
    release() {
      const now = waiting;
      waiting = [];
      for (const resolve of now) resolve();
    },
  };
}

const appendsSent = (from: number): Array<Completion & { type: typeof MESSAGE_APPEND }> =>
  h.sent.slice(from).filter((c): c is Completion & { type: typeof MESSAGE_APPEND } => c.type === MESSAGE_APPEND);

/** One drain as the worker runs it: appends, the write, then the commit step (seal and sync unless one is in flight). */
function drainWritten(appends: Array<{ requestId: number; slot: number; records: Buffer }>): void {
  for (const a of appends) h.core.append(a.requestId, a.slot, 0, a.records);
  h.core.writeStaged();
  h.core.startCommit();
}

async function settleAndCommit(): Promise<void> {
  await h.core.nextCommitSettled();
  h.core.commit();
}

describe('ShardCore pipelined group commit', () => {
  it('writes the next drain under a sync in flight but publishes and answers it only after its own sync, in order', async () => {
    h = shardHarness({ fsync: { kind: 'always' } });
    h.open(0);
    h.open(1);
    const opened = h.sent.length;
    const syncs = holdSyncs();
    const seen: Array<{ requestId: number; hwm0: bigint; hwm1: bigint }> = [];
    h.onSend = (c) => seen.push({ requestId: c.requestId, hwm0: h.reader.highWatermark(0), hwm1: h.reader.highWatermark(1) });

    drainWritten([{ requestId: 101, slot: 0, records: batch({ count: 2 }) }]);
    expect(h.core.syncsInFlight).toBe(1);
    // Drain N+1 arrives while N's sync is held: it is written (one write per partition) ...
    drainWritten([{ requestId: 102, slot: 0, records: batch({ count: 3 }) }, { requestId: 103, slot: 1, records: batch({ count: 4 }) }]);
    expect(h.logs.get(0)!.logEndOffset).toBe(5n);
    expect(h.logs.get(1)!.logEndOffset).toBe(4n);
    // ... but not sealed into a second sync (depth 1), not published, not answered.
    expect(h.core.syncsInFlight).toBe(1);
    expect(h.reader.highWatermark(0)).toBe(0n);
    expect(h.reader.highWatermark(1)).toBe(0n);
    expect(h.sent).toHaveLength(opened);

    syncs.release();
    await settleAndCommit();
    // N only: its own end (2), not the 5 written behind it.
    expect(seen).toEqual([{ requestId: 101, hwm0: 2n, hwm1: 0n }]);
    expect(h.reader.highWatermark(0)).toBe(2n);
    expect(h.logs.get(0)!.dirty).toBe(true);

    // The moment N is done, N+1 is sealed and its sync starts.
    h.core.startCommit();
    expect(h.core.syncsInFlight).toBe(1);
    await new Promise((resolve) => setImmediate(resolve));
    // One sync for N (partition 0), then one per partition of N+1.
    expect(syncs.calls()).toBe(3);
    expect(h.sent).toHaveLength(opened + 1);
    syncs.release();
    await settleAndCommit();
    expect(seen.slice(1)).toEqual([{ requestId: 102, hwm0: 5n, hwm1: 4n }, { requestId: 103, hwm0: 5n, hwm1: 4n }]);
    expect(appendsSent(opened).map((c) => [c.requestId, c.errorCode, c.baseOffset])).toEqual([[101, ErrorCode.NONE, 0n], [102, ErrorCode.NONE, 2n], [103, ErrorCode.NONE, 0n]]);
    expect(h.logs.get(0)!.dirty || h.logs.get(1)!.dirty).toBe(false);
  });

  it('with depth 2 seals the drain behind a sync into a second sync, and still finishes them in order', async () => {
    h = shardHarness({ fsync: { kind: 'always' } });
    h.open(0);
    const opened = h.sent.length;
    const syncs = holdSyncs();
    h.core.append(1, 0, 0, batch({ count: 2 }));
    h.core.writeStaged();
    h.core.startCommit(2);
    h.core.append(2, 0, 0, batch({ count: 1 }));
    h.core.writeStaged();
    h.core.startCommit(2);
    expect(h.core.syncsInFlight).toBe(2);
    await new Promise((resolve) => setImmediate(resolve));
    syncs.release();
    await h.core.flush();
    h.core.commit();
    expect(appendsSent(opened).map((c) => [c.requestId, c.baseOffset])).toEqual([[1, 0n], [2, 2n]]);
    expect(h.reader.highWatermark(0)).toBe(3n);
  });

  it('answers a retried batch whose original is in the sync in flight only after that sync, with the original offsets', async () => {
    h = shardHarness({ fsync: { kind: 'always' } });
    h.open(0);
    const opened = h.sent.length;
    const syncs = holdSyncs();
    const original = batch({ producerId: 7n, producerEpoch: 0, baseSequence: 0, count: 3 });
    const retry = Buffer.from(original);
    drainWritten([{ requestId: 1, slot: 0, records: original }]);
    drainWritten([{ requestId: 2, slot: 0, records: retry }]);
    expect(h.sent).toHaveLength(opened);
    syncs.release();
    await settleAndCommit();
    h.core.startCommit();
    h.core.commit();
    expect(appendsSent(opened).map((c) => [c.requestId, c.errorCode, c.baseOffset])).toEqual([[1, ErrorCode.NONE, 0n], [2, ErrorCode.NONE, 0n]]);
    expect(h.logs.get(0)!.logEndOffset).toBe(3n);
  });

  it('a failed sync fails its answers and every answer behind it about that partition, publishes none of them, and takes the partition offline', async () => {
    h = shardHarness({ fsync: { kind: 'always' } });
    h.open(0);
    h.open(1);
    await h.drain([{ slot: 0, records: batch({ count: 1 }) }]);
    expect(h.reader.highWatermark(0)).toBe(1n);
    const opened = h.sent.length;
    const syncs = holdSyncs();
    syncs.failing.add(0);
    const producer = { producerId: 42n, producerEpoch: 0 };
    const first = batch({ ...producer, baseSequence: 0, count: 2 });
    const retryOfFirst = Buffer.from(first);
    drainWritten([{ requestId: 201, slot: 0, records: first }, { requestId: 202, slot: 1, records: batch({ count: 3 }) }]);
    // Written behind the sync that is going to fail: a new batch, another partition's, and a retry
    // of the first batch, which producer state answers as a duplicate.
    drainWritten([
      { requestId: 203, slot: 0, records: batch({ ...producer, baseSequence: 2, count: 1 }) },
      { requestId: 204, slot: 1, records: batch({ count: 1 }) },
      { requestId: 205, slot: 0, records: retryOfFirst },
    ]);
    syncs.release();
    await settleAndCommit();
    expect(appendsSent(opened).map((c) => [c.requestId, c.errorCode])).toEqual([[201, ErrorCode.KAFKA_STORAGE_ERROR], [202, ErrorCode.NONE]]);
    expect(appendsSent(opened)[0]!.errorMessage).toMatch(/EIO/);
    expect(h.reader.highWatermark(0)).toBe(1n);
    expect(h.reader.highWatermark(1)).toBe(3n);
    expect(h.reader.state(0)).toBe(PARTITION_STATE_OFFLINE);
    expect(h.reader.state(1)).toBe(PARTITION_STATE_ONLINE);

    // The commit behind it: nothing about partition 0 succeeds, not even the duplicate.
    h.core.startCommit();
    await new Promise((resolve) => setImmediate(resolve));
    syncs.release();
    await h.core.flush();
    h.core.commit();
    expect(appendsSent(opened).slice(2).map((c) => [c.requestId, c.errorCode])).toEqual([
      [203, ErrorCode.KAFKA_STORAGE_ERROR], [204, ErrorCode.NONE], [205, ErrorCode.KAFKA_STORAGE_ERROR],
    ]);
    expect(h.reader.readOffsets(0)).toMatchObject({ highWatermark: 1n, lastStableOffset: 1n });
    expect(h.reader.highWatermark(1)).toBe(4n);

    // A later append to the partition is refused at once; the other partition carries on.
    syncs.failing.clear();
    setSyncFaultForTests(undefined);
    const later = await h.drain([{ slot: 0, records: batch() }, { slot: 1, records: batch() }]);
    expect(later.map((c) => c.errorCode)).toEqual([ErrorCode.KAFKA_STORAGE_ERROR, ErrorCode.NONE]);
    expect(h.reader.highWatermark(0)).toBe(1n);
  });

  it('publishes the LSO each commit had when it was sealed, not one a marker written behind it made', async () => {
    h = shardHarness({ fsync: { kind: 'always' } });
    h.open(0);
    await h.drain([{ slot: 0, records: batch({ count: 2 }) }]);
    const syncs = holdSyncs();
    // N: a transaction's batch (offsets 2..4). N+1, under N's sync: its COMMIT marker (offset 5).
    drainWritten([{ requestId: 300, slot: 0, records: batch({ producerId: 9n, producerEpoch: 0, baseSequence: 0, count: 3, transactional: true }) }]);
    expect(h.core.control(301, { op: 'write-marker', slot: 0, producerId: 9n, producerEpoch: 0, coordinatorEpoch: 0, commit: true })).toBe(true);
    h.core.writeStaged();
    h.core.startCommit();
    syncs.release();
    await settleAndCommit();
    // The transaction is ongoing as far as N is concerned: the LSO stays at its first offset.
    expect(h.reader.readOffsets(0)).toMatchObject({ highWatermark: 5n, lastStableOffset: 2n });
    h.core.startCommit();
    await new Promise((resolve) => setImmediate(resolve));
    syncs.release();
    await h.core.flush();
    h.core.commit();
    expect(h.reader.readOffsets(0)).toMatchObject({ highWatermark: 6n, lastStableOffset: 6n });
    expect(h.sent.find((c) => c.requestId === 301)).toMatchObject({ errorCode: ErrorCode.NONE, offset: 5n });
  });

  it('leaves a control request that touches files until every commit is finished; markers and DescribeProducers go through', async () => {
    h = shardHarness({ fsync: { kind: 'always' } });
    h.open(0);
    const syncs = holdSyncs();
    drainWritten([{ requestId: 400, slot: 0, records: batch() }]);
    expect(h.core.control(401, { op: 'delete-records', slot: 0, offset: -1n })).toBe(false);
    expect(h.core.controlWaiting).toBe(true);
    expect(h.core.wantsIdle).toBe(true);
    expect(h.core.control(402, { op: 'describe-producers', slot: 0 })).toBe(true);
    syncs.release();
    await settleAndCommit();
    // DescribeProducers' answer (in the open window, nothing to sync) went out with the commit step.
    h.core.startCommit();
    expect(h.core.commitsPending).toBe(false);
    expect(h.sent.find((c) => c.requestId === 402)).toMatchObject({ errorCode: ErrorCode.NONE });
    // Now it runs, against what is published (the HWM of the commit that just finished).
    expect(h.core.control(401, { op: 'delete-records', slot: 0, offset: -1n })).toBe(true);
    expect(h.core.controlWaiting).toBe(false);
    h.core.commit();
    expect(h.sent.find((c) => c.requestId === 401)).toMatchObject({ errorCode: ErrorCode.NONE, offset: 1n });
  });

  it('leaves a control request behind appends of its own drain until they are committed', async () => {
    h = shardHarness({ fsync: { kind: 'always' } });
    h.open(0);
    h.core.append(500, 0, 0, batch({ count: 2 }));
    expect(h.core.control(501, { op: 'delete-records', slot: 0, offset: -1n })).toBe(false);
    h.core.writeStaged();
    await h.core.flush();
    h.core.commit();
    expect(h.reader.highWatermark(0)).toBe(2n);
    expect(h.core.control(501, { op: 'delete-records', slot: 0, offset: -1n })).toBe(true);
    h.core.commit();
    expect(h.sent.find((c) => c.requestId === 501)).toMatchObject({ errorCode: ErrorCode.NONE, offset: 2n });
    expect(h.reader.logStartOffset(0)).toBe(2n);
  });
});
