// ACLs over SASL/PLAIN with real clients: a super user grants ACLs with KafkaJS's admin API, a
// principal with them produces, consumes in a group, creates and deletes topics, and a principal
// without them on the same broker is refused each of those with the error Kafka gives
// (TOPIC_AUTHORIZATION_FAILED, GROUP_AUTHORIZATION_FAILED), and does not see the topics in Metadata.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { AclOperationTypes, AclPermissionTypes, AclResourceTypes, ResourcePatternTypes, type Kafka } from 'kafkajs';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import { STANDARD_AUTHORIZER_CLASS } from '../../src/config.ts';

let tb: TestBroker;
const as = (username: string): Kafka => kafkajs(tb.bootstrap, {
  sasl: { mechanism: 'plain', username, password: `${username}-secret` },
  retry: { retries: 0 },
});

const allow = (resourceType: AclResourceTypes, resourceName: string, principal: string, operation: AclOperationTypes, resourcePatternType = ResourcePatternTypes.LITERAL) =>
  ({ resourceType, resourceName, resourcePatternType, principal, host: '*', operation, permissionType: AclPermissionTypes.ALLOW });

beforeAll(async () => {
  tb = await startBroker({
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
    saslEnabledMechanisms: 'PLAIN',
    scramBootstrapCredentials: ['admin', 'alice', 'mallory'].map((u) => `SCRAM-SHA-512=[name=${u},password=${u}-secret]`).join(';'),
    connectionFailedAuthenticationDelayMs: 0,
    authorizerClassName: STANDARD_AUTHORIZER_CLASS,
    superUsers: 'User:admin',
  });
  const admin = as('admin').admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'acl-shared', numPartitions: 2 }] });
  await admin.createAcls({
    acl: [
      // alice: everything on acl-* topics, her group.
      allow(AclResourceTypes.TOPIC, 'acl-', 'User:alice', AclOperationTypes.ALL, ResourcePatternTypes.PREFIXED),
      allow(AclResourceTypes.GROUP, 'alice-group', 'User:alice', AclOperationTypes.READ),
      // mallory: may see acl-shared and the groups, so each refusal comes from the API under test.
      allow(AclResourceTypes.TOPIC, 'acl-shared', 'User:mallory', AclOperationTypes.DESCRIBE),
      allow(AclResourceTypes.GROUP, 'mallory-denied', 'User:mallory', AclOperationTypes.DESCRIBE),
      allow(AclResourceTypes.GROUP, 'mallory-reader', 'User:mallory', AclOperationTypes.READ),
    ],
  });
  await admin.disconnect();
});
afterAll(async () => { await tb?.destroy(); });

/** The Kafka error name a KafkaJS call failed with (its `type`), or 'none'. */
async function errorOf(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
    return 'none';
  } catch (err) {
    const e = err as { type?: string; errors?: { type?: string }[]; originalError?: { type?: string }; message: string };
    return e.type ?? e.errors?.[0]?.type ?? e.originalError?.type ?? e.message;
  }
}

test('describeAcls lists what the super user created', async () => {
  const admin = as('admin').admin();
  await admin.connect();
  const found = await admin.describeAcls({
    resourceType: AclResourceTypes.ANY, resourcePatternType: ResourcePatternTypes.ANY,
    operation: AclOperationTypes.ANY, permissionType: AclPermissionTypes.ANY, principal: 'User:alice',
  });
  await admin.disconnect();
  const names = found.resources.map((r) => `${r.resourceType}:${r.resourcePatternType}:${r.resourceName}`).sort();
  expect(names).toEqual([`${AclResourceTypes.TOPIC}:${ResourcePatternTypes.PREFIXED}:acl-`, `${AclResourceTypes.GROUP}:${ResourcePatternTypes.LITERAL}:alice-group`].sort());
});

test('an authorized principal creates a topic, produces, consumes in a group and deletes the topic', async () => {
  const kafka = as('alice');
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'acl-alice', numPartitions: 2 }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'acl-alice', messages: [{ value: 'a', partition: 0 }, { value: 'b', partition: 1 }] });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: 'alice-group', retry: { retries: 0 } });
  await consumer.connect();
  await consumer.subscribe({ topic: 'acl-alice', fromBeginning: true });
  const seen: string[] = [];
  await new Promise<void>((resolve, reject) => {
    consumer.on(consumer.events.CRASH, (e) => reject(e.payload.error));
    void consumer.run({ eachMessage: async ({ message }) => { seen.push(String(message.value)); if (seen.length === 2) resolve(); } });
  });
  await consumer.disconnect();
  expect(seen.sort()).toEqual(['a', 'b']);
  await admin.deleteTopics({ topics: ['acl-alice'] });
  expect(await admin.listTopics()).not.toContain('acl-alice');
  await admin.disconnect();
});

