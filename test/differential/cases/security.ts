// Differential cases for the ACL and client quota APIs (issue 14), against the reference Kafka as
// the suite starts it (no authorizer): CreateAcls, DescribeAcls and DeleteAcls answer
// SECURITY_DISABLED at every version; AlterClientQuotas and DescribeClientQuotas store, validate and
// filter. Entries and entity parts come back in hash order from Kafka, so the views sort them.
import { ApiKey } from '../../../src/protocol/generated/index.ts';
import type { Answer } from '../session.ts';
import type { Case } from './case.ts';

const TOPIC = 2;
const LITERAL = 3;
const READ = 3;
const ALLOW = 3;
const ANY = 1;

const creation = { resourceType: TOPIC, resourceName: 'acl-topic', resourcePatternType: LITERAL, principal: 'User:alice', host: '*', operation: READ, permissionType: ALLOW };
const anyFilter = { resourceTypeFilter: ANY, resourceNameFilter: null, patternTypeFilter: ANY, principalFilter: null, hostFilter: null, operation: ANY, permissionType: ANY };

interface QuotaEntity { entityType: string; entityName: string | null }
interface QuotasAnswer { entries?: { entity: QuotaEntity[]; values: unknown[] }[] | null }
const byEntity = (e: QuotaEntity[]) => [...e].sort((a, b) => a.entityType.localeCompare(b.entityType));
const key = (e: QuotaEntity[]) => JSON.stringify(byEntity(e));
/** Entries and their entity parts in a fixed order. */
const sortedQuotas = (r: Answer) => {
  const a = r as QuotasAnswer;
  return { ...a, entries: a.entries?.map((e) => ({ ...e, entity: byEntity(e.entity) })).sort((x, y) => key(x.entity).localeCompare(key(y.entity))) ?? null };
};

interface AlterAnswer { entries?: { entity: QuotaEntity[] }[] }
const sortedAlter = (r: Answer) => {
  const a = r as AlterAnswer;
  return { ...a, entries: a.entries?.map((e) => ({ ...e, entity: byEntity(e.entity) })) };
};

const user = (name: string | null) => ({ entityType: 'user', entityName: name });
const client = (name: string | null) => ({ entityType: 'client-id', entityName: name });
const set = (k: string, value: number) => ({ key: k, value, remove: false });
const remove = (k: string) => ({ key: k, value: 0, remove: true });

