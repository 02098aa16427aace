// Heartbeat: a member of a stable group is kept alive; strangers and old generations are refused.
import { afterEach, beforeEach, expect, test } from 'vitest';
import heartbeat from '../../../../src/acceptor/handlers/12-heartbeat.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import type { HeartbeatResponse } from '../../../../src/protocol/generated/heartbeat-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';
import { joinedMember } from './group-fixture.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); });
afterEach(() => s.close());

test('the member of a stable group gets NONE; another generation ILLEGAL_GENERATION; a stranger UNKNOWN_MEMBER_ID', async () => {
  const { memberId, generationId } = await joinedMember(s, 'g');
  const beat = (m: string, g: number) => call<HeartbeatResponse>(heartbeat, s, 4, { groupId: 'g', generationId: g, memberId: m, groupInstanceId: null });
  expect((await beat(memberId, generationId))!.errorCode).toBe(ErrorCode.NONE);
  expect((await beat(memberId, generationId + 1))!.errorCode).toBe(ErrorCode.ILLEGAL_GENERATION);
  expect((await beat('stranger', generationId))!.errorCode).toBe(ErrorCode.UNKNOWN_MEMBER_ID);
});
