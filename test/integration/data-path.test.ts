// The data path with real clients: multi-batch produce, long-poll wake-up, retention and
// DeleteRecords, backpressure from a full ring, and recovery of a corrupted tail.
import { appendFileSync, openSync, readSync, writeSync, closeSync, readdirSync, statSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, expect, test } from 'vitest';
import { startBroker, tempDataDir, type TestBroker } from '../helpers/broker.ts';
import { startProcessBroker } from '../helpers/process-broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import { connect, fetchOnce, listOffset, readAll } from '../helpers/fetch.ts';
import { ApiKey } from '../../src/protocol/generated/index.ts';
import { buildRecordBatch } from '../../src/protocol/records.ts';
import type { ProduceResponse } from '../../src/protocol/generated/produce-response.ts';

let tb: TestBroker | undefined;
afterEach(async () => {
  await tb?.destroy();
  tb = undefined;
});

const batchOf = (values: string[]) => buildRecordBatch({ baseTimestamp: BigInt(Date.now()), records: values.map((v) => ({ key: null, value: Buffer.from(v), headers: [] })) });

test('a produce request with several partitions and several batches per partition loses nothing', async () => {
  tb = await startBroker();
  const admin = kafkajs(tb.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'multi', numPartitions: 3 }, { topic: 'multi2', numPartitions: 1 }] });
  await admin.disconnect();
  const c = await connect(tb.bootstrap);
  const topicData = [
    { name: 'multi', partitionData: [0, 1, 2].map((p) => ({ index: p, records: Buffer.concat([batchOf([`${p}-a`, `${p}-b`]), batchOf([`${p}-c`]), batchOf([`${p}-d`, `${p}-e`, `${p}-f`])]) })) },
    { name: 'multi2', partitionData: [{ index: 0, records: Buffer.concat([batchOf(['x']), batchOf(['y'])]) }] },
  ];
  const res = await c.request<ProduceResponse>(ApiKey.Produce, 9, { acks: -1, timeoutMs: 5000, topicData });
  expect(res.responses.flatMap((t) => t.partitionResponses.map((p) => p.errorCode))).toEqual([0, 0, 0, 0]);
  for (const p of [0, 1, 2]) {
    const records = await readAll(tb.bootstrap, 'multi', p);
    expect(records.map((r) => r.value!.toString())).toEqual(['a', 'b', 'c', 'd', 'e', 'f'].map((s) => `${p}-${s}`));
    expect(records.map((r) => r.offset)).toEqual([0n, 1n, 2n, 3n, 4n, 5n]);
  }
  expect((await readAll(tb.bootstrap, 'multi2', 0)).map((r) => r.value!.toString())).toEqual(['x', 'y']);
  c.close();
});

test('a bad batch gets CORRUPT_MESSAGE for its partition only; an oversized one MESSAGE_TOO_LARGE', async () => {
  tb = await startBroker();
  const admin = kafkajs(tb.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'checked', numPartitions: 3, configEntries: [{ name: 'max.message.bytes', value: '2000' }] }] });
  await admin.disconnect();
  const c = await connect(tb.bootstrap);
  const corrupt = batchOf(['fine', 'then flipped']);
  corrupt[corrupt.length - 2]! ^= 0x10;
  const res = await c.request<ProduceResponse>(ApiKey.Produce, 9, {
    acks: 1, timeoutMs: 5000,
    topicData: [
      { name: 'checked', partitionData: [{ index: 0, records: corrupt }, { index: 1, records: batchOf(['ok']) }, { index: 2, records: batchOf(['z'.repeat(5000)]) }] },
      { name: 'no-such-topic', partitionData: [{ index: 0, records: batchOf(['lost']) }] },
    ],
  });
  expect(res.responses[0]!.partitionResponses.map((p) => p.errorCode)).toEqual([2, 0, 10]);
  expect(res.responses[1]!.partitionResponses[0]!.errorCode).toBe(3);
  expect((await listOffset(c, 'checked', 0, -1n)).offset).toBe(0n);
  expect((await listOffset(c, 'checked', 1, -1n)).offset).toBe(1n);
  c.close();
});

