// Cleaner throughput: MB/s of segment cleaned (1 KiB records, 10% live keys), cleanSegments on the
// calling thread, as the cleaner thread runs it. Usage: node bench/cleaner.ts [segments] [rounds]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRecordBatch } from '../src/protocol/records.ts';
import { cleanSegments } from '../src/segments/cleaner.ts';
import { segmentPaths } from '../src/segments/layout.ts';

const SEGMENTS = Number(process.argv[2] ?? 8);
const ROUNDS = Number(process.argv[3] ?? 3);
const SEGMENT_BYTES = 16 * 1024 * 1024;
const RECORDS_PER_BATCH = 16;
const value = Buffer.alloc(1024, 'v');

const dir = mkdtempSync(join(tmpdir(), 'bench-cleaner-'));
try {
  let offset = 0n;
  const segments = [];
  // 10% live keys: as many distinct keys as a tenth of the records.
  const sample = buildRecordBatch({ baseTimestamp: 1_000n, records: Array.from({ length: RECORDS_PER_BATCH }, () => ({ key: Buffer.from('key-0000000'), value })) });
  const totalRecords = SEGMENTS * Math.ceil(SEGMENT_BYTES / sample.length) * RECORDS_PER_BATCH;
  const keys = Math.max(1, Math.floor(totalRecords / 10));
  for (let s = 0; s < SEGMENTS; s++) {
    const base = offset;
    const frames: Buffer[] = [];
    let bytes = 0;
    while (bytes < SEGMENT_BYTES) {
      const records = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ key: Buffer.from(`key-${String(Number(offset + BigInt(i)) % keys).padStart(7, '0')}`), value }));
      const frame = buildRecordBatch({ baseOffset: offset, baseTimestamp: 1_000n, records });
      frames.push(frame);
      bytes += frame.length;
      offset += BigInt(RECORDS_PER_BATCH);
    }
    const paths = segmentPaths(dir, base);
    writeFileSync(paths.log, Buffer.concat(frames));
    segments.push({ baseOffset: base, nextOffset: offset, size: bytes });
  }
  const total = segments.reduce((n, s) => n + s.size, 0);
  for (let round = 0; round < ROUNDS; round++) {
    const began = performance.now();
    const result = cleanSegments({
      partitionDir: dir, segments, firstDirtyOffset: 0n, endOffset: offset, nowMs: Date.now(), deleteRetentionMs: 86_400_000,
      segmentBytes: 1 << 30, indexIntervalBytes: 4096, producerLastOffsets: new Map(), maxMapKeys: 4_000_000,
    });
    const seconds = (performance.now() - began) / 1000;
    console.log(JSON.stringify({ round, mbRead: +(total / 1e6).toFixed(1), seconds: +seconds.toFixed(2), mbPerSecond: +(total / 1e6 / seconds).toFixed(1), kept: result.recordsKept, read: result.recordsRead }));
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
