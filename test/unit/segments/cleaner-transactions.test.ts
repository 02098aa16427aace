// The cleaner and transactions (Kafka's LogCleaner with CleanedTransactionMetadata): an aborted
// transaction's records are removed (and shadow no committed value), a marker stays while its
// transaction has batches left, then gets a delete horizon, then goes; an ABORT marker whose batches
// a pass removed keeps its .txnindex entry in the cleaned file.
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { buildEndTxnMarkerBatch, readEndTxnMarker } from '../../../src/protocol/control-records.ts';
import { ATTRIBUTE_CONTROL, validateBatch } from '../../../src/protocol/record-batch.ts';
import { buildRecordBatch, decodeRecordBatch } from '../../../src/protocol/records.ts';
import { ATTRIBUTE_DELETE_HORIZON, CLEANED_SUFFIX, cleanSegments, type CleanJob } from '../../../src/segments/cleaner.ts';
import { segmentPaths } from '../../../src/segments/layout.ts';
import { decodeAbortedTxns, type AbortedTxn } from '../../../src/segments/txn-index.ts';

const data = (offset: bigint, producerId: bigint, key: string, value: string, transactional: boolean): Buffer =>
  buildRecordBatch({ baseOffset: offset, baseTimestamp: 1_000n, producerId, producerEpoch: producerId < 0n ? -1 : 0, baseSequence: producerId < 0n ? -1 : 0, transactional, records: [{ key: Buffer.from(key), value: Buffer.from(value) }] });

function marker(offset: bigint, producerId: bigint, commit: boolean): Buffer {
  const batch = buildEndTxnMarkerBatch({ producerId, producerEpoch: 0, coordinatorEpoch: 0, commit, timestamp: 1_000n, partitionLeaderEpoch: 0 });
  batch.writeBigInt64BE(offset, 0);
  return batch;
}

interface Seen { offset: bigint; control: boolean; horizon: boolean; values: string[]; commit?: boolean }

function read(path: string): Seen[] {
  const bytes = readFileSync(path);
  const out: Seen[] = [];
  for (let at = 0; at < bytes.length;) {
    expect(validateBatch(bytes, at, { origin: 'log' }).ok).toBe(true);
    const size = bytes.readInt32BE(at + 8) + 12;
    const frame = bytes.subarray(at, at + size);
    const batch = decodeRecordBatch(frame);
    const control = (batch.attributes & ATTRIBUTE_CONTROL) !== 0;
    out.push({
      offset: batch.baseOffset, control, horizon: (batch.attributes & ATTRIBUTE_DELETE_HORIZON) !== 0,
      values: control ? [] : batch.records.map((r) => r.value!.toString()), ...(control ? { commit: readEndTxnMarker(frame)?.commit } : {}),
    });
    at += size;
  }
  return out;
}

/** Cleans the one segment, then swaps the cleaned files in by hand (as the shard's swap does). */
function cleanAndSwap(dir: string, nowMs: number, abortedTxns: AbortedTxn[], more: Partial<CleanJob> = {}) {
  const paths = segmentPaths(dir, 0n);
  const size = readFileSync(paths.log).length;
  const job: CleanJob = {
    partitionDir: dir, segments: [{ baseOffset: 0n, nextOffset: 6n, size }], firstDirtyOffset: 0n, endOffset: 6n, nowMs, deleteRetentionMs: 1_000,
    segmentBytes: 1 << 20, indexIntervalBytes: 4096, producerLastOffsets: new Map(), maxMapKeys: 1000, abortedTxns, ...more,
  };
  const result = cleanSegments(job);
  for (const p of [paths.log, paths.offsetIndex, paths.timeIndex]) renameSync(p + CLEANED_SUFFIX, p);
  if (existsSync(paths.txnIndex + CLEANED_SUFFIX)) renameSync(paths.txnIndex + CLEANED_SUFFIX, paths.txnIndex);
  else rmSync(paths.txnIndex, { force: true });
  const index = existsSync(paths.txnIndex) ? decodeAbortedTxns(readFileSync(paths.txnIndex)) : [];
  return { result, batches: read(paths.log), index };
}

