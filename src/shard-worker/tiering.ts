// Tiered storage on the owning shard: the remote record of a partition (which segments are remote),
// what may be uploaded, local deletion after upload, retention and DeleteRecords over both tiers,
// and the two log starts it publishes. The object-store I/O is the main thread's tier manager's;
// the shard stays the only writer of the partition's files, record and slot (DESIGN §1, §2).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import type { LogConfig } from '../segments/log-config.ts';
import {
  REMOTE_RECORD_FILE, readRemoteRecordSync, remoteEndOffset, segmentFromJson, segmentToJson, tierCrashPoint, writeRemoteRecordSync, type RemoteRecord, type RemoteSegment,
} from '../segments/remote-record.ts';
import type { TierAction, TierStatusBody } from '../shared-mem/shard-messages.ts';
import type { PartitionLog } from '../wal/partition-log.ts';

/** Upload candidates handed out per status call: the tier manager asks again when done. */
const MAX_CANDIDATES = 4;

/**
 * The partition's remote record: loaded when the topic is remote-enabled or a record exists (a
 * topic cannot turn remote storage off, LogConfig's rule), else null (no tiering).
 */
export function loadRemoteRecord(log: PartitionLog, config: LogConfig): RemoteRecord | null {
  const record = readRemoteRecordSync(log.partitionDir);
  if (record !== null) return record;
  return config.remoteStorageEnable ? { logStartOffset: log.logStartOffset, segments: [], pendingDeletes: [] } : null;
}

/** The log start offset over both tiers: the record's while segments are remote, else the local one. */
export function globalLogStartOffset(log: PartitionLog, remote: RemoteRecord | null): bigint {
  if (remote === null || remote.segments.length === 0) return log.logStartOffset;
  return remote.logStartOffset < log.logStartOffset ? remote.logStartOffset : log.logStartOffset;
}

interface Tiered {
  topic: string;
  partition: number;
  log: PartitionLog;
  config: LogConfig;
  remote: RemoteRecord | null;
}

/** What the tier manager needs to know: the next segments to upload, objects to delete, the lag. */
export function tierStatus(owned: Tiered, lastStableOffset: bigint): TierStatusBody {
  const remote = owned.remote!;
  const log = owned.log;
  const end = remoteEndOffset(remote);
  const globalStart = globalLogStartOffset(log, remote);
  const candidates: TierStatusBody['candidates'] = [];
  let expected = end;
  for (const s of log.uploadableSegments(lastStableOffset)) {
    if (candidates.length >= MAX_CANDIDATES) break;
    if (s.nextOffset <= globalStart) continue;
    if (expected !== null && s.baseOffset < expected) continue; // already remote
    if (expected !== null && s.baseOffset !== expected) break; // a hole: nothing past it until it is filled
    candidates.push({ ...segmentToJson({ ...s, txnIndex: false }), files: s.files });
    expected = s.nextOffset;
  }
  let lagBytes = 0;
  let lagOffsets = 0n;
  for (const s of log.rolledSegments()) {
    if (end !== null && s.nextOffset <= end) continue;
    lagBytes += s.size;
    lagOffsets += s.nextOffset - s.baseOffset;
  }
  let remoteBytes = 0;
  for (const s of remote.segments) remoteBytes += s.size;
  return {
    candidates, pendingDeletes: remote.pendingDeletes.map(segmentToJson), lagOffsets: String(lagOffsets), lagBytes,
    remoteSegments: remote.segments.length, remoteBytes, logStartOffset: String(globalStart), localLogStartOffset: String(log.logStartOffset),
  };
}

/**
 * Applies a tier manager action. `recorded` appends the segment to the record when it continues
 * it (a segment that no longer belongs to the log, after DeleteRecords or retention, goes to the
 * pending deletions instead, so its objects are removed); then local retention may delete local
 * copies. Returns whether the log starts may have moved (the caller publishes); 'log-start-lowered'
 * after `adopt`, which extends the log below the published log start.
 */
export function applyTierAction(owned: Tiered, action: TierAction, nowMs: bigint, logger: Logger): boolean | 'log-start-lowered' {
  const remote = owned.remote;
  if (remote === null) throw new Error(`${owned.topic}-${owned.partition} is not remote-enabled`);
  switch (action.kind) {
    case 'status':
      return false;
    case 'recorded': {
      const segment = segmentFromJson(action.segment);
      const end = remoteEndOffset(remote);
      if (remote.segments.some((s) => s.baseOffset === segment.baseOffset)) return false;
      const continues = end === null ? segment.nextOffset > globalLogStartOffset(owned.log, remote) : segment.baseOffset === end;
      if (!continues) {
        remote.pendingDeletes.push(segment);
        writeRemoteRecordSync(owned.log.partitionDir, remote);
        return false;
      }
      if (remote.segments.length === 0) remote.logStartOffset = globalLogStartOffset(owned.log, remote) > segment.baseOffset ? globalLogStartOffset(owned.log, remote) : segment.baseOffset;
      remote.segments.push(segment);
      writeRemoteRecordSync(owned.log.partitionDir, remote);
      tierCrashPoint('after-record');
      applyLocalRetention(owned, nowMs, logger);
      return true;
    }
    case 'adopt': {
      // Only into an empty record, a contiguous chain that reaches the local log start from below
      // it: then every offset below the local log start is served from exactly these segments.
      // Never over a record that exists: its segments were dropped on purpose (retention), and
      // their objects may still wait in pendingDeletes.
      if (remote.segments.length > 0 || action.segments.length === 0 || existsSync(join(owned.log.partitionDir, REMOTE_RECORD_FILE))) return false;
      const chain = action.segments.map(segmentFromJson);
      for (let i = 1; i < chain.length; i++) if (chain[i]!.baseOffset !== chain[i - 1]!.nextOffset) return false;
      const localStart = owned.log.logStartOffset;
      if (!(chain[0]!.baseOffset < localStart && chain[chain.length - 1]!.nextOffset >= localStart)) return false;
      remote.segments = chain;
      remote.logStartOffset = chain[0]!.baseOffset;
      writeRemoteRecordSync(owned.log.partitionDir, remote);
      logger.warn({ topic: owned.topic, partition: owned.partition, segments: chain.length, logStartOffset: String(remote.logStartOffset) },
        'rebuilt the remote record from the uploaded manifests');
      return 'log-start-lowered';
    }
    case 'deleted': {
      const gone = new Set(action.baseOffsets);
      const before = remote.pendingDeletes.length;
      remote.pendingDeletes = remote.pendingDeletes.filter((s) => !gone.has(String(s.baseOffset)));
      if (remote.pendingDeletes.length !== before) writeRemoteRecordSync(owned.log.partitionDir, remote);
      return false;
    }
  }
}

