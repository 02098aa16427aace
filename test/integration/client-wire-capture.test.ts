// Golden bytes from real clients: KafkaJS and @platformatic/kafka talk to a real broker through a
// recording proxy. Every request frame they send decodes with the generated codecs, consuming every
// byte, to the values the test asked the client to send, and re-encodes to the same bytes; every
// response frame the broker sends decodes the same way (and the clients accepted them: they worked).
import net from 'node:net';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Producer, Admin, stringSerializers } from '@platformatic/kafka';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import { FrameSplitter } from '../../src/protocol/frames.ts';
import { Reader, Writer } from '../../src/protocol/primitives.ts';
import { decodeRequestHeader, encodeRequestHeader, responseHeaderVersion } from '../../src/protocol/headers.ts';
import { apiCodecs, ApiKey } from '../../src/protocol/generated/index.ts';
import { decodeRecordBatch } from '../../src/protocol/records.ts';
import { forEachBatch } from '../../src/protocol/record-batch.ts';
import type { ProduceRequest } from '../../src/protocol/generated/produce-request.ts';
import type { CreateTopicsRequest } from '../../src/protocol/generated/create-topics-request.ts';

interface Captured {
  client: string;
  apiKey: number;
  apiVersion: number;
  request: unknown;
  requestBytes: Buffer;
  response?: unknown;
}

let tb: TestBroker;
let proxy: net.Server;
let proxyPort = 0;
const captured: Captured[] = [];
let currentClient = '';

beforeAll(async () => {
  // The proxy listens first, so the broker can advertise its port: every connection the clients
  // open after bootstrap (to the leader, the coordinator) goes through the proxy too.
  proxy = net.createServer((client) => {
    const upstream = net.connect(tb.port, '127.0.0.1');
    const who = currentClient;
    const pending = new Map<number, Captured>();
    const fromClient = new FrameSplitter(64 * 1024 * 1024);
    const fromBroker = new FrameSplitter(64 * 1024 * 1024);
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      for (const e of fromClient.push(chunk)) {
        if (e.kind !== 'frame') throw new Error('bad frame from client');
        const r = new Reader(e.frame);
        const header = decodeRequestHeader(r);
        if (!header.ok) throw new Error(`undecodable header from ${who}`);
        const request = apiCodecs.get(header.apiKey)!.decodeRequest(r, header.apiVersion);
        expect(r.remaining, `${who} ${header.apiKey} v${header.apiVersion} request`).toBe(0);
        const c: Captured = { client: who, apiKey: header.apiKey, apiVersion: header.apiVersion, request, requestBytes: Buffer.from(e.frame) };
        captured.push(c);
        pending.set(header.correlationId, c);
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk);
      for (const e of fromBroker.push(chunk)) {
        if (e.kind !== 'frame') throw new Error('bad frame from broker');
        const r = new Reader(e.frame);
        const correlationId = r.int32();
        const c = pending.get(correlationId)!;
        pending.delete(correlationId);
        if (responseHeaderVersion(c.apiKey, c.apiVersion) === 1) r.skipTaggedFields();
        c.response = apiCodecs.get(c.apiKey)!.decodeResponse(r, c.apiVersion);
        expect(r.remaining, `${who} ${c.apiKey} v${c.apiVersion} response`).toBe(0);
      }
    });
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', () => resolve()));
  proxyPort = (proxy.address() as net.AddressInfo).port;
  tb = await startBroker({ advertisedPort: proxyPort });
});

afterAll(async () => {
  proxy?.close();
  await tb?.destroy();
});

/** The request bytes our encoder writes for what it decoded: must equal what the client sent. */
function reencode(c: Captured, correlationFrom: Buffer): Buffer {
  const r = new Reader(correlationFrom);
  const header = decodeRequestHeader(r);
  if (!header.ok) throw new Error('header');
  const w = new Writer();
  encodeRequestHeader(w, { apiKey: header.apiKey, apiVersion: header.apiVersion, correlationId: header.correlationId, clientId: header.clientId });
  apiCodecs.get(c.apiKey)!.encodeRequest(w, c.apiVersion, c.request);
  return Buffer.from(w.finish());
}

