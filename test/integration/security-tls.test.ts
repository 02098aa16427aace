// TLS listeners (SSL and SASL_SSL) driven by KafkaJS and @platformatic/kafka over real sockets,
// with throwaway certificates: produce and consume, Metadata advertising the listener the client
// came through, client certificates (ssl.client.auth=required) mapped to a principal by
// ssl.principal.mapping.rules, and a certificate rotation picked up without a restart.
import { afterAll, beforeAll, expect, test } from 'vitest';
import tls from 'node:tls';
import { Admin, Producer } from '@platformatic/kafka';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import { makeTlsMaterial, type TlsMaterial } from '../helpers/tls-material.ts';

let material: TlsMaterial;
let tb: TestBroker;
let plainPort: number;
let sslPort: number;
let saslSslPort: number;

beforeAll(async () => {
  material = makeTlsMaterial();
  tb = await startBroker({
    listeners: 'PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0,SASL_SSL://127.0.0.1:0',
    sslKeystoreLocation: material.serverKeystorePath,
    saslEnabledMechanisms: 'PLAIN,SCRAM-SHA-512',
    scramBootstrapCredentials: 'SCRAM-SHA-512=[name=alice,password=alice-secret]',
  });
  plainPort = tb.broker.listenerPort('PLAINTEXT');
  sslPort = tb.broker.listenerPort('SSL');
  saslSslPort = tb.broker.listenerPort('SASL_SSL');
});
afterAll(async () => {
  await tb?.destroy();
  material?.destroy();
});

test('KafkaJS over SSL: produce and consume; Metadata advertises the SSL listener', async () => {
  const kafka = kafkajs(`127.0.0.1:${sslPort}`, { ssl: { ca: [material.caPem] } });
  const admin = kafka.admin();
  await admin.connect();
  const cluster = await admin.describeCluster();
  expect(cluster.brokers).toEqual([{ nodeId: 1, host: '127.0.0.1', port: sslPort }]);
  await admin.createTopics({ topics: [{ topic: 'tls-kafkajs', numPartitions: 2 }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'tls-kafkajs', messages: [{ value: 'a', partition: 0 }, { value: 'b', partition: 1 }, { value: 'c', partition: 1 }] });
  await producer.disconnect();
  const consumer = kafka.consumer({ groupId: 'tls-group' });
  await consumer.connect();
  await consumer.subscribe({ topic: 'tls-kafkajs', fromBeginning: true });
  const seen: string[] = [];
  await new Promise<void>((resolve) => {
    void consumer.run({ eachMessage: async ({ message }) => { seen.push(String(message.value)); if (seen.length === 3) resolve(); } });
  });
  await consumer.disconnect();
  expect(seen.sort()).toEqual(['a', 'b', 'c']);
  await admin.disconnect();
});

test('the PLAINTEXT listener of the same broker advertises its own port', async () => {
  const admin = kafkajs(`127.0.0.1:${plainPort}`).admin();
  await admin.connect();
  expect((await admin.describeCluster()).brokers).toEqual([{ nodeId: 1, host: '127.0.0.1', port: plainPort }]);
  await admin.disconnect();
});

test('KafkaJS over SASL_SSL with SCRAM-SHA-512 and with PLAIN', async () => {
  for (const mechanism of ['scram-sha-512', 'plain'] as const) {
    const kafka = kafkajs(`127.0.0.1:${saslSslPort}`, { ssl: { ca: [material.caPem] }, sasl: { mechanism, username: 'alice', password: 'alice-secret' } as never });
    const producer = kafka.producer({ allowAutoTopicCreation: true });
    await producer.connect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: `sasl-ssl-${mechanism}`, numPartitions: 1 }] });
    const [meta] = await producer.send({ topic: `sasl-ssl-${mechanism}`, messages: [{ value: 'x' }] });
    expect(meta!.errorCode).toBe(0);
    expect((await admin.describeCluster()).brokers[0]!.port).toBe(saslSslPort);
    await admin.disconnect();
    await producer.disconnect();
  }
});

test('@platformatic/kafka over SSL and over SASL_SSL with SCRAM-SHA-512', async () => {
  for (const [port, sasl] of [[sslPort, undefined], [saslSslPort, { mechanism: 'SCRAM-SHA-512' as const, username: 'alice', password: 'alice-secret' }]] as const) {
    const options = { clientId: 'tls-test', bootstrapBrokers: [`127.0.0.1:${port}`], tls: { ca: material.caPem }, ...(sasl ? { sasl } : {}) };
    const admin = new Admin(options);
    const topic = `platformatic-tls-${port}`;
    try {
      await admin.createTopics({ topics: [topic], partitions: 1, replicas: 1 });
      const producer = new Producer(options);
      try {
        const result = await producer.send({ messages: [{ topic, value: Buffer.from('v'), partition: 0 }] });
        expect(result.offsets?.[0]?.offset).toBe(0n);
      } finally {
        await producer.close();
      }
    } finally {
      await admin.close();
    }
  }
});

