// Filters as Kafka's AclBindingFilter matches them: ANY, MATCH (literal, wildcard and prefixes that
// apply to a name), exact pattern types, null meaning any; and what reads as an UNKNOWN code.
import { expect, test } from 'vitest';
import { Operation, PatternType, Permission, ResourceType, filterMatches, hasUnknownElement, type AclBinding, type AclFilter } from '../../../../src/acceptor/acl/acl-binding.ts';

const acl = (resourceName: string, patternType: number = PatternType.LITERAL): AclBinding =>
  ({ resourceType: ResourceType.TOPIC, resourceName, patternType, principal: 'User:a', host: '*', operation: Operation.READ, permissionType: Permission.ALLOW });
const filter = (f: Partial<AclFilter>): AclFilter => ({
  resourceType: ResourceType.ANY, resourceName: null, patternType: PatternType.ANY, principal: null, host: null, operation: Operation.ANY, permissionType: Permission.ANY, ...f,
});
const stored = [acl('orders'), acl('*'), acl('ord', PatternType.PREFIXED), acl('x', PatternType.PREFIXED)];
const names = (f: AclFilter) => stored.filter((b) => filterMatches(f, b)).map((b) => `${b.patternType === PatternType.PREFIXED ? 'P' : 'L'}:${b.resourceName}`);

test('MATCH selects every pattern that applies to the name', () => {
  expect(names(filter({ patternType: PatternType.MATCH, resourceName: 'orders' }))).toEqual(['L:orders', 'L:*', 'P:ord']);
});

test('ANY with a name matches that exact name in any pattern type; a pattern type matches only itself', () => {
  expect(names(filter({ resourceName: 'ord' }))).toEqual(['P:ord']);
  expect(names(filter({ patternType: PatternType.LITERAL }))).toEqual(['L:orders', 'L:*']);
  expect(names(filter({ patternType: PatternType.PREFIXED, resourceName: 'x' }))).toEqual(['P:x']);
});

test('entry fields: null and ANY match anything, otherwise equality', () => {
  expect(names(filter({ principal: 'User:b' }))).toEqual([]);
  expect(names(filter({ operation: Operation.WRITE }))).toEqual([]);
  expect(names(filter({ permissionType: Permission.ALLOW, host: '*' })).length).toBe(4);
  expect(names(filter({ resourceType: ResourceType.GROUP }))).toEqual([]);
});

test('UNKNOWN is code 0 or a code Kafka does not define', () => {
  const ok = { resourceType: 2, patternType: 3, operation: 3, permissionType: 3 };
  expect(hasUnknownElement(ok)).toBe(false);
  expect(hasUnknownElement({ ...ok, resourceType: 0 })).toBe(true);
  expect(hasUnknownElement({ ...ok, patternType: 9 })).toBe(true);
  expect(hasUnknownElement({ ...ok, operation: 16 })).toBe(true);
  expect(hasUnknownElement({ ...ok, permissionType: -1 })).toBe(true);
});
