// Test helper: RecordBatch v2 frames for the log's tests (via src/protocol/records.ts), temp dirs, loggers.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { CompressionCodec } from '../../../src/protocol/compression.ts';
import { buildRecordBatch } from '../../../src/protocol/records.ts';

export interface FixtureRecord {
  value: Buffer;
  /** Milliseconds after the batch's base timestamp. */
  timestampDelta?: number;
}

/** A batch of `records` (baseOffset 0: the log rewrites it), built by the protocol's own encoder. */
export function buildBatch(records: FixtureRecord[], baseTimestamp = 1_700_000_000_000n, compression: CompressionCodec = 'none'): Buffer {
  return buildRecordBatch({
    baseTimestamp,
    compression,
    records: records.map((record) => ({ key: null, value: record.value, timestamp: baseTimestamp + BigInt(record.timestampDelta ?? 0) })),
  });
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
