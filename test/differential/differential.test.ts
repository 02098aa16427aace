// The differential suite: every case runs against a fresh Apache Kafka 4.4 and a fresh Highwater,
// and their normalised answers are compared field by field. A difference fails the test unless
// accepted.ts lists it with its reason; an accepted difference that no longer occurs fails too, so
// the list stays exact. Needs Kafka fetched (bench/kafka/fetch.sh).
import { writeFileSync, mkdirSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startHighwater, startKafka, type ReferenceKafka } from './brokers.ts';
import { Session, type Outcome } from './session.ts';
import { diff, type Difference } from './normalise.ts';
import { ACCEPTED, type Accepted } from './accepted.ts';
import type { Case, CaseContext } from './cases/case.ts';
import { dataPathCases } from './cases/data-path.ts';
import { groupCases } from './cases/groups.ts';
import { adminCases } from './cases/admin.ts';
import { operatorCases } from './cases/operator.ts';
import { securityCases } from './cases/security.ts';
import type { TestBroker } from '../helpers/broker.ts';
import { ApiKey } from '../../src/protocol/generated/index.ts';

const CASES: Case[] = [...dataPathCases, ...groupCases, ...adminCases, ...operatorCases, ...securityCases];

let kafka: ReferenceKafka;
let highwater: TestBroker;
let k: Session;
let h: Session;
const used = new Set<Accepted>();
const report: string[] = [];
let differencesSeen = 0;

beforeAll(async () => {
  [kafka, highwater] = await Promise.all([startKafka(), startHighwater()]);
  k = new Session('kafka', kafka.port);
  h = new Session('highwater', highwater.port);
  await Promise.all([k.open(), h.open()]);
  // Not compared: the brokers' readiness right after start-up, which clients retry through.
  await Promise.all([k, h].map(async (s) => {
    await s.warmUp(ApiKey.FindCoordinator, 3, { key: 'warm-up', keyType: 0 }, (r) => r.errorCode);
    await s.warmUp(ApiKey.InitProducerId, 4, { transactionalId: null, transactionTimeoutMs: 60_000, producerId: -1n, producerEpoch: -1 }, (r) => r.errorCode);
  }));
}, 180_000);

afterAll(async () => {
  k?.close();
  h?.close();
  await Promise.all([kafka?.stop(), highwater?.destroy()]);
  const unused = ACCEPTED.filter((a) => !used.has(a)).length;
  const summary = `differential: ${differencesSeen} differences seen, all within ${used.size} accepted entries of ${ACCEPTED.length} (${unused} unused)`;
  console.log(summary);
  mkdirSync('test-artifacts', { recursive: true });
  writeFileSync('test-artifacts/differential.md', `${summary}\n\n${report.join('\n')}\n`);
}, 60_000);

/** `*` is any run of characters and `[...]` a character class; everything else is literal. */
function glob(pattern: string): RegExp {
  const parts = pattern.split(/(\*|\[[^\]]*\])/).map((p) => (p === '*' ? '.*' : p.startsWith('[') ? p : p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')));
  return new RegExp(`^${parts.join('')}$`);
}

function acceptedFor(caseName: string, label: string, d: Difference): Accepted | undefined {
  return ACCEPTED.find((a) => glob(a.case).test(caseName) && glob(a.label).test(label) && glob(a.path).test(d.path) && (a.when?.(d) ?? true));
}

function context(session: Session, caseName: string): CaseContext {
  return {
    session,
    call: (label, apiKey, version, body, view) => session.call(`${caseName}/${label}`, apiKey, version, body, view),
    versions: (apiKey) => {
      const range = h.versions.get(apiKey);
      if (!range) return [];
      return Array.from({ length: range.max - range.min + 1 }, (_, i) => range.min + i);
    },
  };
}

async function runOn(session: Session, c: Case): Promise<void> {
  try {
    await c.run(context(session, c.name));
  } catch (err) {
    session.outcomes.set(`${c.name}/(case failed)`, { decodeError: (err as Error).message } as Outcome);
  }
}

for (const c of CASES) {
  test(c.name, async () => {
    await Promise.all([runOn(k, c), runOn(h, c)]);
    const labels = new Set([...k.outcomes.keys(), ...h.outcomes.keys()].filter((l) => l.startsWith(`${c.name}/`)));
    const unaccepted: string[] = [];
    for (const full of labels) {
      const label = full.slice(c.name.length + 1);
      const differences = diff(k.outcomes.get(full) ?? { missing: true }, h.outcomes.get(full) ?? { missing: true });
      for (const d of differences) {
        differencesSeen++;
        const accepted = acceptedFor(c.name, label, d);
        const line = `${c.name} | ${label} | ${d.path} | kafka ${JSON.stringify(d.kafka)} | highwater ${JSON.stringify(d.highwater)}`;
        if (accepted) {
          used.add(accepted);
          report.push(`accepted: ${line}`);
        } else {
          unaccepted.push(line);
          report.push(`NEW: ${line}`);
        }
      }
    }
    expect(unaccepted, 'differences from Apache Kafka not listed in test/differential/accepted.ts').toEqual([]);
  }, 180_000);
}

test('every accepted difference still occurs', () => {
  const stale = ACCEPTED.filter((a) => !used.has(a)).map((a) => `${a.case} | ${a.label} | ${a.path}`);
  expect(stale, 'accepted differences that no longer occur: remove them from accepted.ts').toEqual([]);
});
