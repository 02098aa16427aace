// A handler that throws, over a real socket: the client gets the API's error response with
// UNKNOWN_SERVER_ERROR and the connection keeps serving; only a failed acks=0 produce, which has no
// response to carry the error, closes the connection (as Kafka does). The listener runs on fake
// services: no shards, no disk.
import { afterAll, beforeAll, expect, test } from 'vitest';
import pino from 'pino';
import { KafkaConnection } from '../../src/client/kafka-connection.ts';
import { ApiKey } from '../../src/protocol/generated/index.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { BrokerMetrics } from '../../src/metrics.ts';
import { HandlerRegistry } from '../../src/acceptor/registry.ts';
import { allHandlers } from '../../src/acceptor/handlers/index.ts';
import { BrokerServer } from '../../src/acceptor/server.ts';
import type { MetadataResponse } from '../../src/protocol/generated/metadata-response.ts';
import type { ProduceResponse } from '../../src/protocol/generated/produce-response.ts';
import type { ApiVersionsResponse } from '../../src/protocol/generated/api-versions-response.ts';
import { buildRecordBatch } from '../../src/protocol/records.ts';
import { fakeServices, type FakeServices } from '../helpers/fake-services.ts';

let services: FakeServices;
let server: BrokerServer;
let metrics: BrokerMetrics;

beforeAll(async () => {
  services = fakeServices();
  services.addTopic('fine', 1);
  const topicByName = services.metadata.topicByName;
  services.metadata.topicByName = (name) => {
    if (name === 'boom') throw new Error('metadata exploded');
    return topicByName(name);
  };
  const partition = services.partitions.partition;
  services.partitions.partition = (topic, p) => {
    if (topic === 'boom') throw new Error('directory exploded');
    return partition(topic, p);
  };
  metrics = new BrokerMetrics();
  server = new BrokerServer({ host: '127.0.0.1', port: 0, maxFrameBytes: 1024 * 1024, registry: new HandlerRegistry(allHandlers), services, metrics, log: pino({ level: 'silent' }) });
  await server.listen();
});

afterAll(async () => {
  await server?.stop(1000);
  await services?.close();
});

const failures = async (api: string) =>
  (await metrics.registry.getSingleMetric('highwater_request_failures_total')!.get()).values.find((v) => v.labels.api === api)?.value ?? 0;

test('a throwing Metadata handler answers UNKNOWN_SERVER_ERROR per topic, and the connection serves the next request', async () => {
  const c = await KafkaConnection.connect('127.0.0.1', server.port, { negotiate: false });
  try {
    const md = await c.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: [{ name: 'fine' }, { name: 'boom' }], allowAutoTopicCreation: false });
    expect(md.topics.map((t) => [t.name, t.errorCode])).toEqual([['fine', ErrorCode.UNKNOWN_SERVER_ERROR], ['boom', ErrorCode.UNKNOWN_SERVER_ERROR]]);
    expect(await failures('Metadata')).toBe(1);
    const versions = await c.request<ApiVersionsResponse>(ApiKey.ApiVersions, 3, { clientSoftwareName: 't', clientSoftwareVersion: '1' });
    expect(versions.errorCode).toBe(ErrorCode.NONE);
    expect(versions.apiKeys.length).toBe(allHandlers.length);
    expect(c.closed).toBe(false);
  } finally {
    c.close();
  }
});

test('a throwing Produce handler answers acks=1 per partition, but closes an acks=0 connection', async () => {
  const records = buildRecordBatch({ baseTimestamp: 0n, records: [{ key: null, value: Buffer.from('x') }] });
  const c = await KafkaConnection.connect('127.0.0.1', server.port, { negotiate: false });
  try {
    const res = await c.request<ProduceResponse>(ApiKey.Produce, 9, {
      acks: 1, timeoutMs: 1000, transactionalId: null, topicData: [{ name: 'boom', partitionData: [{ index: 0, records }, { index: 1, records }] }],
    });
    expect(res.responses[0]!.partitionResponses.map((p) => [p.index, p.errorCode])).toEqual([[0, ErrorCode.UNKNOWN_SERVER_ERROR], [1, ErrorCode.UNKNOWN_SERVER_ERROR]]);
    expect(c.closed).toBe(false);
    await c.send(ApiKey.Produce, 9, { acks: 0, timeoutMs: 1000, transactionalId: null, topicData: [{ name: 'boom', partitionData: [{ index: 0, records }] }] });
    const deadline = Date.now() + 5000;
    while (!c.closed && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(c.closed).toBe(true);
    expect(await failures('Produce')).toBe(2);
  } finally {
    c.close();
  }
});
