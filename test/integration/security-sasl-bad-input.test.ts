// SASL and TLS bad input over real sockets, each answered as Kafka 4.4 answers it (its
// SaslServerAuthenticator and SocketServer), while an authenticated client on the same broker keeps
// being served: requests before the handshake, an unknown mechanism, a request other than
// SaslAuthenticate after the handshake, an oversized token, a wrong SCRAM proof, a garbage TLS
// ClientHello. Also the v0 handshake's bare tokens, KIP-368 session expiry and re-authentication,
// and the connection limits.
import net from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import { rawExchange } from '../helpers/raw-socket.ts';
import { makeTlsMaterial, type TlsMaterial } from '../helpers/tls-material.ts';
import { ScramClient } from '../helpers/scram-client.ts';
import { KafkaConnection } from '../../src/client/kafka-connection.ts';
import { ApiKey } from '../../src/protocol/generated/index.ts';
import { Writer } from '../../src/protocol/primitives.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import type { SaslHandshakeResponse } from '../../src/protocol/generated/sasl-handshake-response.ts';
import type { SaslAuthenticateResponse } from '../../src/protocol/generated/sasl-authenticate-response.ts';
import type { MetadataResponse } from '../../src/protocol/generated/metadata-response.ts';

let material: TlsMaterial;
let tb: TestBroker;
let saslPort: number;
let sslPort: number;
const healthy = () => kafkajs(`127.0.0.1:${saslPort}`, { sasl: { mechanism: 'scram-sha-512', username: 'alice', password: 'alice-secret' } }).admin();
let healthyAdmin: ReturnType<typeof healthy>;

beforeAll(async () => {
  material = makeTlsMaterial();
  tb = await startBroker({
    listeners: 'SASL_PLAINTEXT://127.0.0.1:0,SSL://127.0.0.1:0',
    sslKeystoreLocation: material.serverKeystorePath,
    saslEnabledMechanisms: 'SCRAM-SHA-512,PLAIN',
    scramBootstrapCredentials: 'SCRAM-SHA-512=[name=alice,password=alice-secret]',
    connectionsMaxReauthMs: 1500,
    connectionFailedAuthenticationDelayMs: 0,
  });
  saslPort = tb.broker.listenerPort('SASL_PLAINTEXT');
  sslPort = tb.broker.listenerPort('SSL');
  healthyAdmin = healthy();
  await healthyAdmin.connect();
});
afterAll(async () => {
  await healthyAdmin?.disconnect();
  await tb?.destroy();
  material?.destroy();
});

async function stillServes(): Promise<void> {
  expect(Array.isArray(await healthyAdmin.listTopics())).toBe(true);
}

function requestFrame(apiKey: number, apiVersion: number, body: (w: Writer) => void, correlationId = 9): Buffer {
  const w = new Writer();
  const at = w.reserveInt32();
  w.int16(apiKey);
  w.int16(apiVersion);
  w.int32(correlationId);
  w.nullableString('bad-input');
  body(w);
  w.patchInt32(at, w.position - at - 4);
  return Buffer.from(w.finish());
}

/** Sends raw bytes on a new socket; what came back, and whether the broker closed it. */
const exchange = (port: number, bytes: Buffer, waitMs = 700) => rawExchange(port, bytes, waitMs);

async function saslConnection(): Promise<KafkaConnection> {
  return KafkaConnection.connect('127.0.0.1', saslPort, { clientId: 'sasl-bad-input' });
}

async function scramLogin(c: KafkaConnection, password = 'alice-secret'): Promise<SaslAuthenticateResponse> {
  const hs = await c.request<SaslHandshakeResponse>(ApiKey.SaslHandshake, 1, { mechanism: 'SCRAM-SHA-512' });
  expect(hs.errorCode).toBe(ErrorCode.NONE);
  const scram = new ScramClient('SCRAM-SHA-512', 'alice', password);
  const first = await c.request<SaslAuthenticateResponse>(ApiKey.SaslAuthenticate, 2, { authBytes: scram.first() });
  expect(first.errorCode).toBe(ErrorCode.NONE);
  const final = await c.request<SaslAuthenticateResponse>(ApiKey.SaslAuthenticate, 2, { authBytes: scram.final(first.authBytes) });
  if (final.errorCode === ErrorCode.NONE) expect(scram.verify(final.authBytes)).toBe(true);
  return final;
}

