// The idempotent-producer checks a shard makes before appending a batch.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, test } from 'vitest';
import { PRODUCER_SNAPSHOT_FILE, ProducerStateTable } from '../../../src/shard-worker/producer-state.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';

const batch = (producerId: bigint, producerEpoch: number, baseSequence: number, count: number) => ({ producerId, producerEpoch, baseSequence, lastOffsetDelta: count - 1 });

test('non-idempotent batches are always appended', () => {
  expect(new ProducerStateTable().check(batch(-1n, -1, -1, 3)).kind).toBe('append');
});

test('a retried batch among the last five is a duplicate with its original offsets', () => {
  const t = new ProducerStateTable();
  let offset = 0n;
  for (let seq = 0; seq < 30; seq += 5) {
    expect(t.check(batch(7n, 0, seq, 5)).kind).toBe('append');
    t.record(batch(7n, 0, seq, 5), offset, offset + 4n, 0n);
    offset += 5n;
  }
  expect(t.check(batch(7n, 0, 25, 5))).toEqual({ kind: 'duplicate', baseOffset: 25n, lastOffset: 29n });
  expect(t.check(batch(7n, 0, 5, 5))).toEqual({ kind: 'duplicate', baseOffset: 5n, lastOffset: 9n });
  // Older than the last five: no longer known, and not next in sequence.
  expect(t.check(batch(7n, 0, 0, 5))).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
  expect(t.check(batch(7n, 0, 30, 5)).kind).toBe('append');
});

test('gaps are OUT_OF_ORDER_SEQUENCE_NUMBER, old epochs are fenced, new epochs start at 0', () => {
  const t = new ProducerStateTable();
  t.record(batch(1n, 3, 0, 10), 0n, 9n, 0n);
  expect(t.check(batch(1n, 3, 11, 1))).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
  expect(t.check(batch(1n, 2, 10, 1))).toMatchObject({ kind: 'error', errorCode: ErrorCode.INVALID_PRODUCER_EPOCH });
  expect(t.check(batch(1n, 4, 5, 1))).toMatchObject({ kind: 'error', errorCode: ErrorCode.OUT_OF_ORDER_SEQUENCE_NUMBER });
  expect(t.check(batch(1n, 4, 0, 1)).kind).toBe('append');
  expect(t.check(batch(2n, 0, 9, 1))).toMatchObject({ kind: 'error', errorCode: ErrorCode.UNKNOWN_PRODUCER_ID });
});

test('sequences wrap from Int32.MAX to 0', () => {
  const t = new ProducerStateTable();
  t.record(batch(1n, 0, 0x7ffffffe, 2), 0n, 1n, 0n);
  expect(t.check(batch(1n, 0, 0, 1)).kind).toBe('append');
});

test('the snapshot round-trips and is refused when it does not fit the log', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hw-producers-'));
  try {
    const t = new ProducerStateTable();
    t.record(batch(9n, 1, 0, 4), 10n, 13n, 5n);
    t.writeSnapshot(dir, 14n);
    const { table, replayFrom } = ProducerStateTable.loadSnapshot(dir, 0n, 20n);
    expect(replayFrom).toBe(14n);
    expect(table.check(batch(9n, 1, 0, 4))).toEqual({ kind: 'duplicate', baseOffset: 10n, lastOffset: 13n });
    // Loading removed it: a later crash cannot reuse a snapshot the log has outgrown.
    expect(ProducerStateTable.loadSnapshot(dir, 0n, 20n).replayFrom).toBe(0n);
    t.writeSnapshot(dir, 14n);
    expect(ProducerStateTable.loadSnapshot(dir, 0n, 12n).replayFrom).toBe(0n);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a version 1 snapshot (written before transactions) is read as having no ongoing transaction', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'hw-producers-'));
  try {
    writeFileSync(path.join(dir, PRODUCER_SNAPSHOT_FILE), JSON.stringify({
      version: 1, endOffset: '14', producers: [{ id: '9', epoch: 1, lastTimestamp: '5', batches: [{ firstSeq: 0, lastSeq: 3, baseOffset: '10', lastOffset: '13' }] }],
    }));
    const { table, replayFrom } = ProducerStateTable.loadSnapshot(dir, 0n, 20n);
    expect(replayFrom).toBe(14n);
    expect(table.check(batch(9n, 1, 0, 4))).toEqual({ kind: 'duplicate', baseOffset: 10n, lastOffset: 13n });
    expect(table.firstUnstableOffset()).toBeNull();
    expect(table.describe()).toMatchObject([{ producerId: 9n, coordinatorEpoch: -1, currentTxnStartOffset: -1n }]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
