// Bad input over real sockets: each gets the Kafka error or a closed connection, other connections
// keep working, and the broker never crashes.
import { rawExchange } from '../helpers/raw-socket.ts';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { connect } from '../helpers/fetch.ts';
import { ApiKey } from '../../src/protocol/generated/index.ts';
import { Reader, Writer } from '../../src/protocol/primitives.ts';
import { decodeApiVersionsResponse } from '../../src/protocol/generated/api-versions-response.ts';
import type { KafkaConnection } from '../../src/client/kafka-connection.ts';
import type { MetadataResponse } from '../../src/protocol/generated/metadata-response.ts';

let tb: TestBroker;
let healthy: KafkaConnection;
beforeAll(async () => {
  tb = await startBroker({ maxFrameBytes: 1024 * 1024 });
  healthy = await connect(tb.bootstrap);
});
afterAll(async () => {
  healthy?.close();
  await tb?.destroy();
});

/** Sends raw bytes; resolves with what came back and whether the broker closed the socket. */
const exchange = (bytes: Buffer, waitMs = 500) => rawExchange(tb.port, bytes, waitMs);

function frame(body: Buffer): Buffer {
  const size = Buffer.alloc(4);
  size.writeInt32BE(body.length);
  return Buffer.concat([size, body]);
}

function header(apiKey: number, apiVersion: number, correlationId = 7): Buffer {
  const w = new Writer();
  w.int16(apiKey);
  w.int16(apiVersion);
  w.int32(correlationId);
  w.nullableString('bad-input-test');
  return Buffer.from(w.finish());
}

async function brokerStillServes(): Promise<void> {
  const md = await healthy.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: null });
  expect(md.brokers[0]!.port).toBe(tb.port);
}

test('a negative frame size closes the connection', async () => {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(-5);
  expect((await exchange(bytes)).closed).toBe(true);
  await brokerStillServes();
});

test('a frame over the maximum size closes the connection without buffering it', async () => {
  const bytes = Buffer.alloc(4);
  bytes.writeInt32BE(2 * 1024 * 1024);
  expect((await exchange(bytes)).closed).toBe(true);
  await brokerStillServes();
});

test('a truncated frame is simply never completed: no response, no crash, others unaffected', async () => {
  const full = frame(header(ApiKey.Metadata, 12));
  const r = await exchange(full.subarray(0, full.length - 3), 300);
  expect(r.data.length).toBe(0);
  await brokerStillServes();
});

test('an unknown API key closes the connection', async () => {
  expect((await exchange(frame(header(9999, 0)))).closed).toBe(true);
  expect((await exchange(frame(header(ApiKey.ConsumerGroupHeartbeat, 0)))).closed).toBe(true);
  await brokerStillServes();
});

test('ApiVersions at an unknown version gets a v0 answer with UNSUPPORTED_VERSION and the ranges', async () => {
  // A newer client sends header v2: its empty tagged-field section follows the client id.
  const r = await exchange(frame(Buffer.concat([header(ApiKey.ApiVersions, 99, 42), Buffer.from([0])])));
  expect(r.closed).toBe(false);
  const reader = new Reader(r.data, 4);
  expect(reader.int32()).toBe(42);
  const body = decodeApiVersionsResponse(reader, 0);
  expect(body.errorCode).toBe(35);
  expect(body.apiKeys.find((k) => k.apiKey === ApiKey.Produce)).toEqual({ apiKey: 0, minVersion: 3, maxVersion: 11 });
});

test('another API at a version out of range closes the connection', async () => {
  expect((await exchange(frame(header(ApiKey.Produce, 1)))).closed).toBe(true);
  expect((await exchange(frame(header(ApiKey.Metadata, 13)))).closed).toBe(true);
  await brokerStillServes();
});

test('garbage inside a valid frame closes the connection', async () => {
  const garbage = Buffer.from([0xff, 0xff, 0xff, 0xf0, 0x12, 0x34, 0x56]);
  expect((await exchange(frame(Buffer.concat([header(ApiKey.Metadata, 4), garbage])))).closed).toBe(true);
  // A huge array count with nothing behind it must not allocate or hang.
  const huge = Buffer.alloc(4);
  huge.writeInt32BE(0x7fffffff);
  expect((await exchange(frame(Buffer.concat([header(ApiKey.CreateTopics, 4), huge])))).closed).toBe(true);
  expect((await exchange(frame(Buffer.from([0x00])))).closed).toBe(true);
  await brokerStillServes();
});

test('random frames never crash the broker', async () => {
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) & 0x7fffffff) / 0x7fffffff);
  const keys = [0, 1, 2, 3, 18, 19, 20, 32, 60];
  for (let i = 0; i < 60; i++) {
    const body = Buffer.alloc(Math.floor(rand() * 200));
    for (let j = 0; j < body.length; j++) body[j] = Math.floor(rand() * 256);
    const apiKey = keys[i % keys.length]!;
    const bytes = frame(Buffer.concat([header(apiKey, Math.floor(rand() * 12)), body]));
    await exchange(bytes, 30);
  }
  await brokerStillServes();
});
