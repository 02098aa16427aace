// Produce-path cost of a RecordBatch: validate (CRC-32C over the batch) then rewrite baseOffset and
// partitionLeaderEpoch in place, for 16 KiB batches of 1 KiB records; also the LogAppendTime
// rewrite (a second CRC pass) and the load generator's clone-and-patch.
// Run: node bench/record-batch.ts [--ms-per-case 700]
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { crc32cImplementation } from '../src/protocol/crc32c.ts';
import {
  forEachBatch,
  setBaseOffset,
  setLogAppendTime,
  setPartitionLeaderEpoch,
  validateBatch,
} from '../src/protocol/record-batch.ts';
import { buildRecordBatch, cloneBatchWith } from '../src/protocol/records.ts';

const { values: args } = parseArgs({ options: { 'ms-per-case': { type: 'string', default: '700' } } });
const msPerCase = Number(args['ms-per-case']);

const RECORD_SIZE = 1024;
const TARGET_BATCH_SIZE = 16 * 1024;
// 15 records of 1 KiB plus their framing and the 61-byte header just fit in 16 KiB.
const recordsPerBatch = Math.floor((TARGET_BATCH_SIZE - 61) / (RECORD_SIZE + 16));
const template = buildRecordBatch({
  baseTimestamp: BigInt(Date.now()),
  records: Array.from({ length: recordsPerBatch }, (_, i) => ({
    key: Buffer.from(`key-${i}`),
    value: randomBytes(RECORD_SIZE), // incompressible, like most real payloads after client compression
  })),
});
// 64 batches back to back: a large produce request, or a stretch of log for recovery to walk.
const BATCHES_PER_BUFFER = 64;
const buffer = Buffer.concat(Array.from({ length: BATCHES_PER_BUFFER }, () => template));

type Case = { name: string; run: () => number };

let nextOffset = 0n;
const cases: Case[] = [
  {
    name: 'validateBatch + setBaseOffset + setPartitionLeaderEpoch',
    run: () => {
      let position = 0;
      let batches = 0;
      while (position < buffer.length) {
        const result = validateBatch(buffer, position);
        if (!result.ok) throw new Error(result.reason);
        setBaseOffset(buffer, position, nextOffset);
        setPartitionLeaderEpoch(buffer, position, 3);
        nextOffset += BigInt(recordsPerBatch);
        position += result.size;
        batches++;
      }
      return batches;
    },
  },
  {
    name: 'forEachBatch walk (recovery-style validation)',
    run: () => forEachBatch(buffer, () => {}, { origin: 'log' }).batchCount,
  },
  {
    name: 'validate + offsets + setLogAppendTime (second CRC pass)',
    run: () => {
      let position = 0;
      let batches = 0;
      const now = BigInt(Date.now());
      while (position < buffer.length) {
        const result = validateBatch(buffer, position);
        if (!result.ok) throw new Error(result.reason);
        setBaseOffset(buffer, position, nextOffset);
        setLogAppendTime(buffer, position, now + BigInt(batches));
        nextOffset += BigInt(recordsPerBatch);
        position += result.size;
        batches++;
      }
      return batches;
    },
  },
  {
    name: 'cloneBatchWith (load generator: copy + patch + CRC)',
    run: () => {
      for (let i = 0; i < BATCHES_PER_BUFFER; i++) cloneBatchWith(template, { baseSequence: i, baseTimestamp: BigInt(i) });
      return BATCHES_PER_BUFFER;
    },
  },
];

console.log(
  `RecordBatch hot path: ${template.length}-byte batches of ${recordsPerBatch} x ${RECORD_SIZE} B records, ` +
    `CRC-32C ${crc32cImplementation}, ${msPerCase} ms per case, node ${process.version}`,
);
console.log('| case | batches/s | MB/s |');
console.log('|---|---:|---:|');
for (const c of cases) {
  const warmUntil = performance.now() + msPerCase / 5;
  while (performance.now() < warmUntil) c.run();
  let batches = 0;
  const start = performance.now();
  let now = start;
  while (now - start < msPerCase) {
    batches += c.run();
    now = performance.now();
  }
  const seconds = (now - start) / 1000;
  const perSecond = batches / seconds;
  console.log(`| ${c.name} | ${perSecond.toFixed(0)} | ${((perSecond * template.length) / 1e6).toFixed(0)} |`);
}
