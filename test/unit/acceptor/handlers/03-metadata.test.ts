// Metadata: this broker as leader of every partition, all topics, unknown topics, auto-creation.
import { afterEach, beforeEach, expect, test } from 'vitest';
import metadata from '../../../../src/acceptor/handlers/03-metadata.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
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

test('an unknown topic is created with the default partition count when both sides allow it', async () => {
  const res = await call<MetadataResponse>(metadata, s, 12, { topics: [{ name: 'fresh', topicId: '' }], allowAutoTopicCreation: true });
  expect(res!.topics[0]!.errorCode).toBe(ErrorCode.NONE);
  expect(res!.topics[0]!.partitions).toHaveLength(s.config.numPartitions);
  expect(s.metadataWrites[0]![0]).toMatchObject({ type: 'create-topic', name: 'fresh' });
});

test('v10+ a topic asked by ID alone is answered by ID; an unknown ID is UNKNOWN_TOPIC_ID', async () => {
  const id = s.cluster.topicByName('t')!.topicId;
  const res = await call<MetadataResponse>(metadata, s, 12, { topics: [{ name: null, topicId: id }, { name: null, topicId: '00000000-0000-0000-0000-0000000000ab' }], allowAutoTopicCreation: false });
  expect(res!.topics.map((t) => [t.name, t.errorCode])).toEqual([['t', ErrorCode.NONE], [null, ErrorCode.UNKNOWN_TOPIC_ID]]);
});
