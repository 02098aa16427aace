// Classic groups across a coordinator restart, under a fake clock: what one coordinator writes to
// its (in-memory) log, encoded and decoded as the offsets log does, is loaded by the next; a
// static member that rejoins gets its generation and assignment back without a rebalance, a
// dynamic member carries on with its member id, a member silent for a session after the load is
// removed, and a deleted group stays deleted.
import { afterEach, beforeEach, expect, test, vi } from 'vitest';
import pino from 'pino';
import { GroupCoordinator } from '../../../src/coordinator/coordinator.ts';
import {
  decodeClassicGroupEntry, encodeClassicGroupEntry, isClassicGroupEntry, restoreClassicGroup, type ClassicGroupLogEntry,
} from '../../../src/coordinator/classic-group-log.ts';
import { decodeOffsetEntry, encodeOffsetEntry, type CoordinatorLogEntry, type OffsetLogEntry } from '../../../src/coordinator/offsets-log.ts';
import { ErrorCode } from '../../../src/protocol/errors.ts';
import { joinParams } from './fixtures.ts';

class LogStore {
  readonly entries: CoordinatorLogEntry[] = [];
  async append(entries: readonly CoordinatorLogEntry[]): Promise<void> {
    this.entries.push(...entries);
  }
}

const coordinators: GroupCoordinator[] = [];
function make(store: LogStore): GroupCoordinator {
  const c = new GroupCoordinator({
    store, partitionExists: () => true, log: pino({ level: 'silent' }),
    settings: { groupMinSessionTimeoutMs: 100, groupInitialRebalanceDelayMs: 0 },
  });
  coordinators.push(c);
  return c;
}

/** A new coordinator loaded from `store`'s records, each through its on-disk encoding. */
async function reload(store: LogStore): Promise<GroupCoordinator> {
  const next = make(store);
  await next.load(async (apply) => {
    for (const e of store.entries) {
      if (isClassicGroupEntry(e)) {
        const r = encodeClassicGroupEntry(e);
        apply(decodeClassicGroupEntry(r.key, r.value)!);
      } else if (!('kind' in e)) {
        const r = encodeOffsetEntry(e);
        apply(decodeOffsetEntry(r.key, r.value)!);
      }
    }
  });
  return next;
}

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
vi.setConfig({ testTimeout: 10_000 });
afterEach(async () => {
  for (const c of coordinators.splice(0)) await c.close();
  vi.useRealTimers();
});

const protocols = [{ name: 'range', metadata: Buffer.from('sub-range') }, { name: 'roundrobin', metadata: Buffer.from('sub-rr') }];

/** Static member "a" and dynamic member "b" form generation 1 with assignments A and B. */
async function stableGroup(c: GroupCoordinator) {
  // b's member id is handed out first, so the join waits for both.
  const pending = await c.joinGroup(joinParams({ protocols }));
  expect(pending.errorCode).toBe(ErrorCode.MEMBER_ID_REQUIRED);
  const ja = c.joinGroup(joinParams({ groupInstanceId: 'inst-a', protocols }));
  const jb = c.joinGroup(joinParams({ memberId: pending.memberId, protocols }));
  const [a, b] = await Promise.all([ja, jb]);
  expect([a.generationId, b.generationId]).toEqual([1, 1]);
  const leader = a.leader === a.memberId ? a : b;
  const assignments = [{ memberId: a.memberId, assignment: Buffer.from('A') }, { memberId: b.memberId, assignment: Buffer.from('B') }];
  const sync = (m: typeof a, inst: string | null) => c.syncGroup({
    groupId: 'g', generationId: 1, memberId: m.memberId, groupInstanceId: inst, protocolType: 'consumer', protocolName: 'range',
    assignments: m === leader ? assignments : [],
  });
  const [sa, sb] = await Promise.all([sync(a, 'inst-a'), sync(b, null)]);
  expect([sa.assignment.toString(), sb.assignment.toString()]).toEqual(['A', 'B']);
  return { a: a.memberId, b: b.memberId, leader: leader.memberId };
}

test('the record holds what Kafka\'s GroupMetadataValue holds, and restores a Stable group', async () => {
  const store = new LogStore();
  const c = make(store);
  c.markLoaded();
  const { a, b, leader } = await stableGroup(c);
  const written = store.entries.filter(isClassicGroupEntry);
  expect(written).toHaveLength(1);
  const record = encodeClassicGroupEntry(written[0]!);
  const decoded = decodeClassicGroupEntry(record.key, record.value) as ClassicGroupLogEntry;
  expect(decoded.value).toMatchObject({ protocolType: 'consumer', generationId: 1, protocolName: 'range', leaderId: leader });
  expect(decoded.value!.members.map((m) => [m.memberId, m.groupInstanceId, m.subscription.toString(), m.assignment.toString()])).toEqual([
    [a, 'inst-a', 'sub-range', 'A'], [b, null, 'sub-range', 'B'],
  ]);
  const group = restoreClassicGroup('g', decoded.value!);
  expect([group.state, group.generationId, group.leaderId, group.staticMembers.get('inst-a')]).toEqual(['Stable', 1, leader, a]);
  // A record that is not a classic-group record of this format is not taken for one.
  expect(decodeClassicGroupEntry(Buffer.from(JSON.stringify([1, 'offset', 'g', 't', 0])), null)).toBeUndefined();
});

