// Summarises a Kafka request log (bench/kafka/start.sh --request-log, or run.ts
// --kafka-request-log FILE): for each compat client, the API versions it sent, as a markdown table.
//   node test/compat/request-versions.ts requests.log
import { readFileSync } from 'node:fs';

const path = process.argv[2];
if (!path) {
  console.error('usage: node test/compat/request-versions.ts <requests.log>');
  process.exit(2);
}
const HEADER = /"requestApiVersion":(\d+).*?"clientId":"([^"]*)".*?"requestApiKeyName":"([A-Z_]+)"/;
const byClient = new Map<string, Map<string, Set<number>>>();
for (const line of readFileSync(path, 'utf8').split('\n')) {
  const match = HEADER.exec(line);
  if (!match) continue;
  const [, version, clientId, api] = match;
  // Our drivers name their connections highwater-compat-<client>[-role-N]; others are the broker's own.
  const client = /^highwater-compat-(.+?)(-(admin|producer|consumer)(-\d+)?)?$/.exec(clientId!)?.[1] ?? `other:${clientId}`;
  const apis = byClient.get(client) ?? new Map<string, Set<number>>();
  const versions = apis.get(api!) ?? new Set<number>();
  versions.add(Number(version));
  apis.set(api!, versions);
  byClient.set(client, apis);
}
const apis = [...new Set([...byClient.values()].flatMap((m) => [...m.keys()]))].sort();
const clients = [...byClient.keys()].filter((c) => !c.startsWith('other:')).sort();
console.log(`| API | ${clients.join(' | ')} |`);
console.log(`| --- | ${clients.map(() => '---').join(' | ')} |`);
for (const api of apis) {
  const cells = clients.map((c) => [...(byClient.get(c)?.get(api) ?? [])].sort((a, b) => a - b).join(',') || '');
  if (cells.some(Boolean)) console.log(`| ${api} | ${cells.join(' | ')} |`);
}