const effective = (local: number, total: number): number => (local === -2 ? total : local);

/**
 * Deletes local copies of recorded segments past local.retention.ms / local.retention.bytes
 * (-2: retention.*), oldest first, never one not yet recorded remote. The local log start rises
 * to the first segment left.
 */
export function applyLocalRetention(owned: Tiered, nowMs: bigint, logger: Logger): number {
  const remote = owned.remote!;
  const end = remoteEndOffset(remote);
  if (end === null) return 0;
  const localMs = effective(owned.config.localRetentionMs, owned.config.retentionMs);
  const localBytes = effective(owned.config.localRetentionBytes, owned.config.retentionBytes);
  let excess = localBytes >= 0 ? owned.log.logEndBytes - localBytes : -1;
  const cutoff = localMs >= 0 ? nowMs - BigInt(localMs) : null;
  const deleted = owned.log.deleteLocalLeading((segment) => {
    if (segment.nextOffset > end) return false;
    const byTime = cutoff !== null && segment.maxTimestamp < cutoff;
    const bySize = excess >= 0 && excess - segment.size >= 0;
    if (!byTime && !bySize) return false;
    excess -= segment.size;
    tierCrashPoint('before-local-delete');
    return true;
  });
  if (deleted.count > 0) {
    logger.info({ topic: owned.topic, partition: owned.partition, segments: deleted.count, bytes: deleted.bytes, localLogStartOffset: String(owned.log.logStartOffset) },
      'deleted local copies of uploaded segments');
  }
  return deleted.count;
}

/**
 * retention.ms / retention.bytes over the whole log (remote and local): the oldest remote
 * segments past them leave the record (into the pending deletions, whose objects the tier
 * manager deletes) and the log start rises; local copies below it go too; then local retention.
 * Returns whether anything changed.
 */
export function applyTieredRetention(owned: Tiered, nowMs: bigint, logger: Logger): boolean {
  const remote = owned.remote!;
  const log = owned.log;
  const config = owned.config;
  const dropped: RemoteSegment[] = [];
  const localStart = log.logStartOffset;
  // Bytes of the whole log: remote segments below the local log start, plus every local segment.
  let total = log.logEndBytes;
  for (const s of remote.segments) if (s.baseOffset < localStart) total += s.size;
  const cutoff = config.retentionMs >= 0 ? nowMs - BigInt(config.retentionMs) : null;
  while (remote.segments.length > 0) {
    const first = remote.segments[0]!;
    const byTime = cutoff !== null && first.maxTimestamp < cutoff;
    const bySize = config.retentionBytes >= 0 && total - first.size >= config.retentionBytes;
    const belowStart = first.nextOffset <= remote.logStartOffset;
    if (!byTime && !bySize && !belowStart) break;
    remote.segments.shift();
    dropped.push(first);
    if (first.baseOffset < localStart) total -= first.size;
  }
  if (dropped.length > 0) {
    const newStart = dropped[dropped.length - 1]!.nextOffset;
    if (newStart > remote.logStartOffset) remote.logStartOffset = newStart;
    remote.pendingDeletes.push(...dropped);
    // The record first: after a crash the objects are deleted again from pendingDeletes.
    writeRemoteRecordSync(log.partitionDir, remote);
    tierCrashPoint('after-remote-drop');
    logger.info({ topic: owned.topic, partition: owned.partition, segments: dropped.length, logStartOffset: String(remote.logStartOffset) }, 'retention dropped remote segments');
    // Local copies of what left the log go with it.
    if (remote.logStartOffset > log.logStartOffset) log.deleteRecordsBefore(remote.logStartOffset < log.logEndOffset ? remote.logStartOffset : log.logEndOffset);
  }
  const local = applyLocalRetention(owned, nowMs, logger);
  return dropped.length > 0 || local > 0;
}

/**
 * DeleteRecords over both tiers: the log start rises to `offset`; remote segments wholly below it
 * leave the record (objects deleted by the tier manager), local ones are deleted.
 */
export function deleteRecordsTiered(owned: Tiered, offset: bigint): void {
  const remote = owned.remote!;
  const log = owned.log;
  if (remote.segments.length > 0 && offset > remote.logStartOffset) {
    const dropped = [];
    while (remote.segments.length > 0 && remote.segments[0]!.nextOffset <= offset) dropped.push(remote.segments.shift()!);
    remote.logStartOffset = offset;
    remote.pendingDeletes.push(...dropped);
    writeRemoteRecordSync(log.partitionDir, remote);
    tierCrashPoint('after-remote-drop');
  }
  if (offset > log.logStartOffset) log.deleteRecordsBefore(offset);
}
