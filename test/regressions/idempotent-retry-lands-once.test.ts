// An idempotent producer whose first produce response is lost (the connection is dropped just
// before it is written) retries; each record lands exactly once, offsets contiguous. The same
// holds when the broker restarts between the attempt and the retry: producer state is rebuilt
// from the snapshot and the log.
import { afterEach, expect, test } from 'vitest';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import { readAll } from '../helpers/fetch.ts';
import { ApiKey } from '../../src/protocol/generated/index.ts';

let tb: TestBroker | undefined;
afterEach(async () => {
  await tb?.destroy();
  tb = undefined;
});

async function runScenario(restartBetween: boolean) {
  tb = await startBroker();
  // The retry budget (about 27 s) is not what this test is about: it only has to outlast a broker
  // restart on a loaded, shared machine, where 10 retries (about 7 s) once ran out.
  const kafka = kafkajs(tb.bootstrap, { retry: { retries: 30, initialRetryTime: 100, maxRetryTime: 1000 } });
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'idem', numPartitions: 2 }] });
  await admin.disconnect();
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({ topic: 'idem', acks: -1, messages: [{ partition: 0, value: 'warm-up' }] });

  let dropped = 0;
  let restarting: Promise<void> | undefined;
  const broker = tb;
  broker.broker.testHooks.beforeResponseWrite = (_connection, apiKey) => {
    if (apiKey !== ApiKey.Produce || dropped > 0) return;
    dropped += 1;
    if (restartBetween) restarting = broker.restart().then((next) => { tb = next; });
    return 'drop-connection';
  };
  const sent = producer.send({ topic: 'idem', acks: -1, messages: Array.from({ length: 20 }, (_, i) => ({ partition: i % 2, value: `once-${i}` })) });
  await sent;
  await restarting;
  expect(dropped).toBe(1);
  await producer.send({ topic: 'idem', acks: -1, messages: [{ partition: 1, value: 'after' }] });
  await producer.disconnect();

  const p0 = (await readAll(tb!.bootstrap, 'idem', 0)).map((r) => r.value!.toString());
  const p1 = (await readAll(tb!.bootstrap, 'idem', 1)).map((r) => r.value!.toString());
  expect(p0).toEqual(['warm-up', ...Array.from({ length: 10 }, (_, i) => `once-${i * 2}`)]);
  expect(p1).toEqual([...Array.from({ length: 10 }, (_, i) => `once-${i * 2 + 1}`), 'after']);
}

test('a retried idempotent batch lands once when its response was lost', async () => {
  await runScenario(false);
});

test('a retried idempotent batch lands once across a broker restart between attempt and retry', async () => {
  await runScenario(true);
});
