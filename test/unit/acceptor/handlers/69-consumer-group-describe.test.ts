// ConsumerGroupDescribe: a consumer group with its member's epoch, subscription, assignment and
// target by topic name; GROUP_ID_NOT_FOUND for an unknown group and for a classic one.
import { afterEach, beforeEach, expect, test } from 'vitest';
import describe from '../../../../src/acceptor/handlers/69-consumer-group-describe.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { ConsumerGroupDescribeResponse } from '../../../../src/protocol/generated/consumer-group-describe-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';
import { joinedMember } from './group-fixture.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); });
afterEach(() => s.close());

test('a consumer group, an unknown group and a classic group', async () => {
  const topic = s.addTopic('t', 2);
  await s.groups.consumerGroupHeartbeat({
    groupId: 'cg', memberId: 'm-1', memberEpoch: 0, instanceId: 'i-1', rackId: 'r1', rebalanceTimeoutMs: 30_000, subscribedTopicNames: ['t'],
    subscribedTopicRegex: null, serverAssignor: 'range', topicPartitions: [], clientId: 'c', clientHost: '/127.0.0.1', apiVersion: 1,
  });
  await joinedMember(s, 'classic');
  const res = await call<ConsumerGroupDescribeResponse>(describe, s, 0, { groupIds: ['cg', 'nope', 'classic'], includeAuthorizedOperations: true });
  const [cg, nope, classic] = res!.groups;
  const parts = { topicPartitions: [{ topicId: topic.topicId, topicName: 't', partitions: [0, 1] }] };
  expect(cg).toEqual({
    errorCode: 0, errorMessage: null, groupId: 'cg', groupState: 'Stable', groupEpoch: 2, assignmentEpoch: 2, assignorName: 'range',
    members: [{
      memberId: 'm-1', instanceId: 'i-1', rackId: 'r1', memberEpoch: 2, clientId: 'c', clientHost: '/127.0.0.1',
      subscribedTopicNames: ['t'], subscribedTopicRegex: '', assignment: parts, targetAssignment: parts,
    }],
    authorizedOperations: 3400,
  });
  expect(nope).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: 'Group nope not found.', groupState: '', authorizedOperations: -2147483648 });
  expect(classic).toMatchObject({ errorCode: ErrorCode.GROUP_ID_NOT_FOUND, errorMessage: 'Group classic is not a consumer group.' });
});
