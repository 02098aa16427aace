// Kafka Streams exactly_once_v2 against the broker under test: CountApp (the same keyed count as
// streams-restore, no record cache, so every count update is one output record) runs with
// processing.guarantee=exactly_once_v2 while the runner produces keyed input in small batches; the
// app is killed with kill -9 three times at random points of that load and restarted each time on
// the same state dir. Once the whole input is committed, the output topic is read with
// read_committed: for every key the count updates must be exactly 1, 2, ..., N in order, with N
// the runner's own count of that key: a duplicate (a replayed update) or a gap (a lost one) fails.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { Jvm, sleep, until } from './jvm.ts';
import type { ScenarioContext } from './scenarios.ts';

const KEYS = 30;
const PARTITIONS = 3;
const BATCH = 50;
const BATCH_EVERY_MS = 100;
/** Bound on the input, whatever the restarts take. */
const MAX_INPUT = 30_000;
const KILLS = 3;
const START_TIMEOUT_MS = 90_000;
const PROCESS_TIMEOUT_MS = 90_000;

/** A small deterministic generator, so a failing run can be repeated with the same input. */
function nextKey(state: { seed: number }): string {
  state.seed = (Math.imul(state.seed, 1664525) + 1013904223) >>> 0;
  const r = state.seed / 2 ** 32;
  return `key-${String(Math.floor(r * r * KEYS)).padStart(2, '0')}`;
}

export async function streamsExactlyOnce(context: ScenarioContext): Promise<string> {
  const { client, prefix, workDir } = context;
  const input = `${prefix}-eos-input`;
  const output = `${prefix}-eos-output`;
  const applicationId = `${prefix}-eos-count`;
  await client.createTopic(input, PARTITIONS);
  await client.createTopic(output, PARTITIONS);
  const stateDir = join(workDir, 'streams-eos-state');
  mkdirSync(stateDir, { recursive: true });
  const jvm = new Jvm({
    name: 'streams-eos',
    module: 'streams',
    mainClass: 'highwater.services.CountApp',
    args: [context.bootstrap, applicationId, input, output, stateDir, 'exactly_once_v2'],
    logFile: join(workDir, 'streams-eos.log'),
    heap: '256m',
    systemProperties: { 'org.slf4j.simpleLogger.defaultLogLevel': 'info', 'org.slf4j.simpleLogger.showDateTime': 'true' },
  });
  const runningLines = () => jvm.log().split('\n').filter((line) => line === 'STATE RUNNING').length;
  const startAndWait = async () => {
    const before = runningLines();
    jvm.start();
    await until('the Streams app to reach RUNNING', START_TIMEOUT_MS, async () => {
      jvm.assertAlive();
      return runningLines() > before ? true : undefined;
    });
  };

  // The input load: batches of keyed records, acks=all, until told to stop (or MAX_INPUT).
  const expected = new Map<string, number>();
  const keyState = { seed: 21 };
  let produced = 0;
  let stopLoad = false;
  let loadError: unknown;
  const load = (async () => {
    while (!stopLoad && produced < MAX_INPUT) {
      const messages = [];
      for (let i = 0; i < BATCH; i++) {
        const key = nextKey(keyState);
        messages.push({ key, value: `v-${produced + i}` });
      }
      await client.produce(input, messages);
      for (const { key } of messages) expected.set(key, (expected.get(key) ?? 0) + 1);
      produced += messages.length;
      await sleep(BATCH_EVERY_MS);
    }
  })().catch((error: unknown) => {
    loadError = error;
  });

  const killedAt: number[] = [];
  try {
    await startAndWait();
    for (let k = 0; k < KILLS; k++) {
      // A random point of the load: processing, mid-transaction or between commits.
      await sleep(1_500 + Math.floor(Math.random() * 3_000));
      if (loadError) throw loadError;
      killedAt.push(produced);
      await jvm.kill();
      await startAndWait();
    }
    await sleep(2_000);
  } finally {
    stopLoad = true;
    await load;
  }
  if (loadError) throw loadError;

  const ends = await client.endOffsets(input);
  await until('the Streams app to commit the whole input', PROCESS_TIMEOUT_MS, async () => {
    jvm.assertAlive();
    const committed = await client.committed(applicationId, input);
    return [...ends].every(([p, end]) => committed.get(p) === end) ? true : undefined;
  });
  await jvm.stop();

  const total = [...expected.values()].reduce((a, b) => a + b, 0);
  const updates = await readCommitted(context.bootstrap, output, total);
  const wrong: string[] = [];
  for (const [key, count] of expected) {
    const seen = updates.get(key) ?? [];
    const exact = seen.length === count && seen.every((value, i) => value === BigInt(i + 1));
    if (!exact) {
      const duplicates = seen.length - new Set(seen.map(String)).size;
      wrong.push(`${key}: ${seen.length} updates (last ${seen.at(-1)}, ${duplicates} repeated), expected 1..${count}`);
    }
  }
  for (const key of updates.keys()) if (!expected.has(key)) wrong.push(`${key}: not in the input`);
  if (wrong.length > 0) throw new Error(`${wrong.length} of ${expected.size} keys wrong: ${wrong.slice(0, 3).join('; ')}`);
  return (
    `${produced} keyed records produced under load; kill -9 of the exactly_once_v2 app after ${killedAt.join(', ')} records, restarted each time; ` +
    `read_committed output holds, for all ${expected.size} keys, exactly the updates 1..N of the runner's own counts (${total} updates, no duplicate, no gap)`
  );
}

/** The output read with read_committed (KafkaJS's default) until `total` updates arrived, then 3 s more. */
async function readCommitted(bootstrap: string, topic: string, total: number): Promise<Map<string, bigint[]>> {
  const kafka = new Kafka({ clientId: 'highwater-compat-services-eos', brokers: [bootstrap], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: `${topic}-check-${process.pid}`, readUncommitted: false, maxWaitTimeInMs: 500 });
  const updates = new Map<string, bigint[]>();
  let received = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        if (!message.key || !message.value || message.value.length !== 8) throw new Error(`output record ${message.offset} is not a key and an 8-byte count`);
        const key = message.key.toString();
        const list = updates.get(key) ?? [];
        list.push(message.value.readBigInt64BE());
        updates.set(key, list);
        received++;
      },
    });
    await until(`${total} count updates read with read_committed (got ${received})`, 60_000, async () => (received >= total ? true : undefined));
    await sleep(3_000);
  } finally {
    await consumer.disconnect();
  }
  return updates;
}
