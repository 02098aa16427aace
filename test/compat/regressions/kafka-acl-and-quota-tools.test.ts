// Kafka's own operator tools against Highwater (issue 14): kafka-acls.sh (org.apache.kafka.tools.AclCommand)
// adds, lists and removes ACLs, and kafka-configs.sh (kafka.admin.ConfigCommand) sets and shows a
// client quota and SCRAM credentials, through the Kafka distribution fetched by bench/kafka/fetch.sh. The broker runs the
// authorizer with the tool's unauthenticated principal as super user.
import { execFile } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBroker, type TestBroker } from '../../helpers/broker.ts';
import { STANDARD_AUTHORIZER_CLASS } from '../../../src/config.ts';
import { Operation, ResourceType } from '../../../src/acceptor/acl/acl-binding.ts';

const run = promisify(execFile);
const DIST = process.env.KAFKA_DIST_DIR ?? path.resolve('bench/kafka/.dist');
const TOOLS = path.join(DIST, 'tools-libs');
const JAVA = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin/java') : 'java';
/** ConfigCommand lives in the broker (core) jar of the tools' release, when it is in the local Maven repository. */
const CORE_JAR = process.env.KAFKA_CORE_JAR
  ?? path.join(process.env.HOME ?? '', '.m2/repository/org/apache/kafka/kafka_2.13/4.3.1/kafka_2.13-4.3.1.jar');

let tb: TestBroker;
beforeAll(async () => {
  tb = await startBroker({ authorizerClassName: STANDARD_AUTHORIZER_CLASS, superUsers: 'User:ANONYMOUS' });
});
afterAll(async () => { await tb?.destroy(); });

async function tool(mainClass: string, classpath: string, args: string[]): Promise<string> {
  const { stdout } = await run(JAVA, ['-Xmx256m', '-Dlog4j2.level=WARN', '-cp', classpath, mainClass, '--bootstrap-server', tb.bootstrap, ...args], { timeout: 60_000 });
  return stdout;
}
const acls = (args: string[]) => tool('org.apache.kafka.tools.AclCommand', `${TOOLS}/*`, args);

test.skipIf(!existsSync(TOOLS))('kafka-acls.sh adds, lists and removes ACLs on Highwater', async () => {
  await acls(['--add', '--allow-principal', 'User:alice', '--operation', 'Read', '--operation', 'Write', '--topic', 'tool-topic']);
  await acls(['--add', '--deny-principal', 'User:mallory', '--operation', 'All', '--resource-pattern-type', 'prefixed', '--group', 'tool-']);
  const stored = [...tb.broker.metadata.acls.values()];
  expect(stored.filter((a) => a.resourceType === ResourceType.TOPIC && a.resourceName === 'tool-topic').map((a) => a.operation).sort())
    .toEqual([Operation.READ, Operation.WRITE]);
  const listed = await acls(['--list', '--topic', 'tool-topic']);
  expect(listed).toContain('name=tool-topic, patternType=LITERAL');
  expect(listed).toContain('principal=User:alice, host=*, operation=READ, permissionType=ALLOW');
  expect(listed).toContain('principal=User:alice, host=*, operation=WRITE, permissionType=ALLOW');
  const all = await acls(['--list']);
  expect(all).toContain('resourceType=GROUP, name=tool-, patternType=PREFIXED');
  expect(all).toContain('principal=User:mallory, host=*, operation=ALL, permissionType=DENY');
  await acls(['--remove', '--force', '--allow-principal', 'User:alice', '--operation', 'Write', '--topic', 'tool-topic']);
  const after = await acls(['--list', '--topic', 'tool-topic']);
  expect(after).toContain('operation=READ');
  expect(after).not.toContain('operation=WRITE');
}, 120_000);

function configsClasspath(): string {
  const scala = readdirSync(path.join(DIST, 'libs')).filter((f) => f.startsWith('scala-')).map((f) => path.join(DIST, 'libs', f));
  return [CORE_JAR, ...scala, `${TOOLS}/*`].join(':');
}

test.skipIf(!existsSync(TOOLS) || !existsSync(CORE_JAR))('kafka-configs.sh sets and describes a client quota on Highwater', async () => {
  const configs = (args: string[]) => tool('kafka.admin.ConfigCommand', configsClasspath(), args);
  await configs(['--alter', '--add-config', 'producer_byte_rate=1024', '--entity-type', 'clients', '--entity-name', 'tool-client']);
  await configs(['--alter', '--add-config', 'consumer_byte_rate=2048', '--entity-type', 'clients', '--entity-default']);
  const quotas = [...tb.broker.metadata.clientQuotas.values()];
  expect(quotas).toContainEqual({ entity: { 'client-id': 'tool-client' }, quotas: { producer_byte_rate: 1024 } });
  expect(quotas).toContainEqual({ entity: { 'client-id': null }, quotas: { consumer_byte_rate: 2048 } });
  const described = await configs(['--describe', '--entity-type', 'clients', '--entity-name', 'tool-client']);
  expect(described).toContain("Quota configs for client-id 'tool-client' are producer_byte_rate=1024.0");
  await configs(['--alter', '--delete-config', 'producer_byte_rate', '--entity-type', 'clients', '--entity-name', 'tool-client']);
  expect([...tb.broker.metadata.clientQuotas.values()].some((q) => q.entity['client-id'] === 'tool-client')).toBe(false);
}, 120_000);

test.skipIf(!existsSync(TOOLS) || !existsSync(CORE_JAR))('kafka-configs.sh adds, describes and deletes SCRAM credentials on Highwater', async () => {
  const configs = (args: string[]) => tool('kafka.admin.ConfigCommand', configsClasspath(), args);
  // One mechanism a call: Kafka refuses a user altered twice in one request (DUPLICATE_RESOURCE), and so do we.
  await configs(['--alter', '--add-config', 'SCRAM-SHA-256=[iterations=8192,password=alice-secret]', '--entity-type', 'users', '--entity-name', 'alice']);
  await configs(['--alter', '--add-config', 'SCRAM-SHA-512=[password=alice-secret]', '--entity-type', 'users', '--entity-name', 'alice']);
  const described = await configs(['--describe', '--entity-type', 'users', '--entity-name', 'alice']);
  expect(described).toContain('SCRAM-SHA-256=iterations=8192');
  expect(described).toContain('SCRAM-SHA-512=iterations=4096');
  // Stored salted and hashed: the password itself is nowhere in the metadata.
  expect(JSON.stringify(tb.broker.metadata, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v instanceof Map ? [...v] : v))).not.toContain('alice-secret');
  await configs(['--alter', '--delete-config', 'SCRAM-SHA-512', '--entity-type', 'users', '--entity-name', 'alice']);
  const after = await configs(['--describe', '--entity-type', 'users', '--entity-name', 'alice']);
  expect(after).toContain('SCRAM-SHA-256=iterations=8192');
  expect(after).not.toContain('SCRAM-SHA-512');
}, 120_000);