test('a request other than ApiVersions or SaslHandshake before the handshake closes the connection unanswered', async () => {
  const metadata = requestFrame(ApiKey.Metadata, 12, (w) => { w.int8(0); w.int8(0); w.int8(0); w.int8(0); });
  expect(await exchange(saslPort, metadata)).toEqual({ data: Buffer.alloc(0), closed: true });
  const authenticate = requestFrame(ApiKey.SaslAuthenticate, 1, (w) => w.bytes(Buffer.from('n,,n=alice,r=abc')));
  expect(await exchange(saslPort, authenticate)).toEqual({ data: Buffer.alloc(0), closed: true });
  await stillServes();
});

test('an unknown mechanism is UNSUPPORTED_SASL_MECHANISM with the enabled list, then the connection closes', async () => {
  const c = await saslConnection();
  const hs = await c.request<SaslHandshakeResponse>(ApiKey.SaslHandshake, 1, { mechanism: 'GSSAPI' });
  expect(hs).toEqual({ errorCode: ErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms: ['SCRAM-SHA-512', 'PLAIN'] });
  await expect(c.request(ApiKey.ApiVersions, 0, {})).rejects.toThrow();
  await stillServes();
});

test('a request other than SaslAuthenticate after a v1 handshake closes the connection unanswered (Kafka 4.4 does the same)', async () => {
  const c = await saslConnection();
  await c.request<SaslHandshakeResponse>(ApiKey.SaslHandshake, 1, { mechanism: 'SCRAM-SHA-512' });
  await expect(c.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: null })).rejects.toThrow();
  await stillServes();
});

test('an oversized SaslAuthenticate (over 512 KiB before authentication) closes the connection', async () => {
  const handshake = requestFrame(ApiKey.SaslHandshake, 1, (w) => w.string('PLAIN'), 1);
  const big = requestFrame(ApiKey.SaslAuthenticate, 1, (w) => w.bytes(Buffer.alloc(600 * 1024, 0x61)), 2);
  const r = await exchange(saslPort, Buffer.concat([handshake, big]));
  expect(r.closed).toBe(true);
  // The handshake was answered (size, correlation id 1), nothing after it.
  expect(r.data.readInt32BE(4)).toBe(1);
  expect(r.data.length).toBe(4 + r.data.readInt32BE(0));
  await stillServes();
});

test('a wrong SCRAM proof is SASL_AUTHENTICATION_FAILED with Kafka\'s message, then the connection closes', async () => {
  const c = await saslConnection();
  const final = await scramLogin(c, 'not-the-password');
  expect(final.errorCode).toBe(ErrorCode.SASL_AUTHENTICATION_FAILED);
  expect(final.errorMessage).toBe('Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512');
  await expect(c.request(ApiKey.ApiVersions, 0, {})).rejects.toThrow();
  const failures = await tb.broker.metrics.registry.getSingleMetricAsString('highwater_authentications_total');
  expect(failures).toMatch(/result="failure"/);
  await stillServes();
});

