// The produce path's records check (src/protocol/record-validation.ts) per batch, against the
// header check the shard already did (validateBatch: framing and CRC-32C), for an uncompressed
// batch (walked in place) and each codec (decompressed, then walked): how much shard CPU
// issue 19 defect 7's validation adds per produced batch.
// Run: node bench/record-validation.ts [--ms-per-case 300] [--batch-bytes 16384] [--record-size 1024]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { validateBatch } from '../src/protocol/record-batch.ts';
import { validateBatchRecords } from '../src/protocol/record-validation.ts';
import { buildRecordBatch } from '../src/protocol/records.ts';
import type { CompressionCodec } from '../src/protocol/compression.ts';

const { values: args } = parseArgs({
  options: {
    'ms-per-case': { type: 'string', default: '300' },
    'batch-bytes': { type: 'string', default: '16384' },
    'record-size': { type: 'string', default: '1024' },
  },
});
const msPerCase = Number(args['ms-per-case']);
const recordSize = Number(args['record-size']);
const count = Math.max(1, Math.floor(Number(args['batch-bytes']) / recordSize));

// Half random, half repeated bytes: compressible about 2:1, like typical payloads.
function value(i: number): Buffer {
  const v = Buffer.alloc(recordSize, i & 0xff);
  randomBytes(recordSize >> 1).copy(v);
  return v;
}

function perSecond(fn: () => void): number {
  for (let i = 0; i < 200; i++) fn();
  let n = 0;
  const start = performance.now();
  let now = start;
  while (now - start < msPerCase) {
    for (let i = 0; i < 50; i++) fn();
    n += 50;
    now = performance.now();
  }
  return n / ((now - start) / 1000);
}

const rows: string[] = [];
for (const codec of ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as CompressionCodec[]) {
  const batch = buildRecordBatch({ baseTimestamp: 1_700_000_000_000n, compression: codec, records: Array.from({ length: count }, (_, i) => ({ key: Buffer.from(`key-${i}`), value: value(i) })) });
  const header = perSecond(() => {
    if (!validateBatch(batch, 0).ok) throw new Error('bad batch');
  });
  const records = perSecond(() => {
    if (!validateBatchRecords(batch, 0).ok) throw new Error('bad records');
  });
  const rawMB = (count * recordSize) / 1e6;
  rows.push(`| ${codec} | ${batch.length} | ${(1e6 / header).toFixed(2)} | ${(1e6 / records).toFixed(2)} | ${((records * rawMB) / 1000).toFixed(2)} | ${(header / records).toFixed(2)} |`);
}
console.log(`${count} records of ${recordSize} B per batch, ${msPerCase} ms per case, node ${process.version}`);
console.log('| codec | batch bytes | header + CRC µs/batch | records check µs/batch | records check GB/s (uncompressed bytes) | check / header |');
console.log('|---|--:|--:|--:|--:|--:|');
for (const r of rows) console.log(r);