test('a long-poll fetch returns as soon as a produce lands, not at max_wait_ms', async () => {
  tb = await startBroker();
  const kafka = kafkajs(tb.bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'poll', numPartitions: 2 }] });
  await admin.disconnect();
  const c = await connect(tb.bootstrap);
  const began = performance.now();
  const waiting = fetchOnce(c, 'poll', 1, 0n, { maxWaitMs: 20_000, minBytes: 1 });
  const producer = kafka.producer();
  await producer.connect();
  await new Promise((r) => setTimeout(r, 200));
  await producer.send({ topic: 'poll', acks: 1, messages: [{ partition: 1, value: 'wake up' }] });
  const f = await waiting;
  // Functional, not a timing benchmark: woken by the produce, long before the 20 s max wait.
  expect(performance.now() - began).toBeLessThan(10_000);
  expect(f.records.map((r) => r.value!.toString())).toEqual(['wake up']);
  expect(f.highWatermark).toBe(1n);
  // With nothing to wake it, the poll ends at max_wait_ms with an empty answer.
  const idle = await fetchOnce(c, 'poll', 0, 0n, { maxWaitMs: 100, minBytes: 1 });
  expect(idle.records).toEqual([]);
  await producer.disconnect();
  c.close();
});

test('retention deletes old segments, earliest moves, and a fetch below it is OFFSET_OUT_OF_RANGE', async () => {
  tb = await startBroker({ retentionCheckMs: 100 });
  const kafka = kafkajs(tb.bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'retained', numPartitions: 1, configEntries: [{ name: 'segment.bytes', value: '4096' }, { name: 'retention.bytes', value: '8192' }] }] });
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < 40; i++) await producer.send({ topic: 'retained', acks: 1, messages: Array.from({ length: 5 }, (_, j) => ({ value: `v${i * 5 + j}-${'p'.repeat(100)}` })) });
  const c = await connect(tb.bootstrap);
  const deadline = Date.now() + 10_000;
  let earliest = 0n;
  while (earliest === 0n && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 50));
    earliest = (await listOffset(c, 'retained', 0, -2n)).offset;
  }
  expect(earliest).toBeGreaterThan(0n);
  // Retention also ran while producing; let its checks (every 100 ms) settle before reading.
  for (let settled = false; !settled;) {
    await new Promise((r) => setTimeout(r, 500));
    const again = (await listOffset(c, 'retained', 0, -2n)).offset;
    settled = again === earliest;
    earliest = again;
  }
  expect((await listOffset(c, 'retained', 0, -1n)).offset).toBe(200n);
  expect((await fetchOnce(c, 'retained', 0, 0n)).errorCode).toBe(1);
  const rest = await readAll(tb.bootstrap, 'retained', 0, earliest);
  expect(rest[0]!.offset).toBe(earliest);
  expect(rest.at(-1)!.offset).toBe(199n);
  // DeleteRecords moves the log start offset further. (KafkaJS looks the leader up in metadata it
  // already holds, so it needs the topic's metadata first: a client quirk, Kafka behaves the same.)
  await admin.fetchTopicMetadata({ topics: ['retained'] });
  await admin.deleteTopicRecords({ topic: 'retained', partitions: [{ partition: 0, offset: '190' }] });
  expect((await listOffset(c, 'retained', 0, -2n)).offset).toBe(190n);
  expect((await fetchOnce(c, 'retained', 0, 189n)).errorCode).toBe(1);
  c.close();
  await producer.disconnect();
  await admin.disconnect();
});