test('after a restart a static member rejoins into its generation and assignment; a dynamic one carries on', async () => {
  const store = new LogStore();
  const first = make(store);
  first.markLoaded();
  const { a, b } = await stableGroup(first);
  await first.close();

  const c = await reload(store);
  const d = c.describeGroup('g');
  expect([d.state, d.generationId]).toEqual(['Stable', 1]);
  expect(d.members.map((m) => [m.memberId, m.groupInstanceId, m.memberAssignment.toString()])).toEqual([[a, 'inst-a', 'A'], [b, null, 'B']]);

  // The dynamic member's heartbeat with its old id and generation is recognized.
  expect(c.heartbeat({ groupId: 'g', generationId: 1, memberId: b, groupInstanceId: null })).toBe(ErrorCode.NONE);
  // The static member's process restarted too: no member id, its instance id, all its protocols.
  const rejoin = await c.joinGroup(joinParams({ groupInstanceId: 'inst-a', protocols }));
  expect(rejoin.errorCode).toBe(ErrorCode.NONE);
  expect(rejoin.generationId).toBe(1);
  expect(rejoin.memberId).not.toBe(a);
  const sync = await c.syncGroup({ groupId: 'g', generationId: 1, memberId: rejoin.memberId, groupInstanceId: 'inst-a', protocolType: 'consumer', protocolName: 'range', assignments: [] });
  expect([sync.errorCode, sync.assignment.toString()]).toEqual([ErrorCode.NONE, 'A']);
  expect(c.describeGroup('g').state).toBe('Stable');
  // The old member id is fenced, and the new one was written, so a second restart knows it.
  expect(c.heartbeat({ groupId: 'g', generationId: 1, memberId: a, groupInstanceId: 'inst-a' })).toBe(ErrorCode.FENCED_INSTANCE_ID);
  await c.close();
  const again = await reload(store);
  expect(again.describeGroup('g').members.map((m) => m.memberId).sort()).toEqual([rejoin.memberId, b].sort());
});

test('a member silent for a session after the load is removed and the group rebalances', async () => {
  const store = new LogStore();
  const first = make(store);
  first.markLoaded();
  const { b } = await stableGroup(first);
  await first.close();
  // The broker was down for longer than the session: the session still counts from the load, as Kafka's.
  vi.setSystemTime(Date.now() + 60_000);
  const c = await reload(store);
  await vi.advanceTimersByTimeAsync(600);
  expect(c.heartbeat({ groupId: 'g', generationId: 1, memberId: b, groupInstanceId: null })).toBe(ErrorCode.NONE);
  await vi.advanceTimersByTimeAsync(600);
  // a (static) has been silent for 1.2 s > its 1 s session since the load: removed.
  expect(c.heartbeat({ groupId: 'g', generationId: 1, memberId: b, groupInstanceId: null })).toBe(ErrorCode.REBALANCE_IN_PROGRESS);
  expect(c.describeGroup('g').members.map((m) => m.memberId)).toEqual([b]);
});

test('a group that ends empty is written so, and a deleted group is not brought back', async () => {
  const store = new LogStore();
  const first = make(store);
  first.markLoaded();
  const { a, b } = await stableGroup(first);
  // Offsets, so the empty group is kept (and can be deleted).
  const commit = await first.commitOffsets({
    groupId: 'g', generationId: 1, memberId: b, groupInstanceId: null, apiVersion: 8,
    topics: [{ name: 't', partitions: [{ partitionIndex: 0, committedOffset: 5n, committedLeaderEpoch: 0, committedMetadata: null }] }],
  } as Parameters<GroupCoordinator['commitOffsets']>[0]);
  expect(commit[0]!.partitions[0]!.errorCode).toBe(ErrorCode.NONE);
  first.leaveGroup('g', [{ memberId: a, groupInstanceId: 'inst-a' }, { memberId: b, groupInstanceId: null }]);
  await vi.advanceTimersByTimeAsync(0);
  expect(first.describeGroup('g').state).toBe('Empty');
  await first.close();

  const c = await reload(store);
  const d = c.describeGroup('g');
  expect([d.state, d.generationId, d.members]).toEqual(['Empty', 2, []]);
  expect((await c.deleteGroups(['g']))[0]!.errorCode).toBe(ErrorCode.NONE);
  await c.close();
  const after = await reload(store);
  expect(after.describeGroup('g').state).toBe('Dead');
  expect(store.entries.filter((e): e is OffsetLogEntry => !('kind' in e)).at(-1)!.value).toBeNull();
});