test('a principal without ACLs cannot create a topic: TOPIC_AUTHORIZATION_FAILED', async () => {
  const admin = as('mallory').admin();
  await admin.connect();
  expect(await errorOf(() => admin.createTopics({ topics: [{ topic: 'mallory-topic' }] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
  await admin.disconnect();
  expect(tb.broker.metadata.topicByName('mallory-topic')).toBeUndefined();
});

test('a principal without DELETE cannot delete a topic: TOPIC_AUTHORIZATION_FAILED', async () => {
  const admin = as('mallory').admin();
  await admin.connect();
  expect(await errorOf(() => admin.deleteTopics({ topics: ['acl-shared'] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
  await admin.disconnect();
  expect(tb.broker.metadata.topicByName('acl-shared')).toBeDefined();
});

test('a principal without WRITE cannot produce: TOPIC_AUTHORIZATION_FAILED, nothing appended', async () => {
  const producer = as('mallory').producer({ retry: { retries: 0 } });
  await producer.connect();
  expect(await errorOf(() => producer.send({ topic: 'acl-shared', messages: [{ value: 'x', partition: 0 }] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
  await producer.disconnect();
  expect(tb.broker.highWatermark(tb.broker.partition('acl-shared', 0)!)).toBe(0n);
});

test('a principal without READ on the group cannot join it: GROUP_AUTHORIZATION_FAILED', async () => {
  const consumer = as('mallory').consumer({ groupId: 'mallory-denied', retry: { retries: 0 } });
  await consumer.connect();
  await consumer.subscribe({ topic: 'acl-shared' });
  const crashed = new Promise<string>((resolve) => consumer.on(consumer.events.CRASH, (e) => resolve((e.payload.error as { type?: string }).type ?? e.payload.error.message)));
  void consumer.run({ eachMessage: async () => undefined }).catch(() => undefined);
  expect(await crashed).toBe('GROUP_AUTHORIZATION_FAILED');
  await consumer.disconnect();
});

test('a principal without READ on the topic cannot consume it: TOPIC_AUTHORIZATION_FAILED', async () => {
  const admin = as('admin').producer();
  await admin.connect();
  await admin.send({ topic: 'acl-shared', messages: [{ value: 'secret', partition: 1 }] });
  await admin.disconnect();
  const consumer = as('mallory').consumer({ groupId: 'mallory-reader', retry: { retries: 0 } });
  await consumer.connect();
  await consumer.subscribe({ topic: 'acl-shared', fromBeginning: true });
  const got: string[] = [];
  const crashed = new Promise<string>((resolve) => consumer.on(consumer.events.CRASH, (e) => resolve((e.payload.error as { type?: string }).type ?? e.payload.error.message)));
  void consumer.run({ eachMessage: async ({ message }) => { got.push(String(message.value)); } }).catch(() => undefined);
  // The fetcher's crash carries KafkaJS's text for error code 29 (TOPIC_AUTHORIZATION_FAILED), not its type.
  expect(await crashed).toBe('Not authorized to access topics: [Topic authorization failed]');
  await consumer.disconnect();
  expect(got).toEqual([]);
});

test('Metadata hides topics the principal may not DESCRIBE, and refuses them by name', async () => {
  const admin = as('mallory').admin();
  await admin.connect();
  const listed = await admin.listTopics();
  expect(listed).toContain('acl-shared');
  expect(listed).not.toContain('__consumer_offsets');
  await admin.disconnect();
  const alice = as('alice').admin();
  await alice.connect();
  await alice.createTopics({ topics: [{ topic: 'acl-hidden' }] });
  await alice.disconnect();
  const again = as('mallory').admin();
  await again.connect();
  expect(await again.listTopics()).not.toContain('acl-hidden');
  expect(await errorOf(() => again.fetchTopicMetadata({ topics: ['acl-hidden'] }))).toBe('TOPIC_AUTHORIZATION_FAILED');
  await again.disconnect();
});

test('denials are counted in the metrics', async () => {
  const text = await tb.broker.metrics.registry.metrics();
  expect(text).toMatch(/highwater_authorization_denials_total\{operation="WRITE",resource_type="topic"\} [1-9]/);
  expect(text).toMatch(/highwater_authorization_denials_total\{operation="READ",resource_type="group"\} [1-9]/);
});
