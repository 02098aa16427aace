// The ACL APIs against Apache Kafka 4.4 run with its StandardAuthorizer (authorizer.class.name, the
// unauthenticated principal as super user) and Highwater configured the same way: CreateAcls
// validation per binding, DescribeAcls filters (ANY, MATCH, exact pattern types, entry fields) and
// DeleteAcls, compared after the suite's normalisation. No difference is accepted here.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startKafka, type ReferenceKafka } from './brokers.ts';
import { Session, type Answer } from './session.ts';
import { diff } from './normalise.ts';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { ApiKey } from '../../src/protocol/generated/index.ts';
import { STANDARD_AUTHORIZER_CLASS } from '../../src/config.ts';

const TOPIC = 2;
const GROUP = 3;
const CLUSTER = 4;
const TRANSACTIONAL_ID = 5;
const DELEGATION_TOKEN = 6;
const ANY = 1;
const MATCH = 2;
const LITERAL = 3;
const PREFIXED = 4;
const ALL = 2;
const READ = 3;
const WRITE = 4;
const DESCRIBE = 8;
const DENY = 2;
const ALLOW = 3;

let kafka: ReferenceKafka;
let highwater: TestBroker;
let k: Session;
let h: Session;
let propsDir: string;

beforeAll(async () => {
  propsDir = mkdtempSync(path.join(tmpdir(), 'highwater-acl-differential-'));
  const props = path.join(propsDir, 'authorizer.properties');
  writeFileSync(props, `authorizer.class.name=${STANDARD_AUTHORIZER_CLASS}\nsuper.users=User:ANONYMOUS\n`);
  [kafka, highwater] = await Promise.all([
    startKafka({ extraProperties: props }),
    startBroker({ nodeId: 1, shards: 2, authorizerClassName: STANDARD_AUTHORIZER_CLASS, superUsers: 'User:ANONYMOUS' }),
  ]);
  k = new Session('kafka', kafka.port);
  h = new Session('highwater', highwater.port);
  await Promise.all([k.open(), h.open()]);
}, 180_000);

afterAll(async () => {
  k?.close();
  h?.close();
  await Promise.all([kafka?.stop(), highwater?.destroy()]);
  if (propsDir) rmSync(propsDir, { recursive: true, force: true });
}, 60_000);

const binding = (over: Record<string, unknown> = {}) => ({
  resourceType: TOPIC, resourceName: 'acl-topic', resourcePatternType: LITERAL, principal: 'User:alice', host: '*', operation: READ, permissionType: ALLOW, ...over,
});
const filter = (over: Record<string, unknown> = {}) => ({
  resourceTypeFilter: ANY, resourceNameFilter: null, patternTypeFilter: ANY, principalFilter: null, hostFilter: null, operation: ANY, permissionType: ANY, ...over,
});

interface AclsAnswer {
  resources?: { resourceType: number; resourceName: string; patternType: number; acls: { principal: string; host: string; operation: number; permissionType: number }[] }[];
  filterResults?: { errorCode: number; errorMessage: string | null; matchingAcls: { resourceType: number; resourceName: string; patternType: number; principal: string; host: string; operation: number; permissionType: number; errorCode: number; errorMessage: string | null }[] }[];
}
/** ACLs as sorted lines: Kafka groups and orders them by hash. */
const lines = (r: Answer) => {
  const a = r as AclsAnswer;
  return {
    ...a,
    resources: a.resources?.flatMap((res) => res.acls.map((acl) => `${res.resourceType}/${res.patternType}/${res.resourceName} ${acl.principal} ${acl.host} ${acl.operation} ${acl.permissionType}`)).sort(),
    filterResults: a.filterResults?.map((f) => ({
      ...f, matchingAcls: f.matchingAcls.map((m) => `${m.errorCode} ${JSON.stringify(m.errorMessage)} ${m.resourceType}/${m.patternType}/${m.resourceName} ${m.principal} ${m.host} ${m.operation} ${m.permissionType}`).sort(),
    })),
  };
};

async function both(label: string, apiKey: number, version: number, body: unknown, view?: (r: Answer) => unknown): Promise<string[]> {
  await Promise.all([k.call(label, apiKey, version, body, view), h.call(label, apiKey, version, body, view)]);
  return diff(k.outcomes.get(label) ?? { missing: true }, h.outcomes.get(label) ?? { missing: true })
    .map((d) => `${label} | ${d.path} | kafka ${JSON.stringify(d.kafka)} | highwater ${JSON.stringify(d.highwater)}`);
}

/**
 * Kafka's StandardAuthorizer applies created and deleted ACLs from its metadata log a moment after
 * CreateAcls or DeleteAcls returns (one CI run's first describe missed the last creations), while
 * Highwater applies them before it answers. Waits until Kafka lists the ACLs Highwater lists, up to
 * 20 s; past that the compared describe shows the difference.
 */
