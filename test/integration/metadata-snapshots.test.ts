// Metadata-log snapshots with real clients: a broker that snapshots its metadata every few KiB of
// log is given topics (with partitions added, configs altered, one deleted), dynamic broker
// configs, ACLs, SCRAM users and client quotas; after several snapshots and restarts it serves
// exactly the same metadata, the log below the newest snapshot is gone, and one snapshot is left.
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, expect, test } from 'vitest';
import { Admin } from '@platformatic/kafka';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ConfigResourceTypes, ResourcePatternTypes, type Kafka } from 'kafkajs';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import { STANDARD_AUTHORIZER_CLASS } from '../../src/config.ts';
import type { ClusterMetadata } from '../../src/metadata/cluster-metadata.ts';
import { METADATA_SNAPSHOT_DIR } from '../../src/metadata/metadata-snapshot.ts';
import { METADATA_TOPIC } from '../../src/metadata/metadata-log.ts';

const BASE = {
  listeners: 'PLAINTEXT://127.0.0.1:0,SASL_PLAINTEXT://127.0.0.1:0',
  saslEnabledMechanisms: 'SCRAM-SHA-256,SCRAM-SHA-512',
  authorizerClassName: STANDARD_AUTHORIZER_CLASS,
  superUsers: 'User:ANONYMOUS;User:admin',
  connectionFailedAuthenticationDelayMs: 0,
  // A snapshot every KiB of metadata log: every round below writes several.
  metadataLogMaxRecordBytesBetweenSnapshots: 1024,
  fsync: { kind: 'never' as const },
};

let tb: TestBroker | undefined;
afterAll(async () => { await tb?.destroy(); });

const plain = (b: TestBroker): Kafka => kafkajs(`127.0.0.1:${b.broker.listenerPort('PLAINTEXT')}`);

/** Everything the metadata image answers, comparable with toEqual (ACL/quota versions are counters, not state). */
function image(m: ClusterMetadata) {
  return {
    clusterId: m.clusterId,
    producerIdBlockEnd: m.producerIdBlockEnd,
    topics: [...m.topics].map((t) => ({ ...t, partitions: t.partitions.map((p) => ({ ...p })) })).sort((a, b) => a.name.localeCompare(b.name)),
    brokerConfigs: m.brokerConfigResources(),
    scram: m.scramUsers().sort().map((u) => [u, [...m.scramCredentials(u)!].sort()]),
    acls: [...m.acls],
    quotas: [...m.clientQuotas],
  };
}

function snapshotFiles(b: TestBroker): string[] {
  return readdirSync(path.join(b.dataDir, METADATA_SNAPSHOT_DIR)).sort();
}

function metadataSegments(b: TestBroker): bigint[] {
  return readdirSync(path.join(b.dataDir, `${METADATA_TOPIC}-0`)).filter((n) => /^\d{20}\.log$/.test(n)).map((n) => BigInt(n.slice(0, 20)));
}

const topicAcl = (resourceName: string, principal: string) => ({
  resourceType: AclResourceTypes.TOPIC, resourceName, resourcePatternType: ResourcePatternTypes.LITERAL,
  principal, host: '*', operation: AclOperationTypes.READ, permissionType: AclPermissionTypes.ALLOW,
});

async function scramLogin(b: TestBroker, mechanism: 'scram-sha-256' | 'scram-sha-512', username: string, password: string): Promise<string[]> {
  const sasl = mechanism === 'scram-sha-256' ? { mechanism, username, password } : { mechanism, username, password };
  const admin = kafkajs(`127.0.0.1:${b.broker.listenerPort('SASL_PLAINTEXT')}`, { sasl, retry: { retries: 0 } }).admin();
  await admin.connect();
  try {
    return (await admin.listTopics()).sort();
  } finally {
    await admin.disconnect();
  }
}