test('a full ring pauses the producing sockets and nothing is lost', async () => {
  tb = await startBroker({ ringBytes: 256 * 1024, shards: 1, fsync: { kind: 'always' } });
  const kafka = kafkajs(tb.bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'pressure', numPartitions: 2 }] });
  await admin.disconnect();
  const c = await connect(tb.bootstrap);
  const payload = batchOf(Array.from({ length: 20 }, (_, i) => `${i}-${'b'.repeat(1000)}`));
  const rssBefore = process.memoryUsage().rss;
  // 300 pipelined produce requests of ~20 KiB each, sent without waiting: several ring-fulls.
  const sends = [];
  for (let i = 0; i < 300; i++) {
    sends.push(c.request<ProduceResponse>(ApiKey.Produce, 9, { acks: 1, timeoutMs: 5000, topicData: [{ name: 'pressure', partitionData: [{ index: i % 2, records: Buffer.from(payload) }] }] }));
  }
  const results = await Promise.all(sends);
  expect(results.every((r) => r.responses[0]!.partitionResponses[0]!.errorCode === 0)).toBe(true);
  const metrics = await tb.broker.metrics.registry.getSingleMetricAsString('highwater_backpressure_pauses_total');
  expect(metrics).toMatch(/highwater_backpressure_pauses_total\{shard="0"\} [1-9]/);
  expect((await listOffset(c, 'pressure', 0, -1n)).offset + (await listOffset(c, 'pressure', 1, -1n)).offset).toBe(300n * 20n);
  // Bounded memory: the broker held at most a ring plus what the paused sockets had already sent.
  expect(process.memoryUsage().rss - rssBefore).toBeLessThan(512 * 1024 * 1024);
  c.close();
});

test('a produce request larger than the initial request ring grows the ring and succeeds, behind small ones in flight', async () => {
  tb = await startBroker({ ringBytes: 1024 * 1024, ringInitialBytes: 64 * 1024, shards: 1 });
  expect(tb.broker.shards.ringUsage(0).capacityBytes).toBe(64 * 1024);
  const kafka = kafkajs(tb.bootstrap);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: 'grow', numPartitions: 1 }] });
  await admin.disconnect();
  const c = await connect(tb.bootstrap);
  const small = batchOf(Array.from({ length: 10 }, (_, i) => `small-${i}-${'s'.repeat(500)}`));
  const bigValue = 'B'.repeat(300 * 1024);
  const big = batchOf([bigValue]);
  // Pipelined: small requests that may still be in the ring, then one 300 KiB request (more than
  // the 64 KiB ring holds), then small ones behind it. Order and every byte must survive.
  const sends = [];
  for (let i = 0; i < 20; i++) sends.push(c.request<ProduceResponse>(ApiKey.Produce, 9, { acks: 1, timeoutMs: 5000, topicData: [{ name: 'grow', partitionData: [{ index: 0, records: Buffer.from(small) }] }] }));
  sends.push(c.request<ProduceResponse>(ApiKey.Produce, 9, { acks: 1, timeoutMs: 5000, topicData: [{ name: 'grow', partitionData: [{ index: 0, records: big }] }] }));
  for (let i = 0; i < 5; i++) sends.push(c.request<ProduceResponse>(ApiKey.Produce, 9, { acks: 1, timeoutMs: 5000, topicData: [{ name: 'grow', partitionData: [{ index: 0, records: Buffer.from(small) }] }] }));
  const results = await Promise.all(sends);
  expect(results.map((r) => r.responses[0]!.partitionResponses[0]!.errorCode)).toEqual(sends.map(() => 0));
  expect(results[20]!.responses[0]!.partitionResponses[0]!.baseOffset).toBe(200n);
  // 300 KiB of record plus framing: the smallest power of two that holds it is 512 KiB.
  expect(tb.broker.shards.ringUsage(0).capacityBytes).toBe(512 * 1024);
  const records = await readAll(tb.bootstrap, 'grow', 0);
  expect(records).toHaveLength(20 * 10 + 1 + 5 * 10);
  expect(records[200]!.value!.toString()).toBe(bigValue);
  expect(records[201]!.value!.toString()).toBe(`small-0-${'s'.repeat(500)}`);
  c.close();
});

