// Snapshot round trip: the records a snapshot holds rebuild the same ClusterMetadata image, every
// record type included (topics, partitions, ids, configs, broker configs, producer ids, SCRAM,
// ACLs, quotas), and the file format refuses what is not a complete, intact snapshot.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ClusterMetadata, type MetadataRecord } from '../../../src/metadata/cluster-metadata.ts';
import {
  decodeSnapshot, encodeSnapshot, MetadataSnapshots, snapshotFileName, snapshotRecords,
} from '../../../src/metadata/metadata-snapshot.ts';

const acl = (resourceName: string, operation: number) => ({ resourceType: 2, resourceName, patternType: 3, principal: 'User:alice', host: '*', operation, permissionType: 3 });

/** A history that uses every record type, including ones whose effect a snapshot folds away. */
const HISTORY: MetadataRecord[] = [
  { type: 'cluster', clusterId: 'abcdefghijklmnopqrstuv' },
  { type: 'producer-id-block', end: '1000' },
  { type: 'producer-id-block', end: '2000' },
  { type: 'create-topic', name: 'orders', topicId: '11111111-1111-1111-1111-111111111111', configs: { 'retention.ms': '1000' }, shards: [0, 1] },
  { type: 'add-partitions', topicId: '11111111-1111-1111-1111-111111111111', shards: [1, 0, 1] },
  { type: 'alter-configs', topicId: '11111111-1111-1111-1111-111111111111', configs: { 'retention.ms': null, 'cleanup.policy': 'compact' } },
  { type: 'create-topic', name: 'gone', topicId: '22222222-2222-2222-2222-222222222222', configs: {}, shards: [0] },
  { type: 'delete-topic', topicId: '22222222-2222-2222-2222-222222222222' },
  { type: 'create-topic', name: 'gone', topicId: '33333333-3333-3333-3333-333333333333', configs: { 'segment.bytes': '1048576' }, shards: [1] },
  { type: 'broker-configs', resourceName: '', configs: { 'log.retention.ms': '5000', 'compression.type': 'lz4' } },
  { type: 'broker-configs', resourceName: '1', configs: { 'log.retention.ms': '6000' } },
  { type: 'broker-configs', resourceName: '', configs: { 'compression.type': null } },
  { type: 'scram-credential', name: 'alice', mechanism: 'SCRAM-SHA-256', salt: 'c2FsdA==', storedKey: 'c3RvcmVk', serverKey: 'c2VydmVy', iterations: 4096 },
  { type: 'scram-credential', name: 'alice', mechanism: 'SCRAM-SHA-512', salt: 'c2FsdDI=', storedKey: 'c3RvcmVkMg==', serverKey: 'c2VydmVyMg==', iterations: 8192 },
  { type: 'scram-credential', name: 'bob', mechanism: 'SCRAM-SHA-256', salt: 'Ym9i', storedKey: 'Ym9iMQ==', serverKey: 'Ym9iMg==', iterations: 4096 },
  { type: 'remove-scram-credential', name: 'bob', mechanism: 'SCRAM-SHA-256' },
  { type: 'scram-credential', name: 'alice', mechanism: 'SCRAM-SHA-256', salt: 'bmV3', storedKey: 'bmV3MQ==', serverKey: 'bmV3Mg==', iterations: 4096 },
  { type: 'acl', id: 'a1', acl: acl('orders', 3) },
  { type: 'acl', id: 'a2', acl: acl('gone', 2) },
  { type: 'acl', id: 'a3', acl: acl('*', 4) },
  { type: 'remove-acl', id: 'a2' },
  { type: 'client-quota', entity: { user: 'alice' }, key: 'producer_byte_rate', value: 1024 },
  { type: 'client-quota', entity: { user: 'alice', 'client-id': null }, key: 'consumer_byte_rate', value: 2048 },
  { type: 'client-quota', entity: { 'client-id': 'app' }, key: 'request_percentage', value: 50 },
  { type: 'client-quota', entity: { 'client-id': 'app' }, key: 'request_percentage', value: null },
  { type: 'client-quota', entity: { user: 'alice' }, key: 'consumer_byte_rate', value: 4096 },
];

function build(records: MetadataRecord[]): ClusterMetadata {
  const m = new ClusterMetadata(2);
  for (const r of records) m.apply(r);
  return m;
}

/** Everything the image answers, in comparable form. */
function image(m: ClusterMetadata) {
  return {
    clusterId: m.clusterId,
    producerIdBlockEnd: m.producerIdBlockEnd,
    topics: [...m.topics].map((t) => ({ ...t, byId: m.topicById(t.topicId)?.name })),
    brokerConfigs: m.brokerConfigResources(),
    scram: m.scramUsers().map((u) => [u, [...m.scramCredentials(u)!]]),
    acls: [...m.acls],
    quotas: [...m.clientQuotas],
  };
}

