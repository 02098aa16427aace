// SyncGroup: the leader's assignment comes back byte for byte; v5 checks the protocol type.
import { afterEach, beforeEach, expect, test } from 'vitest';
import syncGroup from '../../../../src/acceptor/handlers/14-sync-group.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { SyncGroupResponse } from '../../../../src/protocol/generated/sync-group-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';
import { joinedMember } from './group-fixture.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); });
afterEach(() => s.close());

test('the synced member gets its assignment; v5 answers the protocol, and a wrong type is INCONSISTENT_GROUP_PROTOCOL', async () => {
  const { memberId, generationId } = await joinedMember(s, 'g');
  const sync = (protocolType: string) => call<SyncGroupResponse>(syncGroup, s, 5, {
    groupId: 'g', generationId, memberId, groupInstanceId: null, protocolType, protocolName: 'range', assignments: [],
  });
  const ok = await sync('consumer');
  expect(ok).toMatchObject({ errorCode: ErrorCode.NONE, protocolType: 'consumer', protocolName: 'range' });
  expect(Buffer.from(ok!.assignment).toString()).toBe('assigned');
  expect((await sync('connect'))!.errorCode).toBe(ErrorCode.INCONSISTENT_GROUP_PROTOCOL);
});

test('v0 ignores the protocol fields it does not have', async () => {
  const { memberId, generationId } = await joinedMember(s, 'g');
  const res = await call<SyncGroupResponse>(syncGroup, s, 0, { groupId: 'g', generationId, memberId, groupInstanceId: 'ignored', protocolType: 'connect', protocolName: 'x', assignments: [] });
  expect(res!.errorCode).toBe(ErrorCode.NONE);
});