async function quotas(b: TestBroker) {
  const admin = new Admin({ clientId: 'snap-quotas', bootstrapBrokers: [`127.0.0.1:${b.broker.listenerPort('PLAINTEXT')}`] });
  try {
    const entries = await admin.describeClientQuotas({ components: [{ entityType: 'client-id', matchType: 2 }] });
    return entries.map((e) => ({ entity: e.entity, values: [...e.values].sort((x, y) => x.key.localeCompare(y.key)) }))
      .sort((x, y) => JSON.stringify(x.entity).localeCompare(JSON.stringify(y.entity)));
  } finally {
    await admin.close();
  }
}

/** What a client sees of topics, configs and ACLs. */
async function clientView(b: TestBroker) {
  const admin = plain(b).admin();
  await admin.connect();
  try {
    const names = (await admin.listTopics()).sort();
    const { topics } = await admin.fetchTopicMetadata({ topics: names });
    const configs = await admin.describeConfigs({
      resources: [...names.map((name) => ({ type: ConfigResourceTypes.TOPIC, name })), { type: ConfigResourceTypes.BROKER, name: '1' }],
      includeSynonyms: false,
    });
    const acls = await admin.describeAcls({
      resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY,
      operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY,
    });
    return {
      topics: topics.map((t) => [t.name, t.partitions.length]).sort(),
      dynamicConfigs: configs.resources.map((r) => [r.resourceName, r.configEntries.filter((e) => !e.isDefault).map((e) => `${e.configName}=${e.configValue}`).sort()]),
      acls: acls.resources.flatMap((r) => r.acls.map((a) => `${r.resourceName}:${a.principal}`)).sort(),
    };
  } finally {
    await admin.disconnect();
  }
}