test('a torn or corrupted tail is truncated at start-up, logged, and everything before it is served', async () => {
  const dataDir = tempDataDir();
  try {
    const first = await startProcessBroker(dataDir);
    const kafka = kafkajs(first.bootstrap);
    const producer = kafka.producer();
    await producer.connect();
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: 'torn', numPartitions: 2 }] });
    for (let i = 0; i < 10; i++) await producer.send({ topic: 'torn', acks: -1, messages: [{ partition: 0, value: `t${i}` }, { partition: 1, value: `f${i}` }] });
    await producer.disconnect();
    await admin.disconnect();
    await first.kill('SIGKILL');

    // Partition 0: half a batch appended (a torn write). Partition 1: a bit flipped in the last batch.
    const log0 = path.join(dataDir, 'torn-0', readdirSync(path.join(dataDir, 'torn-0')).find((f) => f.endsWith('.log'))!);
    appendFileSync(log0, batchOf(['half']).subarray(0, 30));
    const log1 = path.join(dataDir, 'torn-1', readdirSync(path.join(dataDir, 'torn-1')).find((f) => f.endsWith('.log'))!);
    const size = statSync(log1).size;
    const fd = openSync(log1, 'r+');
    const byte = Buffer.alloc(1);
    readSync(fd, byte, 0, 1, size - 3);
    byte[0]! ^= 0x01;
    writeSync(fd, byte, 0, 1, size - 3);
    closeSync(fd);

    const second = await startProcessBroker(dataDir);
    try {
      const p0 = await readAll(second.bootstrap, 'torn', 0);
      expect(p0.map((r) => r.value!.toString())).toEqual(Array.from({ length: 10 }, (_, i) => `t${i}`));
      const p1 = await readAll(second.bootstrap, 'torn', 1);
      expect(p1.map((r) => r.value!.toString())).toEqual(Array.from({ length: 9 }, (_, i) => `f${i}`));
      const warnings = second.lines.filter((l) => l.includes('"level":40') && /truncat/i.test(l));
      expect(warnings.length).toBeGreaterThanOrEqual(2);
      // The log goes on from the truncation point.
      const producer2 = kafkajs(second.bootstrap).producer();
      await producer2.connect();
      const [meta] = await producer2.send({ topic: 'torn', acks: -1, messages: [{ partition: 1, value: 'after' }] });
      expect(meta!.baseOffset).toBe('9');
      await producer2.disconnect();
    } finally {
      await second.kill('SIGKILL');
    }
  } finally {
    rmSync(dataDir, { recursive: true, force: true });
  }
});

test('LogAppendTime topics stamp batches with the broker time, and Produce reports it', async () => {
  tb = await startBroker();
  const admin = kafkajs(tb.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [
    { topic: 'append-time', numPartitions: 1, configEntries: [{ name: 'message.timestamp.type', value: 'LogAppendTime' }] },
    { topic: 'create-time', numPartitions: 1 },
  ] });
  await admin.disconnect();
  const c = await connect(tb.bootstrap);
  const old = 1_000_000_000_000n;
  const batch = () => buildRecordBatch({ baseTimestamp: old, records: [{ key: null, value: Buffer.from('a'), headers: [] }, { key: null, value: Buffer.from('b'), headers: [], timestamp: old + 5n }] });
  const before = BigInt(Date.now());
  const res = await c.request<ProduceResponse>(ApiKey.Produce, 9, { acks: 1, timeoutMs: 5000, topicData: [
    { name: 'append-time', partitionData: [{ index: 0, records: batch() }] },
    { name: 'create-time', partitionData: [{ index: 0, records: batch() }] },
  ] });
  const after = BigInt(Date.now());
  const appendTime = res.responses[0]!.partitionResponses[0]!.logAppendTimeMs;
  expect(appendTime >= before && appendTime <= after).toBe(true);
  expect(res.responses[1]!.partitionResponses[0]!.logAppendTimeMs).toBe(-1n);
  const stamped = await readAll(tb.bootstrap, 'append-time', 0);
  expect(stamped.map((r) => r.timestamp)).toEqual([appendTime, appendTime]);
  const kept = await readAll(tb.bootstrap, 'create-time', 0);
  expect(kept.map((r) => r.timestamp)).toEqual([old, old + 5n]);
  c.close();
});
