// SASL_PLAINTEXT: KafkaJS and @platformatic/kafka authenticate with PLAIN, SCRAM-SHA-256 and
// SCRAM-SHA-512 against credentials bootstrapped into the metadata log, then produce and consume;
// wrong passwords and unknown users are refused with SASL_AUTHENTICATION_FAILED as Kafka words it.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Admin, Producer } from '@platformatic/kafka';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';

let tb: TestBroker;
beforeAll(async () => {
  tb = await startBroker({
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
    saslEnabledMechanisms: 'PLAIN,SCRAM-SHA-256,SCRAM-SHA-512',
    scramBootstrapCredentials: 'SCRAM-SHA-512=[name=alice,password=alice-secret];SCRAM-SHA-256=[name=bob,password=bob-secret,iterations=8192]',
    connectionFailedAuthenticationDelayMs: 0,
  });
});
afterAll(async () => { await tb?.destroy(); });

const cases = [
  { mechanism: 'plain' as const, username: 'alice', password: 'alice-secret' },
  { mechanism: 'scram-sha-512' as const, username: 'alice', password: 'alice-secret' },
  { mechanism: 'scram-sha-256' as const, username: 'bob', password: 'bob-secret' },
  { mechanism: 'plain' as const, username: 'bob', password: 'bob-secret' },
];

for (const c of cases) {
  test(`KafkaJS ${c.mechanism} as ${c.username}: produce and consume`, async () => {
    const kafka = kafkajs(tb.bootstrap, { sasl: { mechanism: c.mechanism, username: c.username, password: c.password } as never });
    const topic = `sasl-${c.mechanism}-${c.username}`;
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, messages: [{ value: 'one', partition: 0 }, { value: 'two', partition: 1 }] });
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.map((o) => [o.partition, o.high]).sort()).toEqual([[0, '1'], [1, '1']]);
    await producer.disconnect();
    await admin.disconnect();
  });
}

test('the authenticated principal is on the connection', async () => {
  const principals: string[] = [];
  tb.broker.testHooks.beforeResponseWrite = (connection, apiKey) => {
    if (apiKey === 3) principals.push(String(connection.principal));
  };
  try {
    const admin = kafkajs(tb.bootstrap, { sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'alice-secret' } }).admin();
    await admin.connect();
    await admin.listTopics();
    await admin.disconnect();
  } finally {
    tb.broker.testHooks.beforeResponseWrite = undefined;
  }
  expect(principals.length).toBeGreaterThan(0);
  expect(new Set(principals)).toEqual(new Set(['User:alice']));
});

for (const bad of [
  { mechanism: 'plain' as const, username: 'alice', password: 'wrong', message: 'Authentication failed: Invalid username or password' },
  { mechanism: 'plain' as const, username: 'nobody', password: 'x', message: 'Authentication failed: Invalid username or password' },
  { mechanism: 'scram-sha-512' as const, username: 'alice', password: 'wrong', message: 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512' },
  { mechanism: 'scram-sha-256' as const, username: 'alice', password: 'alice-secret', message: 'Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-256' },
]) {
  test(`KafkaJS ${bad.mechanism} as ${bad.username} with a wrong password is refused`, async () => {
    const admin = kafkajs(tb.bootstrap, { sasl: { mechanism: bad.mechanism, username: bad.username, password: bad.password } as never, retry: { retries: 0 } }).admin();
    const err = await admin.connect().then(() => null, (e: Error) => e);
    expect(err).not.toBeNull();
    expect(String(err!.message)).toContain(bad.message);
    await admin.disconnect();
  });
}

test('@platformatic/kafka SCRAM-SHA-512: metadata and produce', async () => {
  const sasl = { mechanism: 'SCRAM-SHA-512' as const, username: 'alice', password: 'alice-secret' };
  const admin = new Admin({ clientId: 'sasl-test', bootstrapBrokers: [tb.bootstrap], sasl });
  try {
    await admin.createTopics({ topics: ['sasl-platformatic'], partitions: 2, replicas: 1 });
    const producer = new Producer({ clientId: 'sasl-test', bootstrapBrokers: [tb.bootstrap], sasl });
    try {
      const result = await producer.send({ messages: [{ topic: 'sasl-platformatic', value: Buffer.from('v'), partition: 1 }] });
      expect(result.offsets?.[0]?.offset).toBe(0n);
    } finally {
      await producer.close();
    }
  } finally {
    await admin.close();
  }
});

test('KIP-368: KafkaJS re-authenticates before its session expires and keeps producing', async () => {
  const short = await startBroker({
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0',
    saslEnabledMechanisms: 'SCRAM-SHA-512',
    scramBootstrapCredentials: 'SCRAM-SHA-512=[name=alice,password=alice-secret]',
    connectionsMaxReauthMs: 1500,
  });
  try {
    const kafka = kafkajs(short.bootstrap, { sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'alice-secret' }, reauthenticationThreshold: 1000 } as never);
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'reauth', numPartitions: 1 }] });
    const producer = kafka.producer();
    await producer.connect();
    for (let i = 0; i < 4; i++) {
      await producer.send({ topic: 'reauth', messages: [{ value: `v${i}` }] });
      await new Promise((r) => setTimeout(r, 800));
    }
    const [offsets] = await admin.fetchTopicOffsets('reauth');
    expect(offsets!.high).toBe('4');
    const successes = await short.broker.metrics.registry.getSingleMetricAsString('highwater_authentications_total');
    // More successful authentications than connections opened: the re-authentications.
    expect(successes).toMatch(/result="success"\} ([3-9]|\d\d)/);
    await producer.disconnect();
    await admin.disconnect();
  } finally {
    await short.destroy();
  }
});