test('a garbage TLS ClientHello closes the connection; TLS clients are still served', async () => {
  const r = await exchange(sslPort, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
  expect(r.closed).toBe(true);
  const tls = kafkajs(`127.0.0.1:${sslPort}`, { ssl: { ca: [material.caPem] } }).admin();
  await tls.connect();
  await tls.listTopics();
  await tls.disconnect();
  expect(await tb.broker.metrics.registry.getSingleMetricAsString('highwater_connections_rejected_total')).toMatch(/reason="tls-handshake"/);
  await stillServes();
});

test('a v0 handshake is followed by bare tokens (PLAIN), then requests are served', async () => {
  const token = Buffer.from('\u0000alice\u0000alice-secret');
  const size = Buffer.alloc(4);
  size.writeInt32BE(token.length);
  const handshake = requestFrame(ApiKey.SaslHandshake, 0, (w) => w.string('PLAIN'), 1);
  const metadata = requestFrame(ApiKey.Metadata, 0, (w) => w.int32(0), 2);
  const r = await new Promise<Buffer>((resolve) => {
    const s = net.connect(saslPort, '127.0.0.1');
    const chunks: Buffer[] = [];
    let step = 0;
    s.on('data', (d) => {
      chunks.push(d);
      const all = Buffer.concat(chunks);
      if (step === 0 && all.length >= 4 && all.length >= 4 + all.readInt32BE(0)) { step = 1; s.write(Buffer.concat([size, token])); }
      else if (step === 1) {
        const after = all.subarray(4 + all.readInt32BE(0));
        if (after.length >= 4) { step = 2; s.write(metadata); }
      } else if (step === 2) {
        setTimeout(() => { s.destroy(); resolve(all); }, 100);
      }
    });
    s.on('connect', () => s.write(handshake));
  });
  const first = 4 + r.readInt32BE(0);
  expect(r.readInt32BE(first)).toBe(0);
  // Metadata v0 answered with correlation id 2.
  expect(r.readInt32BE(first + 8)).toBe(2);
  await stillServes();
});

test('KIP-368: session_lifetime_ms is connections.max.reauth.ms; an expired session is closed, a re-authenticated one is served', async () => {
  const expired = await saslConnection();
  const login = await scramLogin(expired);
  expect(login.errorCode).toBe(ErrorCode.NONE);
  expect(login.sessionLifetimeMs).toBe(1500n);
  const renewed = await saslConnection();
  await scramLogin(renewed);
  await new Promise((r) => setTimeout(r, 1700));
  await expect(expired.request(ApiKey.Metadata, 12, { topics: null })).rejects.toThrow();
  const again = await scramLogin(renewed);
  expect(again.errorCode).toBe(ErrorCode.NONE);
  const md = await renewed.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: null });
  expect(md.brokers[0]!.port).toBe(saslPort);
  renewed.close();
});

test('after authentication, SaslAuthenticate is ILLEGAL_SASL_STATE and the connection stays', async () => {
  const c = await saslConnection();
  await scramLogin(c);
  const r = await c.request<SaslAuthenticateResponse>(ApiKey.SaslAuthenticate, 1, { authBytes: Buffer.from('x') });
  expect(r.errorCode).toBe(ErrorCode.ILLEGAL_SASL_STATE);
  expect(r.errorMessage).toBe('SaslAuthenticate request received after successful authentication');
  await c.request(ApiKey.ApiVersions, 0, {});
  c.close();
});

test('max.connections.per.ip closes a connection over the limit at once; max.connections makes it wait', async () => {
  const limited = await startBroker({ maxConnectionsPerIp: 2, maxConnections: 2_147_483_647 });
  try {
    const a = await KafkaConnection.connect('127.0.0.1', limited.port);
    const b = await KafkaConnection.connect('127.0.0.1', limited.port);
    const third = await exchange(limited.port, requestFrame(ApiKey.ApiVersions, 0, () => undefined), 400);
    expect(third).toEqual({ data: Buffer.alloc(0), closed: true });
    a.close();
    await new Promise((r) => setTimeout(r, 100));
    const c = await KafkaConnection.connect('127.0.0.1', limited.port);
    b.close();
    c.close();
  } finally {
    await limited.destroy();
  }
  const capped = await startBroker({ maxConnections: 1 });
  try {
    const a = await KafkaConnection.connect('127.0.0.1', capped.port);
    let answered = false;
    const waiting = KafkaConnection.connect('127.0.0.1', capped.port).then((c) => { answered = true; return c; });
    await new Promise((r) => setTimeout(r, 400));
    expect(answered).toBe(false);
    a.close();
    const c = await waiting;
    expect(answered).toBe(true);
    c.close();
  } finally {
    await capped.destroy();
  }
});

test('connections.max.idle.ms closes an idle connection', async () => {
  const idle = await startBroker({ connectionsMaxIdleMs: 300 });
  try {
    const c = await KafkaConnection.connect('127.0.0.1', idle.port);
    await new Promise((r) => setTimeout(r, 700));
    expect(c.closed).toBe(true);
  } finally {
    await idle.destroy();
  }
});
