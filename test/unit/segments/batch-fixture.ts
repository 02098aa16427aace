// Test helper: builds valid uncompressed RecordBatch v2 frames (header + CRC-32C) and temp dirs.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { crc32c } from '../../../src/protocol/crc32c.ts';

function zigzagVarint(value: number): number[] {
  let v = BigInt.asUintN(64, (BigInt(value) << 1n) ^ (BigInt(value) >> 63n));
  const out: number[] = [];
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
  return out;
}

export interface FixtureRecord {
  value: Buffer;
  /** Milliseconds after the batch's base timestamp. */
  timestampDelta?: number;
}

/** A batch of `records` starting at offset 0 (the log rewrites baseOffset) with base timestamp `baseTimestamp`. */
export function buildBatch(records: FixtureRecord[], baseTimestamp = 1_700_000_000_000n): Buffer {
  const bodies: Buffer[] = records.map((record, i) => {
    const inner = Buffer.from([
      0, // attributes
      ...zigzagVarint(record.timestampDelta ?? 0),
      ...zigzagVarint(i),
      ...zigzagVarint(-1), // null key
      ...zigzagVarint(record.value.length),
    ]);
    const tail = Buffer.from(zigzagVarint(0)); // no headers
    const length = inner.length + record.value.length + tail.length;
    return Buffer.concat([Buffer.from(zigzagVarint(length)), inner, record.value, tail]);
  });
  const recordsBytes = Buffer.concat(bodies);
  const batch = Buffer.alloc(61 + recordsBytes.length);
  const maxDelta = Math.max(...records.map((r) => r.timestampDelta ?? 0));
  batch.writeBigInt64BE(0n, 0);
  batch.writeInt32BE(batch.length - 12, 8);
  batch.writeInt32BE(0, 12);
  batch.writeInt8(2, 16);
  batch.writeInt16BE(0, 21);
  batch.writeInt32BE(records.length - 1, 23);
  batch.writeBigInt64BE(baseTimestamp, 27);
  batch.writeBigInt64BE(baseTimestamp + BigInt(maxDelta), 35);
  batch.writeBigInt64BE(-1n, 43);
  batch.writeInt16BE(-1, 51);
  batch.writeInt32BE(-1, 53);
  batch.writeInt32BE(records.length, 57);
  recordsBytes.copy(batch, 61);
  batch.writeUInt32BE(crc32c(batch.subarray(21)), 17);
  return batch;
}

/** `count` records of `valueBytes` each, timestamps `baseTimestamp`, +1, +2 ... */
export function simpleBatch(count: number, valueBytes = 100, baseTimestamp = 1_700_000_000_000n): Buffer {
  const records: FixtureRecord[] = [];
  for (let i = 0; i < count; i++) records.push({ value: Buffer.alloc(valueBytes, i & 0xff), timestampDelta: i });
  return buildBatch(records, baseTimestamp);
}

export function tempDir(): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'highwater-log-'));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export const silentLogger = pino({ level: 'silent' });

/** A logger whose warnings the test can read. */
export function recordingLogger(): { logger: pino.Logger; warnings: Array<Record<string, unknown>> } {
  const warnings: Array<Record<string, unknown>> = [];
  const logger = pino(
    { level: 'warn' },
    {
      write(line: string) {
        warnings.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  );
  return { logger, warnings };
}
