// The remote record round-trips, is replaced atomically, and refuses a record with a hole.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { decodeRemoteRecord, encodeRemoteRecord, readRemoteRecordSync, segmentObjectKey, writeRemoteRecordSync, type RemoteRecord } from '../../../src/segments/remote-record.ts';

const dirs: string[] = [];
afterEach(() => { for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true }); });

const record: RemoteRecord = {
  logStartOffset: 5n,
  segments: [
    { baseOffset: 0n, nextOffset: 100n, maxTimestamp: 1_700_000_000_000n, size: 4096, txnIndex: false },
    { baseOffset: 100n, nextOffset: 250n, maxTimestamp: 1_700_000_000_500n, size: 8000, txnIndex: true },
  ],
  pendingDeletes: [{ baseOffset: 2n ** 40n, nextOffset: 2n ** 40n + 1n, maxTimestamp: -1n, size: 1, txnIndex: false }],
};

describe('remote record', () => {
  it('round-trips 64-bit offsets exactly', () => {
    expect(decodeRemoteRecord(encodeRemoteRecord(record))).toEqual(record);
  });

  it('is written atomically and read back; absent is null', () => {
    const dir = mkdtempSync(join(tmpdir(), 'remote-record-'));
    dirs.push(dir);
    expect(readRemoteRecordSync(dir)).toBeNull();
    writeRemoteRecordSync(dir, record);
    writeRemoteRecordSync(dir, { ...record, logStartOffset: 7n });
    expect(readRemoteRecordSync(dir)!.logStartOffset).toBe(7n);
    expect(readdirSync(dir)).toEqual(['remote-log.json']);
  });

  it('refuses segments that do not follow each other', () => {
    const broken = { ...record, segments: [record.segments[0]!, { ...record.segments[1]!, baseOffset: 101n }] };
    expect(() => decodeRemoteRecord(encodeRemoteRecord(broken))).toThrow(/does not follow/);
  });

  it('names objects by topic id, partition and zero-padded base offset', () => {
    expect(segmentObjectKey('AbCd', 3, 42n, 'manifest')).toBe('AbCd/3/00000000000000000042.manifest.json');
  });
});