test('a certificate rotation is used by new connections after reloadTls, without a restart', async () => {
  const oldCa = material.caPem;
  const { caPem: newCa } = material.rotate();
  await tb.broker.reloadTls();
  const handshake = (ca: string) => new Promise<string>((resolve) => {
    const socket = tls.connect({ host: '127.0.0.1', port: sslPort, ca }, () => { socket.destroy(); resolve('ok'); });
    socket.on('error', (err: Error & { code?: string }) => resolve(err.code ?? err.message));
  });
  expect(await handshake(newCa)).toBe('ok');
  expect(await handshake(oldCa)).not.toBe('ok');
  const admin = kafkajs(`127.0.0.1:${sslPort}`, { ssl: { ca: [newCa] } }).admin();
  await admin.connect();
  expect((await admin.listTopics())).toContain('tls-kafkajs');
  await admin.disconnect();
});

test('ssl.client.auth=required: the client certificate is the principal, mapped by the rules; no certificate, no connection', async () => {
  const m = makeTlsMaterial();
  const mtls = await startBroker({
    listeners: 'SSL://127.0.0.1:0',
    sslKeystoreLocation: m.serverKeystorePath,
    sslTruststoreLocation: m.caPath,
    sslClientAuth: 'required',
    sslPrincipalMappingRules: 'RULE:^CN=([a-zA-Z0-9.]+),OU=ServiceUsers,.*$/$1/L,DEFAULT',
  });
  try {
    const principals: string[] = [];
    mtls.broker.testHooks.beforeResponseWrite = (connection, apiKey) => {
      if (apiKey === 3) principals.push(String(connection.principal));
    };
    for (const subject of ['/O=Acme/OU=ServiceUsers/CN=Alice', '/O=Acme/OU=People/CN=bob']) {
      const client = m.client(subject);
      const admin = kafkajs(mtls.bootstrap, { ssl: { ca: [m.caPem], key: client.keyPem, cert: client.certPem } }).admin();
      await admin.connect();
      await admin.listTopics();
      await admin.disconnect();
    }
    expect(new Set(principals)).toEqual(new Set(['User:alice', 'User:CN=bob,OU=People,O=Acme']));
    const refused = await new Promise<string>((resolve) => {
      const socket = tls.connect({ host: '127.0.0.1', port: mtls.port, ca: m.caPem }, () => {
        // TLS 1.3 completes the client side before the server checks the certificate; the
        // server's refusal arrives as the connection closing.
        socket.on('close', () => resolve('closed'));
        socket.write(Buffer.from([0, 0, 0, 0]));
      });
      socket.on('error', () => resolve('closed'));
    });
    expect(refused).toBe('closed');
  } finally {
    mtls.broker.testHooks.beforeResponseWrite = undefined;
    await mtls.destroy();
    m.destroy();
  }
});

test('ssl.client.auth=requested: no certificate is User:ANONYMOUS, a trusted one names the principal, an untrusted one is refused', async () => {
  const m = makeTlsMaterial();
  const other = makeTlsMaterial();
  const broker = await startBroker({ listeners: 'SSL://127.0.0.1:0', sslKeystoreLocation: m.serverKeystorePath, sslTruststoreLocation: m.caPath, sslClientAuth: 'requested' });
  try {
    const principals: string[] = [];
    broker.broker.testHooks.beforeResponseWrite = (connection, apiKey) => {
      if (apiKey === 3) principals.push(connection.principal ?? 'User:ANONYMOUS');
    };
    const trusted = m.client('/O=Acme/CN=carol');
    for (const ssl of [{ ca: [m.caPem] }, { ca: [m.caPem], key: trusted.keyPem, cert: trusted.certPem }]) {
      const admin = kafkajs(broker.bootstrap, { ssl }).admin();
      await admin.connect();
      await admin.listTopics();
      await admin.disconnect();
    }
    expect(new Set(principals)).toEqual(new Set(['User:ANONYMOUS', 'User:CN=carol,O=Acme']));
    const stranger = other.client('/CN=mallory');
    const admin = kafkajs(broker.bootstrap, { ssl: { ca: [m.caPem], key: stranger.keyPem, cert: stranger.certPem }, retry: { retries: 0 } }).admin();
    await expect(admin.connect()).rejects.toThrow();
    await admin.disconnect();
    expect(await broker.broker.metrics.registry.getSingleMetricAsString('highwater_connections_rejected_total')).toMatch(/reason="(client-certificate|tls-handshake)"/);
  } finally {
    broker.broker.testHooks.beforeResponseWrite = undefined;
    await broker.destroy();
    m.destroy();
    other.destroy();
  }
});
