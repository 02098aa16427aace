// Range assignment, as `highwater consume --group` computes it when its member leads the group.
import { expect, test } from 'vitest';
import { assignRange } from '../../../src/cli/consume-group.ts';

test('range assignment: partitions in order, the first members in id order take the remainder', () => {
  expect(assignRange(['b', 'a', 'c'], 7)).toEqual(new Map([['a', [0, 1, 2]], ['b', [3, 4]], ['c', [5, 6]]]));
  expect(assignRange(['m'], 0)).toEqual(new Map([['m', []]]));
  expect(assignRange(['x', 'y'], 1)).toEqual(new Map([['x', [0]], ['y', []]]));
});
