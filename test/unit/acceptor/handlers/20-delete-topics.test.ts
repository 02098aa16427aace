// DeleteTopics: by name (v0-5) and by name or ID (v6+); unknown topics and both-set requests refused.
import { afterEach, beforeEach, expect, test } from 'vitest';
import deleteTopics from '../../../../src/acceptor/handlers/20-delete-topics.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { DeleteTopicsResponse } from '../../../../src/protocol/generated/delete-topics-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); s.addTopic('a', 1); s.addTopic('b', 1); });
afterEach(() => s.close());

test('v5 deletes by name; an unknown name is UNKNOWN_TOPIC_OR_PARTITION', async () => {
  const res = await call<DeleteTopicsResponse>(deleteTopics, s, 5, { topicNames: ['a', 'nope'], timeoutMs: 1000 });
  expect(res!.responses.map((r) => [r.name, r.errorCode])).toEqual([['a', ErrorCode.NONE], ['nope', ErrorCode.UNKNOWN_TOPIC_OR_PARTITION]]);
  expect(s.cluster.topicByName('a')).toBeUndefined();
  expect(s.metadataWrites[0]![0]).toMatchObject({ type: 'delete-topic' });
});

test('v6 deletes by ID; an unknown ID is UNKNOWN_TOPIC_ID; name and ID together is INVALID_REQUEST', async () => {
  const id = s.cluster.topicByName('b')!.topicId;
  const res = await call<DeleteTopicsResponse>(deleteTopics, s, 6, {
    topics: [{ name: null, topicId: id }, { name: null, topicId: '00000000-0000-0000-0000-0000000000cd' }, { name: 'a', topicId: id }], timeoutMs: 1000,
  });
  expect(res!.responses.map((r) => [r.name, r.errorCode])).toEqual([['b', ErrorCode.NONE], [null, ErrorCode.UNKNOWN_TOPIC_ID], ['a', ErrorCode.INVALID_REQUEST]]);
  expect(s.cluster.topicByName('b')).toBeUndefined();
  expect(s.cluster.topicByName('a')).toBeDefined();
});

test('a topic whose name starts with __ is deleted like any other (issue 19 defect 10)', async () => {
  s.addTopic('__app-state', 1);
  const res = await call<DeleteTopicsResponse>(deleteTopics, s, 5, { topicNames: ['__app-state'], timeoutMs: 1000 });
  expect(res!.responses[0]!.errorCode).toBe(ErrorCode.NONE);
  expect(s.cluster.topicByName('__app-state')).toBeUndefined();
});
