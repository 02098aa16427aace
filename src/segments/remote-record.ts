// Tiered storage's on-disk and in-bucket formats: the per-partition remote record (which segments
// are remote, written only by the owning shard), the manifest uploaded with each segment, and the
// object keys. Pure data and synchronous file I/O; the main thread reads the record asynchronously.
//
//   <partitionDir>/remote-log.json        the remote record (version 1), replaced atomically:
//     { version: 1,
//       logStartOffset: "<int64>",        the partition's log start (both tiers) while segments are remote
//       segments: [RemoteSegmentJson...], remote and recorded, ascending, contiguous
//       pendingDeletes: [RemoteSegmentJson...] }  dropped from the log, objects not yet deleted
//
//   objects, relative to the store's prefix (docs/notes/tiered-storage.md):
//     <topicId>/<partition>/<baseOffset:020>.log | .index | .timeindex | .txnindex | .manifest.json
//
// A segment is remote once its manifest is uploaded (last of its objects) AND it is in the record.
import { closeSync, fdatasyncSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

export const REMOTE_RECORD_VERSION = 1;
export const REMOTE_MANIFEST_VERSION = 1;
export const REMOTE_RECORD_FILE = 'remote-log.json';

/** One remote segment as the record and the fetch path know it. */
export interface RemoteSegment {
  baseOffset: bigint;
  /** The offset after the segment's last batch. */
  nextOffset: bigint;
  maxTimestamp: bigint;
  /** Bytes of the .log object. */
  size: number;
  /** Whether a .txnindex object was uploaded (the segment ended aborted transactions). */
  txnIndex: boolean;
}

export interface RemoteRecord {
  logStartOffset: bigint;
  segments: RemoteSegment[];
  pendingDeletes: RemoteSegment[];
}

export interface RemoteFileEntry {
  key: string;
  size: number;
  sha256: string;
}

/** What is uploaded last, beside the segment's files. */
export interface RemoteManifest extends RemoteSegment {
  topic: string;
  topicId: string;
  partition: number;
  /** One node leads every partition at epoch 0 (PARTITION_LEADER_EPOCH). */
  leaderEpoch: number;
  files: { log: RemoteFileEntry; index: RemoteFileEntry; timeindex: RemoteFileEntry; txnindex?: RemoteFileEntry };
}

export type SegmentObject = 'log' | 'index' | 'timeindex' | 'txnindex' | 'manifest';
const SUFFIX: Record<SegmentObject, string> = { log: '.log', index: '.index', timeindex: '.timeindex', txnindex: '.txnindex', manifest: '.manifest.json' };

/** The prefix of every object of one partition of a topic id. */
export function partitionKeyPrefix(topicId: string, partition: number): string {
  return `${topicId}/${partition}/`;
}

export function segmentObjectKey(topicId: string, partition: number, baseOffset: bigint, object: SegmentObject): string {
  return partitionKeyPrefix(topicId, partition) + baseOffset.toString().padStart(20, '0') + SUFFIX[object];
}

/** Every key a segment may have stored (for deletion). */
export function segmentObjectKeys(topicId: string, partition: number, segment: Pick<RemoteSegment, 'baseOffset'>): string[] {
  return (['manifest', 'log', 'index', 'timeindex', 'txnindex'] as const).map((o) => segmentObjectKey(topicId, partition, segment.baseOffset, o));
}

interface RemoteSegmentJson { baseOffset: string; nextOffset: string; maxTimestamp: string; size: number; txnIndex: boolean }

export function segmentToJson(s: RemoteSegment): RemoteSegmentJson {
  return { baseOffset: String(s.baseOffset), nextOffset: String(s.nextOffset), maxTimestamp: String(s.maxTimestamp), size: s.size, txnIndex: s.txnIndex };
}

export function segmentFromJson(j: RemoteSegmentJson): RemoteSegment {
  const s = { baseOffset: BigInt(j.baseOffset), nextOffset: BigInt(j.nextOffset), maxTimestamp: BigInt(j.maxTimestamp), size: Number(j.size), txnIndex: j.txnIndex === true };
  if (!(s.nextOffset > s.baseOffset) || !Number.isSafeInteger(s.size) || s.size < 0) throw new Error(`bad remote segment ${JSON.stringify(j)}`);
  return s;
}

export function encodeRemoteRecord(record: RemoteRecord): Buffer {
  return Buffer.from(JSON.stringify({
    version: REMOTE_RECORD_VERSION,
    logStartOffset: String(record.logStartOffset),
    segments: record.segments.map(segmentToJson),
    pendingDeletes: record.pendingDeletes.map(segmentToJson),
  }));
}

/** Parses a record; throws on anything malformed (a half-written record never reaches the name: rename is atomic). */
export function decodeRemoteRecord(bytes: Buffer): RemoteRecord {
  const j = JSON.parse(bytes.toString('utf8')) as { version: number; logStartOffset: string; segments: RemoteSegmentJson[]; pendingDeletes: RemoteSegmentJson[] };
  if (j.version !== REMOTE_RECORD_VERSION) throw new Error(`remote record version ${j.version}, this broker reads ${REMOTE_RECORD_VERSION}`);
  const segments = j.segments.map(segmentFromJson);
  for (let i = 1; i < segments.length; i++) {
    if (segments[i]!.baseOffset !== segments[i - 1]!.nextOffset) throw new Error(`remote record: segment ${segments[i]!.baseOffset} does not follow ${segments[i - 1]!.nextOffset}`);
  }
  return { logStartOffset: BigInt(j.logStartOffset), segments, pendingDeletes: j.pendingDeletes.map(segmentFromJson) };
}

/** The record of a partition directory, or null when it has none (no segment was ever recorded). */
export function readRemoteRecordSync(partitionDir: string): RemoteRecord | null {
  let bytes: Buffer;
  try {
    bytes = readFileSync(join(partitionDir, REMOTE_RECORD_FILE));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
  return decodeRemoteRecord(bytes);
}

/**
 * Replaces the record durably: a temporary file written and fdatasynced, renamed over the record,
 * then the directory fsynced, so after a crash the name holds the old record or the new one whole.
 */
export function writeRemoteRecordSync(partitionDir: string, record: RemoteRecord): void {
  const path = join(partitionDir, REMOTE_RECORD_FILE);
  const tmp = `${path}.tmp`;
  const fd = openSync(tmp, 'w');
  try {
    writeSync(fd, encodeRemoteRecord(record));
    fdatasyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, path);
  const dirFd = openSync(partitionDir, 'r');
  try { fsyncSync(dirFd); } finally { closeSync(dirFd); }
}

/** The offset after the last recorded segment, or null when none is. */
export function remoteEndOffset(record: RemoteRecord): bigint | null {
  const last = record.segments[record.segments.length - 1];
  return last === undefined ? null : last.nextOffset;
}

/**
 * Tests only: HIGHWATER_TEST_TIER_CRASH names a step of tiering at which the process kills itself
 * (kill -9 semantics: no cleanup, no flush), so a regression can pin a crash between two steps.
 */
export function tierCrashPoint(point: string): void {
  if (process.env.HIGHWATER_TEST_TIER_CRASH === point) process.kill(process.pid, 'SIGKILL');
}
