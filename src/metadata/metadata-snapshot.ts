// Snapshots of the metadata image, so start-up need not replay the metadata log from its first
// record (Kafka's KRaft snapshots, metadata.log.max.record.bytes.between.snapshots). A snapshot
// is the list of MetadataRecords that rebuilds the whole ClusterMetadata, taken at a log offset:
// start-up applies the newest complete snapshot, then replays the log from that offset on.
//
//   <dataDir>/__highwater_metadata-snapshots/
//     00000000000000004242.snapshot       the image after every record below offset 4242
//     00000000000000009000.snapshot.tmp   being written (or left by a crash): deleted at start
//
// A snapshot file, big-endian:
//
//   +0  uint32 magic 0x4857534e ('HWSN')   +4  uint16 SNAPSHOT_VERSION   +6  uint16 zero
//   +8  int64  endOffset: the image holds every metadata record below it, none at or above
//   +16 uint32 body length in bytes        +20 uint32 CRC-32C of the body
//   +24 body: UTF-8 JSON array of MetadataRecord, applied in order to an empty ClusterMetadata
//
// Crash safety: written to <name>.tmp, fsynced, renamed to <name>, directory fsynced; only then
// is the log below endOffset deleted and older snapshots removed. A crash at any point leaves
// either the previous snapshot and the whole log after it, or the new snapshot complete.
import { mkdir, open, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { crc32c } from '../protocol/crc32c.ts';
import { syncDirectoryAsync } from '../wal/checkpoint.ts';
import type { ClusterMetadata, MetadataRecord } from './cluster-metadata.ts';
import { RESERVED_TOPIC_PREFIX } from './cluster-metadata.ts';

export const SNAPSHOT_VERSION = 1;
export const METADATA_SNAPSHOT_DIR = `${RESERVED_TOPIC_PREFIX}_metadata-snapshots`;
export const SNAPSHOT_SUFFIX = '.snapshot';
const TEMP_SUFFIX = '.tmp';
const SNAPSHOT_MAGIC = 0x4857534e;
const HEADER_BYTES = 24;
/** Kafka's metadata.log.max.record.bytes.between.snapshots default: 20 MiB. */
export const DEFAULT_MAX_RECORD_BYTES_BETWEEN_SNAPSHOTS = 20 * 1024 * 1024;

type Emit = (m: ClusterMetadata) => MetadataRecord[];

/**
 * How the snapshot covers each record type the log carries: the records that rebuild that part of
 * the image, or why a type needs none (its effect is folded into another type's records). A new
 * MetadataRecord type fails to compile here until the snapshot says how it is covered.
 */
const SNAPSHOT_COVERAGE = {
  'cluster': (m) => (m.clusterId ? [{ type: 'cluster', clusterId: m.clusterId }] : []),
  'producer-id-block': (m) => (m.producerIdBlockEnd > 0n ? [{ type: 'producer-id-block', end: String(m.producerIdBlockEnd) }] : []),
  // A topic as it is now: its id, every partition's stored shard, its configs.
  'create-topic': (m) => [...m.topics].map((t) => ({
    type: 'create-topic', name: t.name, topicId: t.topicId, configs: { ...t.configs }, shards: t.partitions.map((p) => p.shard),
  })),
  'add-partitions': 'folded into create-topic: its shards list every partition',
  'alter-configs': 'folded into create-topic: its configs are the current ones',
  'delete-topic': 'folded: a deleted topic is absent from the image',
  'broker-configs': (m) => m.brokerConfigResources().map(([resourceName, configs]) => ({ type: 'broker-configs', resourceName, configs: { ...configs } })),
  'scram-credential': (m) => m.scramUsers().flatMap((name) => [...m.scramCredentials(name)!].map(([mechanism, c]) => ({
    type: 'scram-credential', name, mechanism,
    salt: c.salt.toString('base64'), storedKey: c.storedKey.toString('base64'), serverKey: c.serverKey.toString('base64'), iterations: c.iterations,
  }))),
  'remove-scram-credential': 'folded: a removed credential is absent from the image',
  // In creation order (the map's order), under their ids, so DescribeAcls lists them as before.
  'acl': (m) => [...m.acls].map(([id, acl]) => ({ type: 'acl', id, acl: { ...acl } })),
  'remove-acl': 'folded: a removed ACL is absent from the image',
  'client-quota': (m) => [...m.clientQuotas.values()].flatMap(({ entity, quotas }) => Object.entries(quotas).map(([key, value]) => ({
    type: 'client-quota', entity: { ...entity }, key, value,
  }))),
} as const satisfies Record<MetadataRecord['type'], Emit | string>;

/** The records that rebuild `metadata` from nothing: the cluster id first, topics before the rest. */
export function snapshotRecords(metadata: ClusterMetadata): MetadataRecord[] {
  const out: MetadataRecord[] = [];
  for (const cover of Object.values(SNAPSHOT_COVERAGE) as (Emit | string)[]) {
    if (typeof cover !== 'string') out.push(...cover(metadata));
  }
  return out;
}

export interface MetadataSnapshot {
  endOffset: bigint;
  records: MetadataRecord[];
}

export function encodeSnapshot(snapshot: MetadataSnapshot): Buffer {
  const body = Buffer.from(JSON.stringify(snapshot.records), 'utf8');
  const header = Buffer.alloc(HEADER_BYTES);
  header.writeUInt32BE(SNAPSHOT_MAGIC, 0);
  header.writeUInt16BE(SNAPSHOT_VERSION, 4);
  header.writeBigInt64BE(snapshot.endOffset, 8);
  header.writeUInt32BE(body.length, 16);
  header.writeUInt32BE(crc32c(body), 20);
  return Buffer.concat([header, body]);
}

/** The snapshot in `buf`, or why it is not a complete, intact one. */
export function decodeSnapshot(buf: Buffer): MetadataSnapshot | { error: string } {
  if (buf.length < HEADER_BYTES) return { error: `${buf.length} bytes, shorter than the header` };
  if (buf.readUInt32BE(0) !== SNAPSHOT_MAGIC) return { error: 'bad magic' };
  const version = buf.readUInt16BE(4);
  if (version !== SNAPSHOT_VERSION) return { error: `unknown version ${version}` };
  const length = buf.readUInt32BE(16);
  if (buf.length !== HEADER_BYTES + length) return { error: `body of ${buf.length - HEADER_BYTES} bytes, header says ${length}` };
  const body = buf.subarray(HEADER_BYTES);
  if (crc32c(body) !== buf.readUInt32BE(20)) return { error: 'CRC-32C mismatch' };
  let records: unknown;
  try {
    records = JSON.parse(body.toString('utf8'));
  } catch (err) {
    return { error: `body is not JSON: ${(err as Error).message}` };
  }
  if (!Array.isArray(records)) return { error: 'body is not an array' };
  return { endOffset: buf.readBigInt64BE(8), records: records as MetadataRecord[] };
}

export function snapshotFileName(endOffset: bigint): string {
  return `${endOffset.toString().padStart(20, '0')}${SNAPSHOT_SUFFIX}`;
}

/**
 * Tests only: HIGHWATER_TEST_METADATA_SNAPSHOT_CRASH names a step at which the process kills
 * itself (kill -9 semantics), so start-up can be checked after a crash at each point of writing a
 * snapshot. Unset in production.
 */
export type SnapshotCrashPoint = 'mid-write' | 'before-rename' | 'before-log-delete' | 'before-old-snapshot-delete';

export function snapshotCrashPoint(point: SnapshotCrashPoint): void {
  if (process.env.HIGHWATER_TEST_METADATA_SNAPSHOT_CRASH === point) process.kill(process.pid, 'SIGKILL');
}

/** The snapshot directory of one data dir. */
export class MetadataSnapshots {
  readonly dir: string;

  constructor(dataDir: string) {
    this.dir = path.join(dataDir, METADATA_SNAPSHOT_DIR);
  }

  /**
   * The newest intact snapshot, or null when there is none. Left-over temp files are deleted; a
   * damaged snapshot (which the rename protocol never leaves, but a disk may) is reported to
   * `warn` and the next older one tried.
   */
  async loadNewest(warn: (file: string, reason: string) => void): Promise<MetadataSnapshot | null> {
    let names: string[];
    try {
      names = await readdir(this.dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    for (const name of names.filter((n) => n.endsWith(TEMP_SUFFIX))) await rm(path.join(this.dir, name), { force: true });
    const complete = names.filter((n) => /^\d{20}\.snapshot$/.test(n)).sort().reverse();
    for (const name of complete) {
      const decoded = decodeSnapshot(await readFile(path.join(this.dir, name)));
      if ('error' in decoded) {
        warn(name, decoded.error);
        continue;
      }
      return decoded;
    }
    return null;
  }

  /** Writes a snapshot durably (temp file, fsync, rename, directory fsync); resolves once it is. */
  async write(snapshot: MetadataSnapshot): Promise<void> {
    await mkdir(this.dir, { recursive: true });
    const final = path.join(this.dir, snapshotFileName(snapshot.endOffset));
    const temp = final + TEMP_SUFFIX;
    const bytes = encodeSnapshot(snapshot);
    const handle = await open(temp, 'w');
    try {
      const half = Math.floor(bytes.length / 2);
      await handle.write(bytes, 0, half, 0);
      if (process.env.HIGHWATER_TEST_METADATA_SNAPSHOT_CRASH) {
        await handle.sync();
        snapshotCrashPoint('mid-write');
      }
      await handle.write(bytes, half, bytes.length - half, half);
      await handle.sync();
    } finally {
      await handle.close();
    }
    snapshotCrashPoint('before-rename');
    await rename(temp, final);
    await syncDirectoryAsync(this.dir);
  }

  /** Deletes every snapshot older than the one at `endOffset` (which must be durable by now). */
  async deleteOlderThan(endOffset: bigint): Promise<void> {
    const names = await readdir(this.dir);
    let deleted = 0;
    for (const name of names) {
      if (!/^\d{20}\.snapshot$/.test(name) || BigInt(name.slice(0, 20)) >= endOffset) continue;
      await rm(path.join(this.dir, name), { force: true });
      deleted++;
    }
    if (deleted > 0) await syncDirectoryAsync(this.dir);
  }
}
