// ListGroups: every group, filtered by state (v4+) and type (v5+); loading is an error.
import { afterEach, beforeEach, expect, test } from 'vitest';
import pino from 'pino';
import listGroups from '../../../../src/acceptor/handlers/16-list-groups.ts';
import { ErrorCode } from '../../../../src/protocol/errors.ts';
import { GroupCoordinator } from '../../../../src/coordinator/coordinator.ts';
import type { ListGroupsResponse } from '../../../../src/protocol/generated/list-groups-response.ts';
import { call, fakeServices, type FakeServices } from '../../../helpers/fake-services.ts';
import { joinedMember } from './group-fixture.ts';

let s: FakeServices;
beforeEach(() => { s = fakeServices(); });
afterEach(() => s.close());

test('groups are listed and filtered by state and type, case-insensitively', async () => {
  await joinedMember(s, 'g');
  const list = (version: number, statesFilter: string[], typesFilter: string[] = []) =>
    call<ListGroupsResponse>(listGroups, s, version, { statesFilter, typesFilter });
  expect((await list(3, ['empty']))!.groups.map((g) => [g.groupId, g.groupState])).toEqual([['g', 'Stable']]);
  expect((await list(4, ['empty']))!.groups).toEqual([]);
  expect((await list(4, ['STABLE']))!.groups.map((g) => g.groupId)).toEqual(['g']);
  expect((await list(5, [], ['consumer']))!.groups).toEqual([]);
  expect((await list(5, [], ['Classic']))!.groups.map((g) => g.groupType)).toEqual(['classic']);
});

test('a coordinator still loading answers COORDINATOR_LOAD_IN_PROGRESS', async () => {
  const loading = new GroupCoordinator({ store: { append: async () => undefined }, partitionExists: () => true, log: pino({ level: 'silent' }), settings: {} });
  try {
    const res = await call<ListGroupsResponse>(listGroups, { ...s, coordinator: loading }, 4, { statesFilter: [], typesFilter: [] });
    expect(res!.errorCode).toBe(ErrorCode.COORDINATOR_LOAD_IN_PROGRESS);
  } finally {
    await loading.close();
  }
});