describe('metadata snapshot', () => {
  it('rebuilds the same image, every record type included', () => {
    const original = build(HISTORY);
    const records = snapshotRecords(original);
    const restored = build(records);
    expect(image(restored)).toEqual(image(original));
    // The history's facts, spelled out, so an image that lost something on both sides still fails.
    expect(restored.clusterId).toBe('abcdefghijklmnopqrstuv');
    expect(restored.producerIdBlockEnd).toBe(2000n);
    const orders = restored.topicByName('orders')!;
    expect(orders.topicId).toBe('11111111-1111-1111-1111-111111111111');
    expect(orders.partitions.map((p) => p.shard)).toEqual([0, 1, 1, 0, 1]);
    expect(orders.configs).toEqual({ 'cleanup.policy': 'compact' });
    expect(restored.topicByName('gone')!.topicId).toBe('33333333-3333-3333-3333-333333333333');
    expect(restored.topicById('22222222-2222-2222-2222-222222222222')).toBeUndefined();
    expect(restored.brokerConfigs('')).toEqual({ 'log.retention.ms': '5000' });
    expect(restored.brokerConfigs('1')).toEqual({ 'log.retention.ms': '6000' });
    expect(restored.scramUsers()).toEqual(['alice']);
    expect(restored.scramCredentials('alice')!.get('SCRAM-SHA-256')!.salt.toString()).toBe('new');
    expect(restored.scramCredentials('alice')!.get('SCRAM-SHA-512')!.iterations).toBe(8192);
    expect([...restored.acls.keys()]).toEqual(['a1', 'a3']);
    expect([...restored.clientQuotas.values()].map((q) => [q.entity, q.quotas])).toEqual([
      [{ user: 'alice' }, { producer_byte_rate: 1024, consumer_byte_rate: 4096 }],
      [{ user: 'alice', 'client-id': null }, { consumer_byte_rate: 2048 }],
    ]);
  });

  it('is a fixed point: a snapshot of a restored image is the same snapshot', () => {
    const records = snapshotRecords(build(HISTORY));
    expect(snapshotRecords(build(records))).toEqual(records);
  });

  it('an empty image snapshots to nothing', () => {
    expect(snapshotRecords(new ClusterMetadata(1))).toEqual([]);
  });

  it('encodes and decodes, and refuses a torn or damaged file', () => {
    const records = snapshotRecords(build(HISTORY));
    const bytes = encodeSnapshot({ endOffset: 4242n, records });
    expect(decodeSnapshot(bytes)).toEqual({ endOffset: 4242n, records });
    expect(decodeSnapshot(bytes.subarray(0, bytes.length - 1))).toHaveProperty('error');
    expect(decodeSnapshot(bytes.subarray(0, 10))).toHaveProperty('error');
    const flipped = Buffer.from(bytes);
    flipped[flipped.length - 5]! ^= 0x01;
    expect(decodeSnapshot(flipped)).toEqual({ error: 'CRC-32C mismatch' });
  });
});

describe('MetadataSnapshots directory', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const dataDir = () => {
    const d = mkdtempSync(path.join(tmpdir(), 'highwater-snap-'));
    dirs.push(d);
    return d;
  };

  it('loads the newest complete snapshot, skipping a damaged one and removing temp files', async () => {
    const snapshots = new MetadataSnapshots(dataDir());
    expect(await snapshots.loadNewest(() => undefined)).toBeNull();
    const older = snapshotRecords(build(HISTORY.slice(0, 5)));
    await snapshots.write({ endOffset: 5n, records: older });
    await snapshots.write({ endOffset: 9n, records: snapshotRecords(build(HISTORY.slice(0, 9))) });
    // A damaged newer snapshot and a temp file a crash left behind.
    writeFileSync(path.join(snapshots.dir, snapshotFileName(20n)), Buffer.from('torn'));
    writeFileSync(path.join(snapshots.dir, `${snapshotFileName(30n)}.tmp`), encodeSnapshot({ endOffset: 30n, records: [] }).subarray(0, 30));
    const warned: string[] = [];
    const loaded = await snapshots.loadNewest((file) => warned.push(file));
    expect(loaded?.endOffset).toBe(9n);
    expect(warned).toEqual([snapshotFileName(20n)]);
    expect(readdirSync(snapshots.dir).some((n) => n.endsWith('.tmp'))).toBe(false);
    await snapshots.deleteOlderThan(9n);
    expect(readdirSync(snapshots.dir).sort()).toEqual([snapshotFileName(9n), snapshotFileName(20n)]);
  });
});
