// The transaction coordinator's recovery and timeouts: a replayed Prepare* state has its markers
// resent and is completed; a replayed Ongoing one resumes its timeout clock from its start and is
// aborted with the producer fenced; a failed marker is retried; the log round-trips its records.
import { expect, test } from 'vitest';
import pino from 'pino';
import { TransactionCoordinator } from '../../../src/coordinator/transaction-coordinator.ts';
import { decodeTxnEntry, encodeTxnEntry, type TxnLogEntry, type TxnRecord } from '../../../src/coordinator/transaction-log.ts';
import type { TxnMarker } from '../../../src/shared-mem/txn-marker.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';

function coordinator(options: { failFirstMarkers?: number; now?: () => number } = {}) {
  const log: TxnLogEntry[] = [];
  const markers: { slot: number; marker: TxnMarker }[] = [];
  let failures = options.failFirstMarkers ?? 0;
  const slots = new Map([['a\u00000', 10], ['a\u00001', 11], ['b\u00000', 12]]);
  const committed: { group: string; offset: bigint }[] = [];
  const c = new TransactionCoordinator({
    store: { async append(entries) { log.push(...entries); } },
    markers: {
      async writeMarker(_shard, slot, marker) {
        if (failures-- > 0) return { errorCode: ErrorCode.NOT_LEADER_OR_FOLLOWER, errorMessage: 'busy' };
        markers.push({ slot, marker });
        return { errorCode: ErrorCode.NONE, errorMessage: '' };
      },
    },
    partition: (topic, partition) => { const slot = slots.get(`${topic}\0${partition}`); return slot === undefined ? undefined : { shard: 0, slot }; },
    allocateProducerId: async () => 77n,
    commitOffsets: async (group, offsets) => { for (const o of offsets) committed.push({ group, offset: o.offset }); },
    log: pino({ level: 'silent' }),
    ...(options.now ? { now: options.now } : {}),
  });
  return { c, log, markers, committed };
}

const record = (state: TxnRecord['state'], extra: Partial<TxnRecord> = {}): TxnRecord => ({
  transactionalId: 'r', producerId: 5n, previousProducerId: -1n, producerEpoch: 3, lastProducerEpoch: 2, timeoutMs: 60_000, state,
  partitions: [['a', 0], ['b', 0]], groups: ['g'], pendingOffsets: [{ group: 'g', topic: 'a', partition: 0, offset: 42n, leaderEpoch: -1, metadata: null }],
  startTimestamp: BigInt(Date.now()), updateTimestamp: BigInt(Date.now()), ...extra,
});

test('the transaction log round-trips a record and a tombstone', () => {
  const r = record('PrepareCommit');
  const e = encodeTxnEntry({ transactionalId: 'r', record: r });
  expect(decodeTxnEntry(e.key, e.value)).toEqual({ transactionalId: 'r', record: r });
  const t = encodeTxnEntry({ transactionalId: 'r', record: null });
  expect(decodeTxnEntry(t.key, t.value)).toEqual({ transactionalId: 'r', record: null });
  expect(decodeTxnEntry(Buffer.from('[99,"txn","r"]'), null)).toBeUndefined();
});

test('a replayed PrepareCommit gets its markers (retried after a failure) and offsets, then CompleteCommit', async () => {
  const { c, log, markers, committed } = coordinator({ failFirstMarkers: 1 });
  await c.load(async (apply) => { apply({ transactionalId: 'r', record: record('Ongoing') }); apply({ transactionalId: 'r', record: record('PrepareCommit') }); });
  await c.settled();
  expect(markers.map((m) => [m.slot, m.marker.commit, m.marker.producerEpoch]).sort()).toEqual([[10, true, 3], [12, true, 3]]);
  expect(committed).toEqual([{ group: 'g', offset: 42n }]);
  expect(log.map((e) => e.record!.state)).toEqual(['CompleteCommit']);
  expect(c.describe('r')).toMatchObject({ transactionState: 'CompleteCommit', topics: [] });
  await c.close();
});

test('a replayed PrepareAbort is aborted and its offsets dropped', async () => {
  const { c, log, markers, committed } = coordinator();
  await c.load(async (apply) => { apply({ transactionalId: 'r', record: record('PrepareAbort') }); });
  await c.settled();
  expect(markers.every((m) => !m.marker.commit)).toBe(true);
  expect(markers.length).toBe(2);
  expect(committed).toEqual([]);
  expect(log.at(-1)!.record!.state).toBe('CompleteAbort');
  await c.close();
});

test('a replayed Ongoing transaction past its timeout (counted from its start) is aborted at a bumped epoch', async () => {
  const { c, log, markers } = coordinator();
  await c.load(async (apply) => { apply({ transactionalId: 'r', record: record('Ongoing', { timeoutMs: 1000, startTimestamp: BigInt(Date.now() - 5000) }) }); });
  const deadline = Date.now() + 5000;
  while (c.describe('r').transactionState !== 'CompleteAbort' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
  expect(c.describe('r')).toMatchObject({ transactionState: 'CompleteAbort', producerEpoch: 4 });
  expect(markers.map((m) => [m.marker.commit, m.marker.producerEpoch])).toEqual([[false, 4], [false, 4]]);
  expect(log.map((e) => e.record!.state)).toEqual(['PrepareAbort', 'CompleteAbort']);
  // The old epoch is fenced.
  expect(await c.addPartitions('r', 5n, 3, [['a', 1]])).toBe(ErrorCode.PRODUCER_FENCED);
  await c.close();
});

test('requests while the log loads get COORDINATOR_LOAD_IN_PROGRESS', async () => {
  const { c } = coordinator();
  expect((await c.initProducerId('x', 1000, null)).errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  expect(c.describe('x').errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  await c.load(async () => {});
  expect((await c.initProducerId('x', 1000, null)).errorCode).toBe(ErrorCode.NONE);
  await c.close();
});