/** One client's captured exchanges, each checked: answered, and its request re-encodes byte for byte. */
function checkedExchanges(client: string): Captured[] {
  const mine = captured.filter((c) => c.client === client);
  for (const c of mine) {
    expect(c.response, `${c.apiKey} v${c.apiVersion} answered`).toBeDefined();
    expect(reencode(c, c.requestBytes).equals(c.requestBytes), `${c.apiKey} v${c.apiVersion} re-encodes`).toBe(true);
  }
  return mine;
}

/** [name, partitions] of the topics in the client's first CreateTopics request. */
function createdTopics(mine: Captured[]): [string, number][] {
  const create = mine.find((c) => c.apiKey === ApiKey.CreateTopics)!.request as CreateTopicsRequest;
  return create.topics.map((t) => [t.name, t.numPartitions]);
}

function producedRecords(p: ProduceRequest, topic: string) {
  const out: { partition: number; key: string | null; value: string | null; headers: Record<string, string> }[] = [];
  for (const t of p.topicData) {
    if (t.name !== topic) continue;
    for (const part of t.partitionData) {
      forEachBatch(part.records!, (at, size) => {
        for (const r of decodeRecordBatch(part.records!.subarray(at, at + size)).records) {
          out.push({ partition: part.index, key: r.key?.toString() ?? null, value: r.value?.toString() ?? null, headers: Object.fromEntries(r.headers.map((h) => [h.key, h.value?.toString() ?? ''])) });
        }
      });
    }
  }
  return out;
}

test('KafkaJS: requests and responses decode, re-encode byte for byte, and carry what was sent', async () => {
  currentClient = 'kafkajs';
  const kafka = kafkajs(`127.0.0.1:${proxyPort}`);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'golden-kjs', numPartitions: 2 }] });
  const producer = kafka.producer();
  await producer.connect();
  await producer.send({ topic: 'golden-kjs', acks: -1, messages: [
    { partition: 1, key: 'k1', value: 'v1', headers: { h: 'x' } },
    { partition: 1, key: null, value: 'v2' },
  ] });
  await admin.fetchTopicOffsets('golden-kjs');
  await producer.disconnect();
  await admin.disconnect();

  const mine = checkedExchanges('kafkajs');
  expect(createdTopics(mine)).toEqual([['golden-kjs', 2]]);
  const produce = mine.find((c) => c.apiKey === ApiKey.Produce)!;
  expect((produce.request as ProduceRequest).acks).toBe(-1);
  expect(producedRecords(produce.request as ProduceRequest, 'golden-kjs')).toEqual([
    { partition: 1, key: 'k1', value: 'v1', headers: { h: 'x' } },
    { partition: 1, key: null, value: 'v2', headers: {} },
  ]);
  const apis = new Set(mine.map((c) => c.apiKey));
  for (const k of [ApiKey.ApiVersions, ApiKey.Metadata, ApiKey.CreateTopics, ApiKey.Produce, ApiKey.ListOffsets]) expect(apis.has(k)).toBe(true);
});

test('@platformatic/kafka: requests and responses decode, re-encode byte for byte, and carry what was sent', async () => {
  currentClient = 'platformatic';
  const admin = new Admin({ clientId: 'golden', bootstrapBrokers: [`127.0.0.1:${proxyPort}`] });
  const producer = new Producer({ clientId: 'golden', bootstrapBrokers: [`127.0.0.1:${proxyPort}`], serializers: stringSerializers });
  try {
    await admin.createTopics({ topics: ['golden-pk'], partitions: 3, replicas: 1 });
    await producer.send({ messages: [{ topic: 'golden-pk', partition: 2, key: 'a', value: 'b', headers: { z: 'y' } }] });
    await admin.metadata({ topics: ['golden-pk'] });
  } finally {
    await producer.close();
    await admin.close();
  }
  const mine = checkedExchanges('platformatic');
  expect(createdTopics(mine)).toEqual([['golden-pk', 3]]);
  const produce = mine.find((c) => c.apiKey === ApiKey.Produce)!;
  expect(produce.apiVersion).toBeGreaterThanOrEqual(9);
  expect(producedRecords(produce.request as ProduceRequest, 'golden-pk')).toEqual([{ partition: 2, key: 'a', value: 'b', headers: { z: 'y' } }]);
});
