// Metadata: this broker as leader of every partition, all topics, unknown topics, auto-creation.
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import metadata from '../../../../src/acceptor/handlers/03-metadata.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import { ZERO_UUID } from '../../../../src/protocol/primitives.ts';
import type { MetadataResponse } from '../../../../src/protocol/generated/metadata-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices({ nodeId: 4, port: 9999 }); s.addTopic('t', 2); });
afterEach(() => s.close());

test('null topics lists every topic, led by this broker at its advertised endpoint', async () => {
  const res = await call<MetadataResponse>(metadata, s, 12, { topics: null, allowAutoTopicCreation: false });
  expect(res!.brokers).toEqual([{ nodeId: 4, host: 'broker.test', port: 9999, rack: null }]);
  expect(res!.controllerId).toBe(4);
  expect(res!.clusterId).toBe('fake-cluster-id');
  expect(res!.topics.map((t) => [t.name, t.partitions.map((p) => [p.partitionIndex, p.leaderId])])).toEqual([['t', [[0, 4], [1, 4]]]]);
});

test('an unknown topic is UNKNOWN_TOPIC_OR_PARTITION when auto-creation is off for the request', async () => {
  const res = await call<MetadataResponse>(metadata, s, 12, { topics: [{ name: 'nope', topicId: '' }], allowAutoTopicCreation: false });
  expect(res!.topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  expect(s.metadataWrites).toEqual([]);
});

test('auto-creation answers UNKNOWN_TOPIC_OR_PARTITION and creates the topic in the background with num.partitions', async () => {
  const res = await call<MetadataResponse>(metadata, s, 12, { topics: [{ name: 'fresh', topicId: ZERO_UUID }], allowAutoTopicCreation: true });
  expect(res!.topics[0]).toMatchObject({ name: 'fresh', errorCode: ErrorCode.UNKNOWN_TOPIC_OR_PARTITION, topicId: ZERO_UUID, partitions: [] });
  await vi.waitFor(() => expect(s.cluster.topicByName('fresh')).toBeDefined());
  expect(s.cluster.topicByName('fresh')!.partitions).toHaveLength(s.config.numPartitions);
  const again = await call<MetadataResponse>(metadata, s, 12, { topics: [{ name: 'fresh', topicId: ZERO_UUID }], allowAutoTopicCreation: true });
  expect(again!.topics[0]!.errorCode).toBe(ErrorCode.NONE);
  expect(s.metadataWrites).toHaveLength(1);
});

test('two auto-creating requests for one topic start one creation', async () => {
  const ask = () => call<MetadataResponse>(metadata, s, 12, { topics: [{ name: 'twice', topicId: ZERO_UUID }], allowAutoTopicCreation: true });
  await Promise.all([ask(), ask()]);
  await vi.waitFor(() => expect(s.cluster.topicByName('twice')).toBeDefined());
  expect(s.metadataWrites.filter((w) => w.some((r) => r.type === 'create-topic' && r.name === 'twice'))).toHaveLength(1);
});

test('v0-3 auto-create whatever the request says; an illegal name is INVALID_TOPIC_EXCEPTION and creates nothing', async () => {
  const res = await call<MetadataResponse>(metadata, s, 3, { topics: [{ name: 'old-client', topicId: ZERO_UUID }], allowAutoTopicCreation: false });
  expect(res!.topics[0]!.errorCode).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
  await vi.waitFor(() => expect(s.cluster.topicByName('old-client')).toBeDefined());
  const bad = await call<MetadataResponse>(metadata, s, 12, { topics: [{ name: 'bad/name', topicId: ZERO_UUID }], allowAutoTopicCreation: true });
  expect(bad!.topics[0]!.errorCode).toBe(ErrorCode.INVALID_TOPIC_EXCEPTION);
});

test('v10-11 refuse topic ids with INVALID_REQUEST and no brokers, as Kafka does', async () => {
  const id = s.cluster.topicByName('t')!.topicId;
  for (const v of [10, 11]) {
    const res = await call<MetadataResponse>(metadata, s, v, { topics: [{ name: null, topicId: id }], allowAutoTopicCreation: false });
    expect(res).toMatchObject({ brokers: [], clusterId: null, controllerId: -1, topics: [{ errorCode: ErrorCode.INVALID_REQUEST }] });
  }
});

test('authorized operations: every topic and cluster operation Kafka defines, with no authorizer; the cluster only at v8-10', async () => {
  const ask = (v: number) => call<MetadataResponse>(metadata, s, v, {
    topics: [{ name: 't', topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeClusterAuthorizedOperations: true, includeTopicAuthorizedOperations: true,
  });
  const v10 = await ask(10);
  expect(v10!.topics[0]!.topicAuthorizedOperations).toBe(3576);
  expect(v10!.clusterAuthorizedOperations).toBe(8096);
  const v12 = await ask(12);
  expect(v12!.topics[0]!.topicAuthorizedOperations).toBe(3576);
  expect(v12!.clusterAuthorizedOperations).toBe(-2147483648);
  const notAsked = await call<MetadataResponse>(metadata, s, 12, { topics: [{ name: 't', topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  expect(notAsked!.topics[0]!.topicAuthorizedOperations).toBe(-2147483648);
});

test('authorized operations ask the authorizer, per operation, for the connection\'s principal', async () => {
  const asked: string[] = [];
  s.authorizer = { authorize: (principal, op, resource) => { asked.push(`${principal} ${resource.type}:${resource.name}`); return op === 8 || op === 3; } };
  const res = await call<MetadataResponse>(metadata, s, 12, { topics: [{ name: 't', topicId: ZERO_UUID }], allowAutoTopicCreation: false, includeTopicAuthorizedOperations: true });
  expect(res!.topics[0]!.topicAuthorizedOperations).toBe((1 << 3) | (1 << 8));
  expect(new Set(asked)).toEqual(new Set(['User:ANONYMOUS topic:t']));
});

test('v10+ a topic asked by ID alone is answered by ID; an unknown ID is UNKNOWN_TOPIC_ID', async () => {
  const id = s.cluster.topicByName('t')!.topicId;
  const res = await call<MetadataResponse>(metadata, s, 12, { topics: [{ name: null, topicId: id }, { name: null, topicId: '00000000-0000-0000-0000-0000000000ab' }], allowAutoTopicCreation: false });
  expect(res!.topics.map((t) => [t.name, t.errorCode])).toEqual([['t', ErrorCode.NONE], [null, ErrorCode.UNKNOWN_TOPIC_ID]]);
});
