// The cleaner's pure part on real segment files: what it keeps (last record per key, tombstones
// until their delete horizon, producers' last batches emptied), what it keeps unchanged (offsets,
// batch last offset delta, codec, valid CRCs), and the crash-safe swap's recovery.
import { mkdtempSync, readFileSync, readdirSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { expect, test } from 'vitest';
import { validateBatch } from '../../../src/protocol/record-batch.ts';
import { buildRecordBatch, decodeRecordBatch, type RecordInput } from '../../../src/protocol/records.ts';
import { ATTRIBUTE_DELETE_HORIZON, CLEANED_SUFFIX, cleanSegments, type CleanJob } from '../../../src/segments/cleaner.ts';
import { segmentPaths } from '../../../src/segments/layout.ts';
import { completeInterruptedSwaps } from '../../../src/wal/cleaner-swap.ts';

const silent = pino({ level: 'silent' });

/** Writes segments of batches (each a list of records) with the offsets a log would give them. */
function writeLog(dir: string, segments: { records: RecordInput[]; codec?: 'none' | 'gzip'; producerId?: bigint }[][]): CleanJob['segments'] {
  let offset = 0n;
  const out: CleanJob['segments'] = [];
  for (const batches of segments) {
    const base = offset;
    const frames: Buffer[] = [];
    for (const b of batches) {
      frames.push(buildRecordBatch({ baseOffset: offset, baseTimestamp: 1_000n, records: b.records, compression: b.codec ?? 'none', producerId: b.producerId ?? -1n, producerEpoch: b.producerId === undefined ? -1 : 0, baseSequence: b.producerId === undefined ? -1 : Number(offset) }));
      offset += BigInt(b.records.length);
    }
    const bytes = Buffer.concat(frames);
    const paths = segmentPaths(dir, base);
    writeFileSync(paths.log, bytes);
    writeFileSync(paths.offsetIndex, Buffer.alloc(0));
    writeFileSync(paths.timeIndex, Buffer.alloc(0));
    out.push({ baseOffset: base, nextOffset: offset, size: bytes.length });
  }
  return out;
}

const rec = (key: string | null, value: string | null, timestamp = 1_000n): RecordInput => ({ key: key === null ? null : Buffer.from(key), value: value === null ? null : Buffer.from(value), timestamp });

function job(dir: string, segments: CleanJob['segments'], more: Partial<CleanJob> = {}): CleanJob {
  return {
    partitionDir: dir, segments, firstDirtyOffset: 0n, endOffset: segments.at(-1)!.nextOffset, nowMs: 10_000, deleteRetentionMs: 1_000,
    segmentBytes: 1 << 20, indexIntervalBytes: 4096, producerLastOffsets: new Map(), maxMapKeys: 1000, ...more,
  };
}

function batchesOf(path: string) {
  const bytes = readFileSync(path);
  const out = [];
  for (let at = 0; at < bytes.length;) {
    const check = validateBatch(bytes, at, { origin: 'log' });
    expect(check.ok).toBe(true);
    const batch = decodeRecordBatch(bytes, at);
    out.push({ ...batch, lastOffsetDelta: bytes.readInt32BE(at + 23) });
    at += bytes.readInt32BE(at + 8) + 12;
  }
  return out;
}

test('keeps the last record per key with its offset, keeps batch offset spans, rewrites CRCs, recompresses with the same codec', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cleaner-'));
  const segments = writeLog(dir, [
    [{ records: [rec('a', 'a1'), rec('b', 'b1'), rec('c', 'c1')] }, { records: [rec('a', 'a2'), rec(null, 'keyless')], codec: 'gzip' }],
    [{ records: [rec('b', 'b2'), rec('a', 'a3')], codec: 'gzip' }],
  ]);
  const result = cleanSegments(job(dir, segments));
  expect(result.groups).toEqual([{ replaces: [0n, 5n], size: expect.any(Number), nextOffset: 7n }]);
  expect(result.cleanedUpTo).toBe(7n);
  const batches = batchesOf(segmentPaths(dir, 0n).log + CLEANED_SUFFIX);
  // Batch 1 keeps c (offset 2) and spans 0..2 still; batch 2 loses everything and goes; batch 3 keeps both.
  expect(batches.map((b) => [b.baseOffset, b.lastOffsetDelta, b.compression, b.records.map((r) => [r.offset, r.key?.toString(), r.value?.toString()])])).toEqual([
    [0n, 2, 'none', [[2n, 'c', 'c1']]],
    [5n, 1, 'gzip', [[5n, 'b', 'b2'], [6n, 'a', 'a3']]],
  ]);
});

