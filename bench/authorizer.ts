// The cost of one authorization decision (src/acceptor/acl/standard-authorizer.ts) with N ACLs: each
// produce, fetch and metadata request asks once per topic. The ACLs are spread over topics by literal
// name, with a share of prefixed patterns (which every decision scans) and a wildcard.
// Run: node bench/authorizer.ts [--ms-per-case 300] [--prefixed-share 0.1]
import { parseArgs } from 'node:util';
import pino from 'pino';
import { ClusterMetadata } from '../src/metadata/cluster-metadata.ts';
import { StandardAuthorizer } from '../src/acceptor/acl/standard-authorizer.ts';
import { Operation, PatternType, Permission, ResourceType } from '../src/acceptor/acl/acl-binding.ts';

const { values: args } = parseArgs({ options: { 'ms-per-case': { type: 'string', default: '300' }, 'prefixed-share': { type: 'string', default: '0.1' } } });
const msPerCase = Number(args['ms-per-case']);
const prefixedShare = Number(args['prefixed-share']);

for (const count of [10, 100, 1000, 10_000]) {
  const cluster = new ClusterMetadata(1);
  for (let i = 0; i < count; i++) {
    const prefixed = i < count * prefixedShare;
    cluster.apply({
      type: 'acl', id: String(i),
      acl: {
        resourceType: ResourceType.TOPIC, resourceName: prefixed ? `p${i}-` : `topic-${i}`, patternType: prefixed ? PatternType.PREFIXED : PatternType.LITERAL,
        principal: `User:u${i % 50}`, host: '*', operation: i % 2 ? Operation.READ : Operation.WRITE, permissionType: Permission.ALLOW,
      },
    });
  }
  cluster.apply({ type: 'acl', id: 'wild', acl: { resourceType: ResourceType.TOPIC, resourceName: '*', patternType: PatternType.LITERAL, principal: 'User:*', host: '*', operation: Operation.DESCRIBE, permissionType: Permission.ALLOW } });
  const authorizer = new StandardAuthorizer({
    store: { acls: cluster.acls, aclVersion: cluster.aclVersion, write: async () => undefined },
    settings: { superUsers: [], allowEveryoneIfNoAclFound: false },
    log: pino({ level: 'silent' }),
  });
  // The requests are built before the clock starts: only the decisions are timed.
  const asks = Array.from({ length: 1000 }, (_, j) => ({ principal: `User:u${j % 50}`, resource: { type: 'topic' as const, name: `topic-${(j * 7919) % count}` } }));
  let decisions = 0;
  let allowed = 0;
  const started = performance.now();
  while (performance.now() - started < msPerCase) {
    for (const ask of asks) if (authorizer.authorize(ask.principal, Operation.WRITE, ask.resource, '127.0.0.1')) allowed++;
    decisions += asks.length;
  }
  const ns = ((performance.now() - started) * 1e6) / decisions;
  console.log(`${String(count).padStart(6)} ACLs (${Math.round(count * prefixedShare)} prefixed): ${ns.toFixed(0)} ns per decision, ${(1e9 / ns / 1e6).toFixed(2)} M decisions/s (${allowed} allowed)`);
}
