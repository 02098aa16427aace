// The server-side assignors of KIP-848 on their own: balance, stickiness, range's co-partitioning,
// heterogeneous subscriptions, and that every subscribed partition has exactly one owner.
import { expect, test } from 'vitest';
import { type Assignment, type AssignorMember, rangeAssignor, uniformAssignor } from '../../../src/coordinator/consumer-assignors.ts';

const member = (memberId: string, topics: string[], previous: Assignment = new Map(), instanceId: string | null = null): AssignorMember => ({
  memberId, instanceId, subscribedTopicIds: new Set(topics), previous,
});

const flat = (a: Assignment): string[] => [...a].flatMap(([t, s]) => [...s].map((p) => `${t}:${p}`)).sort();

function owners(result: Map<string, Assignment>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [m, a] of result) for (const tp of flat(a)) out.set(tp, [...(out.get(tp) ?? []), m]);
  return out;
}

test('uniform: 7 partitions over 3 members is 3/2/2, each partition once', () => {
  const result = uniformAssignor.assign({ members: [member('a', ['t']), member('b', ['t']), member('c', ['t'])], partitionCounts: new Map([['t', 7]]) });
  const sizes = [...result.values()].map((a) => flat(a).length).sort();
  expect(sizes).toEqual([2, 2, 3]);
  const own = owners(result);
  expect(own.size).toBe(7);
  for (const v of own.values()) expect(v).toHaveLength(1);
});

test('uniform is sticky: a fourth member takes partitions only from the fullest, the rest stay', () => {
  const first = uniformAssignor.assign({ members: [member('a', ['t']), member('b', ['t']), member('c', ['t'])], partitionCounts: new Map([['t', 8]]) });
  const second = uniformAssignor.assign({
    members: ['a', 'b', 'c'].map((m) => member(m, ['t'], first.get(m))).concat(member('d', ['t'])),
    partitionCounts: new Map([['t', 8]]),
  });
  expect([...second.values()].map((a) => flat(a).length)).toEqual([2, 2, 2, 2]);
  for (const m of ['a', 'b', 'c']) for (const tp of flat(second.get(m)!)) expect(flat(first.get(m)!)).toContain(tp);
});

test('uniform with different subscriptions gives each topic only to its subscribers, balanced where they overlap', () => {
  const result = uniformAssignor.assign({
    members: [member('a', ['t1']), member('b', ['t1', 't2']), member('c', ['t2'])],
    partitionCounts: new Map([['t1', 4], ['t2', 4]]),
  });
  expect(flat(result.get('a')!).every((tp) => tp.startsWith('t1:'))).toBe(true);
  expect(flat(result.get('c')!).every((tp) => tp.startsWith('t2:'))).toBe(true);
  const sizes = [...result.values()].map((a) => flat(a).length);
  expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  expect(owners(result).size).toBe(8);
});

test('uniform leaves a member without subscribed topics empty, and an assignment of no members is empty', () => {
  expect(flat(uniformAssignor.assign({ members: [member('a', []), member('b', ['t'])], partitionCounts: new Map([['t', 2]]) }).get('a')!)).toEqual([]);
  expect(uniformAssignor.assign({ members: [], partitionCounts: new Map([['t', 2]]) }).size).toBe(0);
});

test('range: contiguous ranges in member-id order, the first members one more; co-partitioned topics line up', () => {
  const result = rangeAssignor.assign({
    members: [member('m2', ['x', 'y']), member('m1', ['x', 'y']), member('m3', ['x', 'y'])],
    partitionCounts: new Map([['x', 5], ['y', 5]]),
  });
  expect(flat(result.get('m1')!)).toEqual(['x:0', 'x:1', 'y:0', 'y:1']);
  expect(flat(result.get('m2')!)).toEqual(['x:2', 'x:3', 'y:2', 'y:3']);
  expect(flat(result.get('m3')!)).toEqual(['x:4', 'y:4']);
});

test('range puts static members first, ordered by instance id', () => {
  const result = rangeAssignor.assign({
    members: [member('a', ['t']), member('z', ['t'], new Map(), 'i-1')],
    partitionCounts: new Map([['t', 2]]),
  });
  expect(flat(result.get('z')!)).toEqual(['t:0']);
  expect(flat(result.get('a')!)).toEqual(['t:1']);
});