async function aclsApplied(): Promise<void> {
  const listed = async (s: Session) => JSON.stringify(lines(await s.quiet<Answer>(ApiKey.DescribeAcls, 3, filter())).resources);
  const want = await listed(h);
  const deadline = Date.now() + 20_000;
  while ((await listed(k)) !== want && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

test('CreateAcls, DescribeAcls and DeleteAcls answer as Kafka with its StandardAuthorizer', async () => {
  const differences: string[] = [];
  const create = async (label: string, creations: unknown[]) => differences.push(...await both(`create ${label}`, ApiKey.CreateAcls, 3, { creations }));
  await create('valid', [
    binding(), binding({ operation: WRITE }), binding({ resourceName: 'acl-', resourcePatternType: PREFIXED, operation: ALL }),
    binding({ resourceName: '*', principal: 'User:*', operation: DESCRIBE }), binding({ resourceType: GROUP, resourceName: 'g1' }),
    binding({ resourceType: CLUSTER, resourceName: 'kafka-cluster', operation: DESCRIBE }), binding({ resourceType: TRANSACTIONAL_ID, resourceName: 'tx-1', operation: WRITE }),
    binding({ host: '10.0.0.1', permissionType: DENY, operation: WRITE, principal: 'User:mallory' }),
  ]);
  await create('again (already there)', [binding()]);
  await create('cluster with another name', [binding({ resourceType: CLUSTER, resourceName: 'other' })]);
  await create('empty name', [binding({ resourceName: '' })]);
  await create('MATCH pattern', [binding({ resourcePatternType: MATCH })]);
  await create('ANY pattern', [binding({ resourcePatternType: ANY })]);
  await create('ANY operation', [binding({ operation: ANY })]);
  await create('ANY permission', [binding({ permissionType: ANY })]);
  await create('ANY resource type', [binding({ resourceType: ANY })]);
  await create('delegation token type', [binding({ resourceType: DELEGATION_TOKEN, resourceName: 'token-1', operation: DESCRIBE })]);
  await create('principal without a type', [binding({ principal: 'alice' })]);
  await create('mixed with an ANY operation', [binding({ resourceName: 'never' }), binding({ operation: ANY })]);
  await create('mixed good and bad', [binding({ resourceName: 'mixed' }), binding({ resourceName: '' }), binding({ resourceName: 'mixed', operation: WRITE })]);

  await aclsApplied();
  const describe = async (label: string, f: Record<string, unknown>) => differences.push(...await both(`describe ${label}`, ApiKey.DescribeAcls, 3, filter(f), lines));
  for (const v of [1, 2, 3]) differences.push(...await both(`describe all v${v}`, ApiKey.DescribeAcls, v, filter(), lines));
  await describe('topics', { resourceTypeFilter: TOPIC });
  await describe('literal acl-topic', { resourceTypeFilter: TOPIC, resourceNameFilter: 'acl-topic', patternTypeFilter: LITERAL });
  await describe('MATCH acl-topic', { resourceTypeFilter: TOPIC, resourceNameFilter: 'acl-topic', patternTypeFilter: MATCH });
  await describe('MATCH other', { resourceTypeFilter: TOPIC, resourceNameFilter: 'other', patternTypeFilter: MATCH });
  await describe('ANY name acl-', { resourceNameFilter: 'acl-' });
  await describe('prefixed', { patternTypeFilter: PREFIXED });
  await describe('principal', { principalFilter: 'User:mallory' });
  await describe('host', { hostFilter: '10.0.0.1' });
  await describe('operation WRITE', { operation: WRITE });
  await describe('DENY', { permissionType: DENY });
  await describe('nothing matches', { principalFilter: 'User:nobody' });

  const remove = async (label: string, filters: Record<string, unknown>[]) =>
    differences.push(...await both(`delete ${label}`, ApiKey.DeleteAcls, 3, { filters: filters.map(filter) }, lines));
  await remove('WRITE on acl-topic, and every topic READ', [
    { resourceTypeFilter: TOPIC, resourceNameFilter: 'acl-topic', patternTypeFilter: LITERAL, operation: WRITE },
    { resourceTypeFilter: TOPIC, operation: READ },
  ]);
  await remove('nothing', [{ principalFilter: 'User:nobody' }]);
  await aclsApplied();
  differences.push(...await both('describe after delete', ApiKey.DescribeAcls, 3, filter(), lines));
  await remove('everything', [{}]);
  await aclsApplied();
  differences.push(...await both('describe after delete all', ApiKey.DescribeAcls, 3, filter(), lines));
  expect(differences).toEqual([]);
}, 180_000);
