// The reader's read-ahead (docs/notes/read-path.md): a sequential consumer's next range is read
// while the last one is sent. What it must never change: bytes served, the visibility limit,
// max bytes, and what a new listing (retention, DeleteRecords) invalidates.
import { afterEach, describe, expect, it } from 'vitest';
import { logConfig } from '../../../src/segments/log-config.ts';
import { PartitionReader, type PartitionVisibility, type ReadResult } from '../../../src/segments/reader.ts';
import { PartitionLog } from '../../../src/wal/partition-log.ts';
import { silentLogger, simpleBatch, tempDir } from './batch-fixture.ts';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  PartitionReader.setReadAheadLimit(64 * 1024 * 1024);
  while (cleanups.length) await cleanups.pop()!();
});

function setup(segmentBytes = 8 * 1024 * 1024): { log: PartitionLog; reader: PartitionReader; visible: () => PartitionVisibility } {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const log = PartitionLog.open({ dir, topic: 'ra', partition: 0, config: logConfig({ segmentBytes, indexIntervalBytes: 4096, retentionMs: -1 }), logger: silentLogger });
  const reader = PartitionReader.forPartition(dir, 'ra', 0);
  cleanups.push(() => reader.close());
  cleanups.push(() => log.close());
  const visible = (): PartitionVisibility => ({ highWatermark: log.logEndOffset, logStartOffset: log.logStartOffset, segmentsVersion: log.segmentsVersion });
  return { log, reader, visible };
}

/** Batches of 16 records of 1,000 bytes (about 16 KB each). */
function fill(log: PartitionLog, batches: number): void {
  for (let i = 0; i < batches; i++) log.append(simpleBatch(16, 1000, 1_000_000n + BigInt(i)), 1n);
}

function ok(result: ReadResult): Extract<ReadResult, { records: Buffer }> {
  if ('error' in result) throw new Error(result.error);
  return result;
}

function lastOffsetIn(records: Buffer): bigint {
  let last = -1n;
  for (let at = 0; at < records.length; at += records.readInt32BE(at + 8) + 12) last = records.readBigInt64BE(at) + BigInt(records.readInt32BE(at + 23));
  return last;
}

const READ = 300 * 1024;

describe('PartitionReader read-ahead', () => {
  it('serves a sequential consumer the same bytes as the log, with its next range read ahead', async () => {
    const { log, reader, visible } = setup(1024 * 1024); // several segments: read-ahead across rolls
    fill(log, 200);
    expect(log.segmentCount).toBeGreaterThan(2);
    const expected = Buffer.concat(log.readAllSync());
    const received: Buffer[] = [];
    let offset = 0n;
    let sawAhead = false;
    while (offset < log.logEndOffset) {
      const result = ok(await reader.read(offset, READ, visible()));
      expect(result.records.length).toBeGreaterThan(0);
      expect(result.records.length).toBeLessThanOrEqual(READ);
      if (result.nextOffset < log.logEndOffset) sawAhead ||= PartitionReader.readAheadBytes > 0;
      received.push(Buffer.from(result.records));
      offset = result.nextOffset;
    }
    expect(sawAhead).toBe(true);
    expect(Buffer.concat(received).equals(expected)).toBe(true);
    // At the end nothing is read ahead: the last read reached the limit.
    expect(PartitionReader.readAheadBytes).toBe(0);
  });

  it('never serves past the limit of the read it answers, nor more than it asks for', async () => {
    const { log, reader, visible } = setup();
    fill(log, 100);
    const first = ok(await reader.read(0n, READ, visible()));
    expect(PartitionReader.readAheadBytes).toBeGreaterThan(0);
    // A read_committed caller whose limit (its LSO) is below the one the read-ahead used.
    const lso = first.nextOffset + 32n; // two batches of 16 on: a batch boundary, as an LSO is
    const narrow = ok(await reader.read(first.nextOffset, READ, { ...visible(), highWatermark: lso }));
    expect(lastOffsetIn(narrow.records)).toBe(lso - 1n);
    // A caller asking for less than the read-ahead holds.
    const small = ok(await reader.read(narrow.nextOffset, 20_000, visible()));
    expect(small.records.length).toBeLessThanOrEqual(20_000);
    // The limit only grows: a read-ahead made below an older HWM is still a valid answer.
    const before = visible();
    const next = ok(await reader.read(small.nextOffset, READ, before));
    fill(log, 10);
    const after = ok(await reader.read(next.nextOffset, READ, visible()));
    expect(after.firstOffset).toBe(next.nextOffset);
    expect(lastOffsetIn(after.records)).toBeLessThan(before.highWatermark);
  });

  it('is dropped by a new listing: DeleteRecords past it answers OFFSET_OUT_OF_RANGE', async () => {
    const { log, reader, visible } = setup(1024 * 1024);
    fill(log, 200);
    const first = ok(await reader.read(0n, READ, visible()));
    expect(PartitionReader.readAheadBytes).toBeGreaterThan(0);
    log.deleteRecordsBefore(first.nextOffset + 100n);
    const result = await reader.read(first.nextOffset, READ, visible());
    expect(result).toEqual({ error: 'OFFSET_OUT_OF_RANGE' });
    const fromStart = ok(await reader.read(log.logStartOffset, READ, visible()));
    expect(fromStart.firstOffset).toBeLessThanOrEqual(log.logStartOffset);
  });

  it('keeps the bytes read ahead within the thread bound (0: none)', async () => {
    PartitionReader.setReadAheadLimit(0);
    const { log, reader, visible } = setup();
    fill(log, 100);
    const expected = Buffer.concat(log.readAllSync());
    const received: Buffer[] = [];
    for (let offset = 0n; offset < log.logEndOffset; ) {
      const result = ok(await reader.read(offset, READ, visible()));
      expect(PartitionReader.readAheadBytes).toBe(0);
      received.push(Buffer.from(result.records));
      offset = result.nextOffset;
    }
    expect(Buffer.concat(received).equals(expected)).toBe(true);
    // Several partitions over a bound of two reads: the oldest is forgotten, never exceeded.
    PartitionReader.setReadAheadLimit(2 * READ);
    const others = [setup(), setup(), setup()];
    for (const other of others) fill(other.log, 60);
    for (const other of others) {
      ok(await other.reader.read(0n, READ, other.visible()));
      expect(PartitionReader.readAheadBytes).toBeLessThanOrEqual(2 * READ);
    }
  });
});
