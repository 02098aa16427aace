// A shard thread that dies is detected, logged and restarted; it recovers its partitions from
// their logs, requests caught in flight get a retriable error (never a hang), and producers
// carry on: everything acknowledged before and after is there exactly once.
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { connect, readAll, listOffset } from '../helpers/fetch.ts';
import { ApiKey } from '../../src/protocol/generated/index.ts';
import { buildRecordBatch } from '../../src/protocol/records.ts';
import { isRetriable } from '../../src/protocol/errors.ts';
import type { ProduceResponse } from '../../src/protocol/generated/produce-response.ts';

let tb: TestBroker;
beforeAll(async () => { tb = await startBroker({ shards: 2 }); });
afterAll(async () => { await tb?.destroy(); });

const batchOf = (values: string[]) => buildRecordBatch({ baseTimestamp: BigInt(Date.now()), records: values.map((v) => ({ key: null, value: Buffer.from(v), headers: [] })) });

test('a crashed shard is restarted, recovers, and in-flight requests fail retriably', async () => {
  const c = await connect(tb.bootstrap);
  await c.request(ApiKey.CreateTopics, 5, { topics: [{ name: 'crashy', numPartitions: 4, replicationFactor: 1, assignments: [], configs: [] }], timeoutMs: 5000 });
  const produce = (partition: number, value: string) => c.request<ProduceResponse>(ApiKey.Produce, 9, {
    acks: -1, timeoutMs: 5000, topicData: [{ name: 'crashy', partitionData: [{ index: partition, records: batchOf([value]) }] }],
  }).then((r) => r.responses[0]!.partitionResponses[0]!);
  const acked = new Map<number, string[]>([[0, []], [1, []], [2, []], [3, []]]);
  for (let i = 0; i < 40; i++) {
    const r = await produce(i % 4, `before-${i}`);
    expect(r.errorCode).toBe(0);
    acked.get(i % 4)!.push(`before-${i}`);
  }
  const victim = tb.broker.partition('crashy', 0)!.shard;
  // Requests in flight while the shard dies: each is answered, with success or a retriable error.
  const inFlight = Array.from({ length: 20 }, (_, i) => produce(0, `during-${i}`).then((r) => ({ r, value: `during-${i}` })));
  await tb.broker.shards.crashShardForTest(victim);
  for (const { r, value } of await Promise.all(inFlight)) {
    if (r.errorCode === 0) acked.get(0)!.push(value);
    else expect(isRetriable(r.errorCode)).toBe(true);
  }
  // The shard comes back (restart + recovery) and serves again.
  const deadline = Date.now() + 20_000;
  while (tb.broker.shards.restarts(victim) === 0 || !tb.broker.shards.isRunning(victim)) {
    expect(Date.now()).toBeLessThan(deadline);
    await new Promise((r) => setTimeout(r, 20));
  }
  let after = await produce(0, 'after-0');
  while (after.errorCode !== 0 && Date.now() < deadline) {
    expect(isRetriable(after.errorCode)).toBe(true);
    await new Promise((r) => setTimeout(r, 50));
    after = await produce(0, 'after-0');
  }
  expect(after.errorCode).toBe(0);
  acked.get(0)!.push('after-0');
  for (let p = 0; p < 4; p++) {
    const values = (await readAll(tb.bootstrap, 'crashy', p)).map((r) => r.value!.toString());
    for (const v of acked.get(p)!) expect(values.filter((x) => x === v).length, v).toBe(1);
    expect((await listOffset(c, 'crashy', p, -1n)).offset).toBe(BigInt(values.length));
  }
  c.close();
});
