// JoinGroup: version-dependent parameters (rebalance timeout, member id required, static members).
import { afterEach, beforeEach, expect, test } from 'vitest';
import joinGroup, { clientHostOf } from '../../../../src/acceptor/handlers/11-join-group.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { JoinGroupResponse } from '../../../../src/protocol/generated/join-group-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); });
afterEach(() => s.close());

const join = (version: number, memberId = '') => call<JoinGroupResponse>(joinGroup, s, version, {
  groupId: 'g', sessionTimeoutMs: 1000, rebalanceTimeoutMs: 2000, memberId, groupInstanceId: null, protocolType: 'consumer',
  protocols: [{ name: 'range', metadata: Buffer.from('meta') }], reason: null,
});

test('v4+: a first join without a member id gets MEMBER_ID_REQUIRED and an id to rejoin with', async () => {
  const res = await join(5);
  expect(res!.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  expect(res!.memberId).toMatch(/^test-client-/);
  const again = await join(5, res!.memberId);
  expect(again).toMatchObject({ errorCode: ErrorCode.NONE, generationId: 1, leader: res!.memberId, protocolName: 'range' });
});

test('v3 joins at once; the member is described with the connection\'s client host', async () => {
  const res = await join(3);
  expect(res!.errorCode).toBe(ErrorCode.NONE);
  expect(s.groups.describeGroup('g').members[0]!.clientHost).toBe('/10.0.0.7');
});

test('clientHostOf is Kafka\'s "/address" form', () => {
  expect(clientHostOf('127.0.0.1:5000')).toBe('/127.0.0.1');
  expect(clientHostOf('[::1]:5000')).toBe('/[::1]');
});
