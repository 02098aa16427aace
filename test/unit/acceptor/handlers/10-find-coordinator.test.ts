// FindCoordinator: this broker for groups, one key (v0-3) or a batch (v4+), transactions refused.
import { afterEach, beforeEach, expect, test } from 'vitest';
import findCoordinator from '../../../../src/acceptor/handlers/10-find-coordinator.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { FindCoordinatorResponse } from '../../../../src/protocol/generated/find-coordinator-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices({ nodeId: 3, port: 9093 }); });
afterEach(() => s.close());

test('v3: a group key finds this broker at its advertised endpoint', async () => {
  const res = await call<FindCoordinatorResponse>(findCoordinator, s, 3, { key: 'g', keyType: 0 });
  expect(res).toMatchObject({ errorCode: ErrorCode.NONE, nodeId: 3, host: 'broker.test', port: 9093 });
});

test('v4+: each key is answered; transaction keys are served by this broker too, unknown types INVALID_REQUEST', async () => {
  const groups = await call<FindCoordinatorResponse>(findCoordinator, s, 4, { keyType: 0, coordinatorKeys: ['a', 'b'] });
  expect(groups!.coordinators.map((c) => [c.key, c.nodeId, c.errorCode])).toEqual([['a', 3, ErrorCode.NONE], ['b', 3, ErrorCode.NONE]]);
  const txn = await call<FindCoordinatorResponse>(findCoordinator, s, 4, { keyType: 1, coordinatorKeys: ['tx'] });
  expect(txn!.coordinators[0]).toMatchObject({ key: 'tx', errorCode: ErrorCode.NONE, nodeId: 3 });
  const odd = await call<FindCoordinatorResponse>(findCoordinator, s, 4, { keyType: 9, coordinatorKeys: ['x'] });
  expect(odd!.coordinators[0]!.errorCode).toBe(ErrorCode.INVALID_REQUEST);
});

test('a found coordinator carries Kafka\'s success message: "NONE" at v1-3, "" per key at v4+', async () => {
  expect((await call<FindCoordinatorResponse>(findCoordinator, s, 1, { key: 'g', keyType: 0 }))!.errorMessage).toBe('NONE');
  const v4 = await call<FindCoordinatorResponse>(findCoordinator, s, 4, { keyType: 0, coordinatorKeys: ['a'] });
  expect(v4!.coordinators[0]!.errorMessage).toBe('');
});