test('topics, configs, ACLs, SCRAM users and quotas survive several snapshots and restarts', async () => {
  tb = await startBroker({ ...BASE, scramBootstrapCredentials: 'SCRAM-SHA-512=[name=admin,password=admin-secret]' });

  // Round 1.
  let admin = plain(tb).admin();
  await admin.connect();
  await admin.createTopics({
    topics: Array.from({ length: 12 }, (_, i) => ({ topic: `snap-${i}`, numPartitions: 1 + (i % 3), configEntries: [{ name: 'retention.ms', value: String(60_000 + i) }] })),
  });
  await admin.createPartitions({ topicPartitions: [{ topic: 'snap-0', count: 4 }] });
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: 'snap-1', configEntries: [{ name: 'cleanup.policy', value: 'compact' }] }] });
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configEntries: [{ name: 'log.retention.bytes', value: '123456789' }] }] });
  // Enough ACL records (one request, one batch) to fill more than one metadata segment.
  await admin.createAcls({ acl: Array.from({ length: 400 }, (_, i) => topicAcl(`snap-${i % 12}`, `User:reader-${i}`)) });
  await admin.deleteTopics({ topics: ['snap-11'] });
  await admin.disconnect();
  const quotaAdmin = new Admin({ clientId: 'snap-quotas', bootstrapBrokers: [`127.0.0.1:${tb.broker.listenerPort('PLAINTEXT')}`] });
  await quotaAdmin.alterClientQuotas({
    entries: [
      { entities: [{ entityType: 'client-id', entityName: 'app-1' }], ops: [{ key: 'producer_byte_rate', value: 100_000, remove: false }] },
      { entities: [{ entityType: 'client-id', entityName: 'app-2' }], ops: [{ key: 'consumer_byte_rate', value: 200_000, remove: false }, { key: 'request_percentage', value: 40, remove: false }] },
    ],
  });
  await quotaAdmin.close();

  const before1 = { image: image(tb.broker.metadata), client: await clientView(tb), quotas: await quotas(tb) };
  expect(before1.client.topics).toHaveLength(11);
  expect(before1.client.acls).toHaveLength(400);
  expect(before1.quotas).toHaveLength(2);

  // Restart, adding a SCRAM user (written at start as a bootstrap credential).
  tb = await tb.restart({ scramBootstrapCredentials: 'SCRAM-SHA-512=[name=admin,password=admin-secret];SCRAM-SHA-256=[name=bob,password=bob-secret]' });
  const snapshotsAfter1 = snapshotFiles(tb);
  expect(snapshotsAfter1).toHaveLength(1);
  // The 400 ACLs alone passed a 64 KiB segment: the log below the snapshot went with its segments.
  expect(metadataSegments(tb).every((base) => base > 0n)).toBe(true);
  const after1 = image(tb.broker.metadata);
  expect({ ...after1, scram: after1.scram.filter(([u]) => u !== 'bob') }).toEqual(before1.image);
  expect(await clientView(tb)).toEqual(before1.client);
  expect(await quotas(tb)).toEqual(before1.quotas);
  expect(await scramLogin(tb, 'scram-sha-512', 'admin', 'admin-secret')).toEqual(before1.client.topics.map(([n]) => n));
  // bob logs in (no ACL lets him see a topic); a wrong password does not.
  expect(await scramLogin(tb, 'scram-sha-256', 'bob', 'bob-secret')).toEqual([]);
  await expect(scramLogin(tb, 'scram-sha-256', 'bob', 'wrong')).rejects.toThrow();

  // Round 2: undo and redo some of it, so the snapshot must hold the result, not the history.
  admin = plain(tb).admin();
  await admin.connect();
  await admin.deleteTopics({ topics: ['snap-10', 'snap-9'] });
  await admin.createTopics({ topics: [{ topic: 'snap-9', numPartitions: 2, configEntries: [{ name: 'segment.bytes', value: '1048576' }] }] });
  await admin.createPartitions({ topicPartitions: [{ topic: 'snap-2', count: 6 }] });
  await admin.deleteAcls({ filters: [{ ...topicAcl('snap-3', 'User:reader-3'), resourcePatternType: ResourcePatternTypes.ANY }] });
  await admin.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.BROKER, name: '1', configEntries: [{ name: 'log.retention.bytes', value: '987654321' }] }] });
  await admin.disconnect();
  const quotaAdmin2 = new Admin({ clientId: 'snap-quotas', bootstrapBrokers: [`127.0.0.1:${tb.broker.listenerPort('PLAINTEXT')}`] });
  await quotaAdmin2.alterClientQuotas({
    entries: [
      { entities: [{ entityType: 'client-id', entityName: 'app-1' }], ops: [{ key: 'producer_byte_rate', remove: true }] },
      { entities: [{ entityType: 'client-id', entityName: 'app-2' }], ops: [{ key: 'request_percentage', value: 75, remove: false }] },
    ],
  });
  await quotaAdmin2.close();
  const before2 = { image: image(tb.broker.metadata), client: await clientView(tb), quotas: await quotas(tb) };
  expect(before2.client.topics).toHaveLength(10);
  expect(before2.client.acls).toHaveLength(399);
  expect(before2.quotas).toHaveLength(1);

  tb = await tb.restart();
  const snapshotsAfter2 = snapshotFiles(tb);
  expect(snapshotsAfter2).toHaveLength(1);
  expect(snapshotsAfter2[0]! > snapshotsAfter1[0]!).toBe(true);
  expect(image(tb.broker.metadata)).toEqual(before2.image);
  expect(await clientView(tb)).toEqual(before2.client);
  expect(await quotas(tb)).toEqual(before2.quotas);
  expect(await scramLogin(tb, 'scram-sha-256', 'bob', 'bob-secret')).toEqual([]);
  expect(await scramLogin(tb, 'scram-sha-512', 'admin', 'admin-secret')).toEqual(before2.client.topics.map(([n]) => n));
  // A producer id block taken before the restarts is not handed out again.
  const producerIdEnd = tb.broker.metadata.producerIdBlockEnd;
  const producer = plain(tb).producer({ idempotent: true });
  await producer.connect();
  await producer.send({ topic: 'snap-0', messages: [{ value: 'x' }] });
  await producer.disconnect();
  expect(tb.broker.metadata.producerIdBlockEnd).toBeGreaterThan(producerIdEnd);

  // Without the snapshot the log below it is gone for good: the broker refuses to start on what
  // is left rather than serve (and then write over) partial metadata.
  await tb.stop();
  rmSync(path.join(tb.dataDir, METADATA_SNAPSHOT_DIR), { recursive: true, force: true });
  await expect(startBroker({ ...BASE }, tb.dataDir)).rejects.toThrow(/no metadata snapshot covers the records below it/);
}, 120_000);
