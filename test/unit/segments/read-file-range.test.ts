// PartitionReader.readFileRange, the sendfile path's read (docs/notes/read-path.md): ranges of one
// segment file, cut at batch starts the offset index or a rolled segment's end gives, never past the
// visibility limit or max bytes, whose bytes are the log's; a Buffer where no such cut exists; and
// a range's file stays readable after its segment is deleted until the range is released.
import { readSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { FileRange } from '../../../src/segments/file-range.ts';
import { logConfig } from '../../../src/segments/log-config.ts';
import { PartitionReader, type PartitionVisibility, type RangeReadResult } from '../../../src/segments/reader.ts';
import { PartitionLog } from '../../../src/wal/partition-log.ts';
import { silentLogger, simpleBatch, tempDir } from './batch-fixture.ts';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function setup(segmentBytes: number): { log: PartitionLog; reader: PartitionReader; visible: () => PartitionVisibility } {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const log = PartitionLog.open({ dir, topic: 'fr', partition: 0, config: logConfig({ segmentBytes, indexIntervalBytes: 4096, retentionMs: -1 }), logger: silentLogger });
  const reader = PartitionReader.forPartition(dir, 'fr', 0);
  cleanups.push(() => reader.close());
  cleanups.push(() => log.close());
  const visible = (): PartitionVisibility => ({ highWatermark: log.logEndOffset, logStartOffset: log.logStartOffset, segmentsVersion: log.segmentsVersion });
  return { log, reader, visible };
}

/** Batches of 8 records of 1,000 bytes (about 8 KB each). */
function fill(log: PartitionLog, batches: number): void {
  for (let i = 0; i < batches; i++) log.append(simpleBatch(8, 1000, 1_000_000n + BigInt(i)), 1n);
}

function ok(result: RangeReadResult): Extract<RangeReadResult, { records: unknown }> {
  if ('error' in result) throw new Error(result.error);
  return result;
}

/** The bytes of what a read returned (a range is read from its fd), and the range released. */
function bytesOf(records: Buffer | FileRange): Buffer {
  if (!(records instanceof FileRange)) return Buffer.from(records);
  const out = Buffer.alloc(records.length);
  expect(readSync(records.fd, out, 0, out.length, records.position)).toBe(out.length);
  records.release();
  return out;
}

function lastOffsetIn(records: Buffer): bigint {
  let last = -1n;
  for (let at = 0; at < records.length; at += records.readInt32BE(at + 8) + 12) last = records.readBigInt64BE(at) + BigInt(records.readInt32BE(at + 23));
  return last;
}

describe('PartitionReader.readFileRange', () => {
  it('serves the log byte for byte, across rolls, in ranges within max bytes', async () => {
    const { log, reader, visible } = setup(256 * 1024);
    fill(log, 150);
    expect(log.segmentCount).toBeGreaterThan(3);
    const expected = Buffer.concat(log.readAllSync());
    for (const maxBytes of [50_000, 300 * 1024, 1024 * 1024]) {
      const received: Buffer[] = [];
      let ranges = 0;
      let offset = 0n;
      while (offset < log.logEndOffset) {
        const result = ok(await reader.readFileRange(offset, maxBytes, visible()));
        if (result.records instanceof FileRange) {
          ranges++;
          expect(result.records.length).toBeLessThanOrEqual(maxBytes);
        }
        expect(result.records.length).toBeGreaterThan(0);
        const bytes = bytesOf(result.records);
        expect(lastOffsetIn(bytes)).toBe(result.nextOffset - 1n);
        received.push(bytes);
        offset = result.nextOffset;
      }
      expect(ranges).toBeGreaterThan(0);
      expect(Buffer.concat(received).equals(expected)).toBe(true);
    }
  });

  it('never reaches past the visibility limit (an LSO in the middle of the log)', async () => {
    const { log, reader, visible } = setup(8 * 1024 * 1024);
    fill(log, 100);
    const lso = 8n * 60n; // a batch boundary, as an LSO is
    const result = ok(await reader.readFileRange(8n * 50n, 1024 * 1024, { ...visible(), highWatermark: lso }));
    expect(result.records).toBeInstanceOf(FileRange); // batch 60 starts at an index entry
    expect(result.nextOffset).toBe(lso);
    expect(lastOffsetIn(bytesOf(result.records))).toBe(lso - 1n);
  });

  it('answers with a Buffer where no index entry bounds the range (the tail), and the first batch whole', async () => {
    const { log, reader, visible } = setup(8 * 1024 * 1024);
    fill(log, 20);
    const tail = ok(await reader.readFileRange(8n * 19n, 1024 * 1024, visible()));
    expect(Buffer.isBuffer(tail.records)).toBe(true);
    expect(tail.nextOffset).toBe(log.logEndOffset);
    // max bytes below one batch: the batch is still returned, whole (KIP-74).
    const small = ok(await reader.readFileRange(0n, 100, visible()));
    expect(lastOffsetIn(bytesOf(small.records))).toBe(7n);
  });

  it('keeps a deleted segment readable through a range until it is released', async () => {
    const { log, reader, visible } = setup(64 * 1024);
    fill(log, 40);
    expect(log.segmentCount).toBeGreaterThan(2);
    const result = ok(await reader.readFileRange(0n, 32 * 1024, visible()));
    expect(result.records).toBeInstanceOf(FileRange);
    const range = result.records as FileRange;
    const expected = Buffer.concat(log.readAllSync()).subarray(0, range.length);
    log.deleteRecordsBefore(log.logEndOffset - 8n); // retention of every rolled segment
    // The reader lists again (the files are gone) and drops its handles; the range's stays open.
    expect(await reader.readFileRange(0n, 32 * 1024, visible())).toEqual({ error: 'OFFSET_OUT_OF_RANGE' });
    ok(await reader.readFileRange(log.logStartOffset, 32 * 1024, visible()));
    expect(bytesOf(range).equals(expected)).toBe(true);
    expect(range.released).toBe(true);
  });
});
