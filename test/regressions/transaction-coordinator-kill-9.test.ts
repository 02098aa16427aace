// kill -9 of a broker around the transaction coordinator (issue 13): one transaction left open
// (mid-transaction) and one killed right after its EndTxn(commit) answer, while its PrepareCommit is
// durable and its markers are in flight or partly written (between the transaction-log write and
// the markers, between markers on different partitions). After the restart the committed one is
// visible exactly once (recovery resends its markers), the open one resumes its timeout clock and is
// aborted (never visible to read_committed), and later transactions go through: the LSO moved on.
import { rmSync } from 'node:fs';
import { afterAll, expect, it } from 'vitest';
import { tempDataDir } from '../helpers/broker.ts';
import { startProcessBroker, type ProcessBroker } from '../helpers/process-broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';

const dirs: string[] = [];
const brokers: ProcessBroker[] = [];
afterAll(async () => {
  for (const b of brokers) if (b.child.exitCode === null) await b.kill();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

async function consume(bootstrap: string, groupId: string, readUncommitted: boolean, expected: number): Promise<string[]> {
  const consumer = kafkajs(bootstrap).consumer({ groupId, readUncommitted, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: 'k9', fromBeginning: true });
  const seen: string[] = [];
  await consumer.run({ eachMessage: async ({ message }) => { seen.push(message.value!.toString()); } });
  const deadline = Date.now() + 30_000;
  while (seen.length < expected && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 500)); // a duplicate or a hidden record would show meanwhile
  await consumer.disconnect();
  return seen.sort();
}

it('a transaction killed after its commit answer is committed once; one killed open is aborted after its timeout', async () => {
  const dataDir = tempDataDir();
  dirs.push(dataDir);
  const first = await startProcessBroker(dataDir);
  brokers.push(first);
  const kafka = kafkajs(first.bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'k9', numPartitions: 3 }] });
  await admin.disconnect();

  const openProducer = kafka.producer({ transactionalId: 'k9-open', transactionTimeout: 2000, maxInFlightRequests: 1, idempotent: true });
  await openProducer.connect();
  const open = await openProducer.transaction();
  await open.send({ topic: 'k9', messages: [0, 1, 2].map((partition) => ({ value: `open-${partition}`, partition })) });

  const committer = kafka.producer({ transactionalId: 'k9-commit', maxInFlightRequests: 1, idempotent: true });
  await committer.connect();
  const txn = await committer.transaction();
  await txn.send({ topic: 'k9', messages: [0, 1, 2].map((partition) => ({ value: `committed-${partition}`, partition })) });
  await txn.commit();
  await first.kill('SIGKILL'); // at once: the markers may be unwritten, partly written, or all written
  await Promise.allSettled([openProducer.disconnect(), committer.disconnect()]);

  const second = await startProcessBroker(dataDir);
  brokers.push(second);
  const again = kafkajs(second.bootstrap).producer({ transactionalId: 'k9-commit', maxInFlightRequests: 1, idempotent: true });
  await again.connect();
  const later = await again.transaction();
  await later.send({ topic: 'k9', messages: [0, 1, 2].map((partition) => ({ value: `later-${partition}`, partition })) });
  await later.commit();
  await again.disconnect();

  // read_committed passes the open transaction only once the coordinator aborted it after the restart.
  expect(await consume(second.bootstrap, 'k9-rc', false, 6)).toEqual(['committed-0', 'committed-1', 'committed-2', 'later-0', 'later-1', 'later-2']);
  const everything = await consume(second.bootstrap, 'k9-ru', true, 9);
  expect(everything).toEqual(['committed-0', 'committed-1', 'committed-2', 'later-0', 'later-1', 'later-2', 'open-0', 'open-1', 'open-2']);
  await second.kill('SIGTERM');
}, 120_000);