export const securityCases: Case[] = [
  {
    name: 'acls-without-authorizer',
    async run(c) {
      for (const v of c.versions(ApiKey.CreateAcls)) await c.call(`v${v} create`, ApiKey.CreateAcls, v, { creations: [creation, { ...creation, resourceName: '' }] });
      for (const v of c.versions(ApiKey.DescribeAcls)) await c.call(`v${v} describe`, ApiKey.DescribeAcls, v, anyFilter);
      for (const v of c.versions(ApiKey.DeleteAcls)) await c.call(`v${v} delete`, ApiKey.DeleteAcls, v, { filters: [anyFilter] });
    },
  },
  {
    name: 'client-quotas',
    async run(c) {
      for (const v of c.versions(ApiKey.AlterClientQuotas)) {
        const alter = (label: string, entries: unknown[], validateOnly = false) => c.call(`v${v} alter ${label}`, ApiKey.AlterClientQuotas, v, { entries, validateOnly }, sortedAlter);
        await alter('client', [{ entity: [client(`app-${v}`)], ops: [set('producer_byte_rate', 1024), set('consumer_byte_rate', 2048)] }]);
        await alter('user and default client', [{ entity: [user(`u-${v}`), client(null)], ops: [set('request_percentage', 12.5)] }]);
        await alter('default user', [{ entity: [user(null)], ops: [set('producer_byte_rate', 4096)] }]);
        await alter('validate only', [{ entity: [client(`dry-${v}`)], ops: [set('producer_byte_rate', 1)] }], true);
        await alter('remove one', [{ entity: [client(`app-${v}`)], ops: [remove('consumer_byte_rate')] }]);
        await alter('remove absent', [{ entity: [client(`none-${v}`)], ops: [remove('producer_byte_rate')] }]);
        await alter('empty entity', [{ entity: [], ops: [set('producer_byte_rate', 1)] }]);
        await alter('empty name', [{ entity: [user('')], ops: [set('producer_byte_rate', 1)] }]);
        await alter('unknown entity type', [{ entity: [{ entityType: 'topic', entityName: 't' }], ops: [set('producer_byte_rate', 1)] }]);
        await alter('duplicate entity type', [{ entity: [user('a'), user('b')], ops: [set('producer_byte_rate', 1)] }]);
        await alter('unknown key', [{ entity: [user('a')], ops: [set('no_such_quota', 1)] }]);
        await alter('fractional byte rate', [{ entity: [user('a')], ops: [set('producer_byte_rate', 1.5)] }]);
        await alter('zero', [{ entity: [user('a')], ops: [set('consumer_byte_rate', 0)] }]);
        await alter('negative', [{ entity: [user('a')], ops: [set('request_percentage', -1)] }]);
        await alter('duplicate key', [{ entity: [user('a')], ops: [set('producer_byte_rate', 1), set('producer_byte_rate', 2)] }]);
        await alter('ip with user', [{ entity: [user('a'), { entityType: 'ip', entityName: '1.2.3.4' }], ops: [set('connection_creation_rate', 1)] }]);
        await alter('duplicate entities', [{ entity: [client(`twice-${v}`)], ops: [set('producer_byte_rate', 1)] }, { entity: [client(`twice-${v}`)], ops: [set('producer_byte_rate', 2)] }]);
      }
      // Kafka's broker learns of quota changes from its metadata log a moment after AlterClientQuotas
      // answers: a last, uncompared change is awaited, so every earlier one is visible too.
      await c.session.quiet(ApiKey.AlterClientQuotas, 1, { entries: [{ entity: [client('sentinel')], ops: [set('producer_byte_rate', 1)] }], validateOnly: false });
      for (const deadline = Date.now() + 30_000; Date.now() < deadline;) {
        const seen = await c.session.quiet<QuotasAnswer>(ApiKey.DescribeClientQuotas, 1, { components: [{ entityType: 'client-id', matchType: 0, match: 'sentinel' }], strict: false });
        if ((seen.entries?.length ?? 0) > 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      for (const v of c.versions(ApiKey.DescribeClientQuotas)) {
        const describe = (label: string, components: unknown[], strict = false) => c.call(`v${v} describe ${label}`, ApiKey.DescribeClientQuotas, v, { components, strict }, sortedQuotas);
        await describe('all', []);
        await describe('strict with no components', [], true);
        await describe('all but the sentinel', [{ entityType: 'user', matchType: 2, match: null }]);
        await describe('exact client', [{ entityType: 'client-id', matchType: 0, match: 'app-0' }]);
        await describe('default user', [{ entityType: 'user', matchType: 1, match: null }]);
        await describe('specified user', [{ entityType: 'user', matchType: 2, match: null }]);
        await describe('specified user, strict', [{ entityType: 'user', matchType: 2, match: null }], true);
        await describe('user and default client', [{ entityType: 'user', matchType: 2, match: null }, { entityType: 'client-id', matchType: 1, match: null }]);
        await describe('exact with null match', [{ entityType: 'user', matchType: 0, match: null }]);
        await describe('default with a match', [{ entityType: 'user', matchType: 1, match: 'x' }]);
        await describe('unknown match type', [{ entityType: 'user', matchType: 9, match: null }]);
        await describe('type twice', [{ entityType: 'user', matchType: 2, match: null }, { entityType: 'user', matchType: 1, match: null }]);
        await describe('unknown entity type', [{ entityType: 'topic', matchType: 2, match: null }]);
        await describe('ip with user', [{ entityType: 'ip', matchType: 2, match: null }, { entityType: 'user', matchType: 2, match: null }]);
      }
    },
  },
];