test('a tombstone gets a delete horizon on the first clean and goes once it has passed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cleaner-'));
  const segments = writeLog(dir, [[{ records: [rec('a', 'a1', 1_500n), rec('a', null, 1_600n), rec('b', 'b1', 1_700n)] }]]);
  const first = cleanSegments(job(dir, segments, { nowMs: 10_000, deleteRetentionMs: 1_000 }));
  expect(first.nextDeleteHorizonMs).toBe(11_000);
  const logPath = segmentPaths(dir, 0n).log;
  renameSync(logPath + CLEANED_SUFFIX, logPath);
  let [batch] = batchesOf(logPath);
  expect(batch!.attributes & ATTRIBUTE_DELETE_HORIZON).toBe(ATTRIBUTE_DELETE_HORIZON);
  expect(batch!.baseTimestamp).toBe(11_000n);
  // Record timestamps survive the rebasing on the horizon.
  expect(batch!.records.map((r) => [r.offset, r.value?.toString() ?? null, r.timestamp])).toEqual([[1n, null, 1_600n], [2n, 'b1', 1_700n]]);
  const size = readFileSync(logPath).length;
  const again = { ...segments[0]!, size };
  // Before the horizon: kept; after: gone.
  cleanSegments(job(dir, [again], { nowMs: 10_999 }));
  expect(batchesOf(logPath + CLEANED_SUFFIX)[0]!.records).toHaveLength(2);
  const late = cleanSegments(job(dir, [again], { nowMs: 11_000 }));
  [batch] = batchesOf(logPath + CLEANED_SUFFIX);
  expect(batch!.records.map((r) => r.key?.toString())).toEqual(['b']);
  expect(late.nextDeleteHorizonMs).toBe(-1);
});

test('an idempotent producer\'s last batch stays, emptied, so its sequence survives; the record past the map stays', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cleaner-'));
  const segments = writeLog(dir, [
    [{ records: [rec('a', 'a1'), rec('b', 'b1')], producerId: 7n }],
    [{ records: [rec('a', 'a2'), rec('b', 'b2')] }],
  ]);
  cleanSegments(job(dir, segments, { producerLastOffsets: new Map([[7n, 1n]]) }));
  const batches = batchesOf(segmentPaths(dir, 0n).log + CLEANED_SUFFIX);
  expect(batches[0]).toMatchObject({ baseOffset: 0n, lastOffsetDelta: 1, producerId: 7n, baseSequence: 0, records: [] });
  expect(batches[1]!.records).toHaveLength(2);
});

test('recovery deletes uncommitted cleaned files and completes a committed swap', () => {
  const dir = mkdtempSync(join(tmpdir(), 'cleaner-'));
  const segments = writeLog(dir, [[{ records: [rec('a', 'a1')] }], [{ records: [rec('a', 'a2')] }], [{ records: [rec('b', 'b1')] }]]);
  cleanSegments(job(dir, segments.slice(0, 2), { endOffset: 2n }));
  const paths = segmentPaths(dir, 0n);
  // Uncommitted: the cleaned files go, the old segments stay.
  completeInterruptedSwaps(dir, silent);
  expect(readdirSync(dir).filter((n) => n.includes('.cleaned'))).toEqual([]);
  expect(readdirSync(dir).filter((n) => n.endsWith('.log'))).toHaveLength(3);
  // Committed (the .log renamed to .swap): the replaced segment holding offsets the swap covers goes.
  cleanSegments(job(dir, segments.slice(0, 2), { endOffset: 2n }));
  renameSync(paths.log + CLEANED_SUFFIX, paths.log + '.swap');
  completeInterruptedSwaps(dir, silent);
  expect(readdirSync(dir).filter((n) => n.endsWith('.log')).sort()).toEqual(['00000000000000000000.log', '00000000000000000002.log']);
  expect(batchesOf(paths.log).map((b) => b.records.map((r) => [r.offset, r.value?.toString()]))).toEqual([[[1n, 'a2']]]);
});
