// Kafka's own kafka-transactions.sh (org.apache.kafka.tools.TransactionsCommand) against Highwater
// (issue 13): list, describe, describe-producers and find-hanging see a KafkaJS transaction left
// open, with the producer id, epoch, state and partitions the broker holds, and see it complete
// after the commit. `abort` is not driven: it sends WriteTxnMarkers, which Highwater does not serve.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { Kafka, logLevel, type Producer } from 'kafkajs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBroker, type TestBroker } from '../../helpers/broker.ts';

const run = promisify(execFile);
const DIST = process.env.KAFKA_DIST_DIR ?? path.resolve('bench/kafka/.dist');
const TOOLS = path.join(DIST, 'tools-libs');
const JAVA = process.env.JAVA_HOME ? path.join(process.env.JAVA_HOME, 'bin/java') : 'java';
const TOPIC = 'txn-tool-topic';
const TXN_ID = 'txn-tool-id';

let tb: TestBroker;
let producer: Producer | undefined;
beforeAll(async () => { tb = await startBroker(); });
afterAll(async () => {
  await producer?.disconnect();
  await tb?.destroy();
});

async function transactions(args: string[]): Promise<string> {
  const { stdout } = await run(JAVA, ['-Xmx256m', '-Dlog4j2.level=WARN', '-cp', `${TOOLS}/*`, 'org.apache.kafka.tools.TransactionsCommand',
    '--bootstrap-server', tb.bootstrap, ...args], { timeout: 60_000 });
  return stdout;
}

/** The tool prints tables: a header row, then one row per entry, columns separated by runs of blanks. */
function table(output: string): Record<string, string>[] {
  const lines = output.split('\n').map((l) => l.trim()).filter((l) => l !== '');
  const header = lines[0]?.split(/\s+/) ?? [];
  return lines.slice(1).map((l) => Object.fromEntries(l.split(/\s+/).map((v, i) => [header[i] ?? String(i), v])));
}

test.skipIf(!existsSync(TOOLS))('kafka-transactions.sh lists, describes and finds no hanging transaction on Highwater', async () => {
  const kafka = new Kafka({ clientId: 'txn-tool', brokers: [tb.bootstrap], logLevel: logLevel.NOTHING });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1 }], waitForLeaders: true });
  await admin.disconnect();
  producer = kafka.producer({ transactionalId: TXN_ID, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const txn = await producer.transaction();
  await txn.send({ topic: TOPIC, messages: [{ value: 'one' }, { value: 'two' }] });

  const listed = table(await transactions(['list'])).find((r) => r.TransactionalId === TXN_ID);
  expect(listed).toMatchObject({ Coordinator: '1', TransactionState: 'Ongoing' });
  const producerId = listed!.ProducerId!;
  expect(Number(producerId)).toBeGreaterThanOrEqual(0);

  const described = table(await transactions(['describe', '--transactional-id', TXN_ID]))[0];
  expect(described).toMatchObject({ CoordinatorId: '1', TransactionalId: TXN_ID, ProducerId: producerId, TransactionState: 'Ongoing' });
  expect(Number(described!.TransactionTimeoutMs)).toBeGreaterThan(0);
  expect(described!.TopicPartitions).toBe(`${TOPIC}-0`);

  const producers = table(await transactions(['describe-producers', '--topic', TOPIC, '--partition', '0']));
  expect(producers).toHaveLength(1);
  // The open transaction started at offset 0 and wrote sequences 0 and 1.
  expect(producers[0]).toMatchObject({ ProducerId: producerId, LastSequence: '1', CurrentTransactionStartOffset: '0' });

  // Open, known to its coordinator and within its timeout: not hanging.
  const hanging = await transactions(['find-hanging', '--broker-id', '1']);
  expect(hanging).not.toContain(producerId);

  await txn.commit();
  const after = table(await transactions(['describe', '--transactional-id', TXN_ID]))[0];
  expect(after).toMatchObject({ TransactionalId: TXN_ID, ProducerId: producerId, TransactionState: 'CompleteCommit' });
  const producersAfter = table(await transactions(['describe-producers', '--topic', TOPIC, '--partition', '0']));
  expect(producersAfter[0]).toMatchObject({ ProducerId: producerId, CurrentTransactionStartOffset: 'None' });
}, 180_000);
