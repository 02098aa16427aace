// CreatePartitions: grows a topic through one metadata write; shrinking and unknown topics refused.
import { afterEach, beforeEach, expect, test } from 'vitest';
import createPartitions from '../../../../src/acceptor/handlers/37-create-partitions.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { CreatePartitionsResponse } from '../../../../src/protocol/generated/create-partitions-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); s.addTopic('t', 2); });
afterEach(() => s.close());

const grow = (topics: unknown[], validateOnly = false) => call<CreatePartitionsResponse>(createPartitions, s, 3, { topics, timeoutMs: 1000, validateOnly });

test('a topic grows to the new count; fewer, the same, unknown topics and foreign brokers are refused', async () => {
  const res = await grow([
    { name: 't', count: 4, assignments: null }, { name: 't', count: 1, assignments: null }, { name: 'nope', count: 3, assignments: null },
  ]);
  expect(res!.results.map((r) => r.errorCode)).toEqual([ErrorCode.NONE, ErrorCode.INVALID_PARTITIONS, ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]);
  expect(s.cluster.topicByName('t')!.partitions).toHaveLength(4);
  const same = await grow([{ name: 't', count: 4, assignments: null }, { name: 't', count: 5, assignments: [{ brokerIds: [99] }] }]);
  expect(same!.results.map((r) => r.errorCode)).toEqual([ErrorCode.INVALID_PARTITIONS, ErrorCode.INVALID_REPLICA_ASSIGNMENT]);
});

test('validate_only writes nothing', async () => {
  expect((await grow([{ name: 't', count: 6, assignments: null }], true))!.results[0]!.errorCode).toBe(ErrorCode.NONE);
  expect(s.cluster.topicByName('t')!.partitions).toHaveLength(2);
  expect(s.metadataWrites).toEqual([]);
});