test('aborted records go and shadow nothing; markers stay while their transaction has batches, then get a horizon, then go', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cleaner-txn-'));
  try {
    const paths = segmentPaths(dir, 0n);
    writeFileSync(paths.log, Buffer.concat([
      data(0n, 1n, 'a', 'committed', true),
      data(1n, 2n, 'a', 'aborted', true),
      marker(2n, 1n, true),
      marker(3n, 2n, false),
      data(4n, -1n, 'b', 'b1', false),
      data(5n, -1n, 'a', 'plain-a', false),
    ]));
    writeFileSync(paths.offsetIndex, Buffer.alloc(0));
    writeFileSync(paths.timeIndex, Buffer.alloc(0));
    const aborted: AbortedTxn = { producerId: 2n, firstOffset: 1n, lastOffset: 3n, lastStableOffset: 4n };

    // Pass 1: the aborted record goes; 'a' is last written at 5 (the aborted 'a' at 1 is not mapped,
    // and would not have mattered here), so 0 goes too; both markers stay (their transactions had
    // batches in this pass), the ABORT's entry is kept.
    let pass = cleanAndSwap(dir, 10_000, [aborted]);
    expect(pass.batches).toEqual([
      { offset: 2n, control: true, horizon: false, values: [], commit: true },
      { offset: 3n, control: true, horizon: false, values: [], commit: false },
      { offset: 4n, control: false, horizon: false, values: ['b1'] },
      { offset: 5n, control: false, horizon: false, values: ['plain-a'] },
    ]);
    expect(pass.index).toEqual([aborted]);

    // Pass 2: both transactions have no batch left: both markers get the delete horizon, the entry goes.
    pass = cleanAndSwap(dir, 10_000, pass.index);
    expect(pass.batches.filter((b) => b.control).map((b) => [b.offset, b.horizon])).toEqual([[2n, true], [3n, true]]);
    expect(pass.index).toEqual([]);
    expect(pass.result.nextDeleteHorizonMs).toBe(11_000);

    // Before the horizon they stay; after it they go.
    pass = cleanAndSwap(dir, 10_999, []);
    expect(pass.batches.filter((b) => b.control)).toHaveLength(2);
    pass = cleanAndSwap(dir, 11_000, []);
    expect(pass.batches.map((b) => b.offset)).toEqual([4n, 5n]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('an aborted value does not shadow the committed value of its key', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cleaner-txn-'));
  try {
    const paths = segmentPaths(dir, 0n);
    writeFileSync(paths.log, Buffer.concat([
      data(0n, -1n, 'k', 'v-committed', false),
      data(1n, 2n, 'k', 'v-aborted', true),
      marker(2n, 2n, false),
      data(3n, -1n, 'x', 'x1', false),
      data(4n, -1n, 'y', 'y1', false),
      data(5n, -1n, 'z', 'z1', false),
    ]));
    writeFileSync(paths.offsetIndex, Buffer.alloc(0));
    writeFileSync(paths.timeIndex, Buffer.alloc(0));
    const pass = cleanAndSwap(dir, 10_000, [{ producerId: 2n, firstOffset: 1n, lastOffset: 2n, lastStableOffset: 3n }]);
    expect(pass.batches.filter((b) => !b.control).map((b) => b.values[0])).toEqual(['v-committed', 'x1', 'y1', 'z1']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a marker of a producer with no data since it (its epoch\'s last record) stays, emptied, after its horizon', () => {
  for (const markerOnly of [false, true]) {
    const dir = mkdtempSync(join(tmpdir(), 'cleaner-txn-'));
    try {
      const paths = segmentPaths(dir, 0n);
      writeFileSync(paths.log, Buffer.concat([
        data(0n, 9n, 'a', 'txn-a', true), marker(1n, 9n, true),
        data(2n, -1n, 'a', 'a2', false), data(3n, -1n, 'b', 'b1', false), data(4n, -1n, 'c', 'c1', false), data(5n, -1n, 'd', 'd1', false),
      ]));
      writeFileSync(paths.offsetIndex, Buffer.alloc(0));
      writeFileSync(paths.timeIndex, Buffer.alloc(0));
      const more = markerOnly ? { producerMarkerOnlyEpochs: new Map([[9n, 0]]) } : {};
      cleanAndSwap(dir, 10_000, [], more); // 'a' at 0 superseded; the marker stays (its batch was seen)
      cleanAndSwap(dir, 10_000, [], more); // no batch left: horizon set
      const last = cleanAndSwap(dir, 11_000, [], more); // past the horizon
      const control = last.batches.filter((b) => b.control);
      if (markerOnly) expect(control).toEqual([{ offset: 1n, control: true, horizon: false, values: [], commit: undefined }]);
      else expect(control).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
});
