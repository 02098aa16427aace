// The KIP-848 APIs ask the authorizer what KafkaApis asks: ConsumerGroupHeartbeat READ on the group
// (refused before the coordinator sees the member), ConsumerGroupDescribe DESCRIBE on each group.
import { afterEach, beforeEach, expect, test } from 'vitest';
import heartbeat from '../../../../src/acceptor/handlers/68-consumer-group-heartbeat.ts';
import describe from '../../../../src/acceptor/handlers/69-consumer-group-describe.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { ConsumerGroupHeartbeatResponse } from '../../../../src/protocol/generated/consumer-group-heartbeat-response.ts';
import type { ConsumerGroupDescribeResponse } from '../../../../src/protocol/generated/consumer-group-describe-response.ts';
import { allowOnlyAuthorizer } from '../../../helpers/fake-authorizer.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
const asked: string[] = [];
/** Allows exactly the listed "OPERATION type:name" strings. */
const allowOnly = (...allowed: string[]) => { s.authorizer = allowOnlyAuthorizer(allowed, asked); };
beforeEach(() => {
  s = fakeServices();
  asked.length = 0;
  s.addTopic('t', 2);
});
afterEach(() => s.close());

const join = (groupId: string) => ({
  groupId, memberId: 'm-1', memberEpoch: 0, instanceId: null, rackId: null, rebalanceTimeoutMs: 30_000,
  subscribedTopicNames: ['t'], subscribedTopicRegex: null, serverAssignor: null, topicPartitions: [],
});

test('ConsumerGroupHeartbeat needs READ on the group; a refused member never joins', async () => {
  allowOnly('READ group:allowed', 'DESCRIBE group:allowed');
  const refused = await call<ConsumerGroupHeartbeatResponse>(heartbeat, s, 1, join('denied'));
  expect(refused).toMatchObject({ errorCode: ErrorCode.GROUP_AUTHORIZATION_FAILED, memberId: null, assignment: null });
  expect(asked).toContain('READ group:denied');
  const joined = await call<ConsumerGroupHeartbeatResponse>(heartbeat, s, 1, join('allowed'));
  expect(joined!.errorCode).toBe(ErrorCode.NONE);
  expect(joined!.memberEpoch).toBeGreaterThan(0);
  const described = await call<ConsumerGroupDescribeResponse>(describe, s, 0, { groupIds: ['allowed', 'denied'], includeAuthorizedOperations: false });
  expect(described!.groups.map((g) => [g.groupId, g.errorCode])).toEqual([
    ['allowed', ErrorCode.NONE], ['denied', ErrorCode.GROUP_AUTHORIZATION_FAILED],
  ]);
  expect(described!.groups[0]!.members).toHaveLength(1);
});
