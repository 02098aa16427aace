// Client quotas with real clients: @platformatic/kafka's admin sets producer_byte_rate for a client
// id; a KafkaJS producer that sends as fast as it can under that id is held to its quota (the rate
// the broker appended over a bounded 8 s run, within 20% of the quota), and the
// throttle time reaches it (KafkaJS reports the response's throttle_time_ms in its debug log). A
// producer under another client id on the same broker is not throttled.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Admin } from '@platformatic/kafka';
import { logLevel, type logCreator } from 'kafkajs';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';

const QUOTA_BYTES_PER_SECOND = 200_000;
const TOPIC = 'quota-topic';

let tb: TestBroker;
beforeAll(async () => {
  // Two quota windows of 1 s (quota.window.num=2). Kafka's rate lets a client burst whenever its
  // oldest sample expires; with few samples the bursts are small, so the average from the first
  // byte stays within ~10% of the quota for any run past a few seconds (with the default 11 samples
  // it swings up to 1.8× over runs shorter than a minute, by a simulation of this rate).
  tb = await startBroker({ quotaWindowNum: 2, quotaWindowSizeSeconds: 1, fsync: { kind: 'never' } });
  const admin = new Admin({ clientId: 'quota-admin', bootstrapBrokers: [tb.bootstrap] });
  try {
    await admin.createTopics({ topics: [TOPIC], partitions: 2, replicas: 1 });
    const results = await admin.alterClientQuotas({
      entries: [{ entities: [{ entityType: 'client-id', entityName: 'throttled-producer' }], ops: [{ key: 'producer_byte_rate', value: QUOTA_BYTES_PER_SECOND, remove: false }] }],
    });
    expect(results.map((r) => r.errorCode)).toEqual([0]);
    const described = await admin.describeClientQuotas({ components: [{ entityType: 'client-id', matchType: 0, match: 'throttled-producer' }] });
    expect(described.map((e) => e.values)).toEqual([[{ key: 'producer_byte_rate', value: QUOTA_BYTES_PER_SECOND }]]);
  } finally {
    await admin.close();
  }
});
afterAll(async () => { await tb?.destroy(); });

/** Record batch bytes the broker appended to the topic (the bytes the produce quota counts). */
async function bytesIn(): Promise<number> {
  const metric = await tb.broker.metrics.bytesIn.get();
  return metric.values.filter((v) => v.labels.topic === TOPIC).reduce((n, v) => n + v.value, 0);
}

/** Sends 8 KiB batches back to back as `clientId` for `runMs`; returns the bytes appended per second over the run. */
async function produceFlatOut(clientId: string, runMs: number, throttles: number[]): Promise<number> {
  const captureThrottle: logCreator = () => ({ log }) => {
    const m = /Client side throttling in effect for (\d+)ms/.exec(log.message);
    if (m) throttles.push(Number(m[1]));
  };
  const producer = kafkajs(tb.bootstrap, { clientId, logLevel: logLevel.DEBUG, logCreator: captureThrottle }).producer();
  await producer.connect();
  const value = Buffer.alloc(1024, 1);
  const messages = Array.from({ length: 8 }, () => ({ value }));
  const from = await bytesIn();
  const started = performance.now();
  try {
    while (performance.now() - started < runMs) await producer.send({ topic: TOPIC, acks: 1, messages });
    return (await bytesIn() - from) / ((performance.now() - started) / 1000);
  } finally {
    await producer.disconnect();
  }
}

test('a producer over its producer_byte_rate is held to within 20% of it, and sees the throttle time', async () => {
  const throttles: number[] = [];
  const rate = await produceFlatOut('throttled-producer', 8000, throttles);
  expect(Math.abs(rate - QUOTA_BYTES_PER_SECOND) / QUOTA_BYTES_PER_SECOND).toBeLessThan(0.2);
  expect(throttles.length).toBeGreaterThan(0);
  expect(throttles.every((ms) => ms > 0)).toBe(true);
  const text = await tb.broker.metrics.registry.metrics();
  expect(text).toMatch(/highwater_quota_throttles_total\{quota="producer_byte_rate"\} [1-9]/);
}, 30_000);

test('a producer under a client id without a quota is not throttled', async () => {
  const throttles: number[] = [];
  const rate = await produceFlatOut('free-producer', 2000, throttles);
  expect(rate).toBeGreaterThan(0);
  expect(throttles).toEqual([]);
}, 30_000);
