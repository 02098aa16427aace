// CreateTopics: validation with Kafka's codes, validate_only, duplicates, and v5+ configs.
import { afterEach, beforeEach, expect, test } from 'vitest';
import createTopics from '../../../../src/acceptor/handlers/19-create-topics.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { CreateTopicsResponse } from '../../../../src/protocol/generated/create-topics-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); s.addTopic('existing', 1); });
afterEach(() => s.close());

const topic = (name: string, more: Record<string, unknown> = {}) => ({ name, numPartitions: 3, replicationFactor: -1, assignments: [], configs: [], ...more });
const create = (version: number, topics: unknown[], validateOnly = false) => call<CreateTopicsResponse>(createTopics, s, version, { topics, timeoutMs: 1000, validateOnly });

test('a new topic is written to the metadata, and v5+ answers its partitions and configs in force', async () => {
  const res = await create(7, [topic('fresh', { configs: [{ name: 'retention.ms', value: '1000' }] })]);
  const r = res!.topics[0]!;
  expect(r).toMatchObject({ name: 'fresh', errorCode: ErrorCode.NONE, numPartitions: 3, replicationFactor: 1 });
  expect(r.topicId).toBe(s.cluster.topicByName('fresh')!.topicId);
  expect(r.configs?.find((c) => c.name === 'retention.ms')?.value).toBe('1000');
  expect(s.cluster.topicByName('fresh')!.partitions).toHaveLength(3);
});

test('existing, duplicate, invalid and over-replicated topics get Kafka\'s codes; validate_only writes nothing', async () => {
  const res = await create(4, [
    topic('existing'), topic('dup'), topic('dup'), topic('bad name!'), topic('rf', { replicationFactor: 3 }), topic('zero', { numPartitions: 0 }),
    topic('cfg', { configs: [{ name: 'no.such.config', value: '1' }] }),
  ]);
  expect(res!.topics.map((t) => [t.name, t.errorCode])).toEqual([
    ['existing', ErrorCode.TOPIC_ALREADY_EXISTS], ['dup', ErrorCode.NONE], ['dup', ErrorCode.INVALID_REQUEST], ['bad name!', ErrorCode.INVALID_TOPIC_EXCEPTION],
    ['rf', ErrorCode.INVALID_REPLICATION_FACTOR], ['zero', ErrorCode.INVALID_PARTITIONS], ['cfg', ErrorCode.INVALID_CONFIG],
  ]);
  s.metadataWrites.length = 0;
  const dry = await create(4, [topic('dry')], true);
  expect(dry!.topics[0]).toMatchObject({ errorCode: ErrorCode.NONE, numPartitions: 3 });
  expect(s.metadataWrites).toEqual([]);
  expect(s.cluster.topicByName('dry')).toBeUndefined();
});

test('v7 validate_only answers a topic id, as Kafka\'s controller does, and writes nothing', async () => {
  const dry = await create(7, [topic('dry-id')], true);
  expect(dry!.topics[0]!.errorCode).toBe(ErrorCode.NONE);
  expect(dry!.topics[0]!.topicId).toMatch(/^[0-9a-f-]{36}$/);
  expect(dry!.topics[0]!.topicId).not.toBe('00000000-0000-0000-0000-000000000000');
  expect(s.metadataWrites).toEqual([]);
});

test('names starting with __ are ordinary topics; Kafka\'s internal names and Highwater\'s own are refused', async () => {
  const res = await create(7, [topic('__app'), topic('__consumer_offsets'), topic('__transaction_state'), topic('__cluster_metadata'), topic('__highwater_x')]);
  expect(res!.topics.map((t) => [t.name, t.errorCode])).toEqual([
    ['__app', ErrorCode.NONE], ['__consumer_offsets', ErrorCode.INVALID_REQUEST], ['__transaction_state', ErrorCode.INVALID_REQUEST],
    ['__cluster_metadata', ErrorCode.INVALID_REQUEST], ['__highwater_x', ErrorCode.INVALID_REQUEST],
  ]);
  expect(s.cluster.topicByName('__app')!.internal).toBe(false);
});
