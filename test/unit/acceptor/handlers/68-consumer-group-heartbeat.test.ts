// ConsumerGroupHeartbeat: a member joins and gets its partitions with topic ids; v0 leaves the
// regex out (the field is v1+); the error response carries no member and no assignment.
import { afterEach, beforeEach, expect, test } from 'vitest';
import heartbeat from '../../../../src/acceptor/handlers/68-consumer-group-heartbeat.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { ConsumerGroupHeartbeatResponse } from '../../../../src/protocol/generated/consumer-group-heartbeat-response.ts';
import { call, errorResponseOf, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); });
afterEach(() => s.close());

const join = (over: object = {}) => ({
  groupId: 'g', memberId: 'm-1', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000,
  subscribedTopicNames: ['t'], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [], ...over,
});

test('a joining member gets epoch 2, the heartbeat interval and every partition by topic id', async () => {
  const topic = s.addTopic('t', 3);
  const res = await call<ConsumerGroupHeartbeatResponse>(heartbeat, s, 1, join());
  expect(res).toMatchObject({ errorCode: ErrorCode.NONE, errorMessage: null, memberId: 'm-1', memberEpoch: 2, heartbeatIntervalMs: 5000 });
  expect(res!.assignment).toEqual({ topicPartitions: [{ topicId: topic.topicId, partitions: [0, 1, 2] }] });
  expect(s.groups.consumerGroupDescribe('g').members[0]).toMatchObject({ clientId: 'test-client', clientHost: '/10.0.0.7' });
});

test('v0 ignores the regex field and names the member itself', async () => {
  s.addTopic('t', 1);
  const res = await call<ConsumerGroupHeartbeatResponse>(heartbeat, s, 0, join({ memberId: '', subscribedTopicNames: ['t'], subscribedTopicRegex: 'a(' }));
  expect(res!.errorCode).toBe(ErrorCode.NONE);
  expect(res!.memberId).toHaveLength(22);
});

test('the error response has the error and nothing else', () => {
  expect(errorResponseOf(heartbeat, s, 1, join())).toEqual({
    throttleTimeMs: 0, errorCode: ErrorCode.UNKNOWN_SERVER_ERROR, errorMessage: null, memberId: null, memberEpoch: 0, heartbeatIntervalMs: 0, assignment: null,
  });
});
