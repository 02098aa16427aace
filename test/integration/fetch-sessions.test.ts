// KIP-227 fetch sessions over a real socket with the project's generated codecs: a session opened
// by a full fetch, incremental fetches that answer only what changed, adding, updating and
// forgetting partitions by name (v12) and by topic id (v13+), the session errors, a long poll that
// wakes on any partition of the session, a session outliving its connection, and the metrics.
// (Neither KafkaJS nor @platformatic/kafka uses sessions: KafkaJS sends epoch -1, @platformatic/kafka
// epoch 0 on every fetch, so both stay on full fetches.)
import { afterAll, beforeAll, expect, test } from 'vitest';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { connect } from '../helpers/fetch.ts';
import { ApiKey } from '../../src/protocol/generated/index.ts';
import type { FetchResponse } from '../../src/protocol/generated/fetch-response.ts';
import type { MetadataResponse } from '../../src/protocol/generated/metadata-response.ts';
import type { KafkaConnection } from '../../src/client/kafka-connection.ts';
import { buildRecordBatch } from '../../src/protocol/records.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';

let tb: TestBroker;
let c: KafkaConnection;
const TOPIC = 'sessions';
const topicIds = new Map<string, string>();
const ZERO = '00000000-0000-0000-0000-000000000000';

beforeAll(async () => {
  tb = await startBroker();
  c = await connect(tb.bootstrap);
  const names = [TOPIC, `${TOPIC}-v12`, `${TOPIC}-v13`];
  await c.request(ApiKey.CreateTopics, 5, {
    topics: names.map((name) => ({ name, numPartitions: 4, replicationFactor: 1, assignments: [], configs: [] })), timeoutMs: 10_000, validateOnly: false,
  });
  const md = await c.request<MetadataResponse>(ApiKey.Metadata, 12, { topics: names.map((name) => ({ name, topicId: ZERO })), allowAutoTopicCreation: false, includeTopicAuthorizedOperations: false });
  for (const t of md.topics) topicIds.set(t.name!, t.topicId);
});
afterAll(async () => {
  c?.close();
  await tb?.destroy();
});

async function produce(partition: number, count: number, topic = TOPIC): Promise<void> {
  const records = buildRecordBatch({ baseTimestamp: 1_700_000_000_000n, records: Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`) })) });
  const res = await c.request<{ responses: { partitionResponses: { errorCode: number }[] }[] }>(ApiKey.Produce, 9, {
    transactionalId: null, acks: 1, timeoutMs: 10_000, topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  });
  expect(res.responses[0]!.partitionResponses[0]!.errorCode).toBe(0);
}

interface Ask { sessionId: number; sessionEpoch: number; partitions?: [number, bigint][]; forget?: number[]; maxWaitMs?: number; minBytes?: number; version?: number; topic?: string }

function fetchOn(conn: KafkaConnection, ask: Ask): Promise<FetchResponse> {
  const version = ask.version ?? 12;
  const topic = ask.topic ?? TOPIC;
  const id = version >= 13 ? topicIds.get(topic)! : ZERO;
  return conn.request<FetchResponse>(ApiKey.Fetch, version, {
    replicaId: -1, maxWaitMs: ask.maxWaitMs ?? 0, minBytes: ask.minBytes ?? 0, maxBytes: 1_000_000, isolationLevel: 0,
    sessionId: ask.sessionId, sessionEpoch: ask.sessionEpoch, rackId: '',
    topics: (ask.partitions ?? []).length === 0 ? [] : [{ topic, topicId: id, partitions: ask.partitions!.map(([partition, fetchOffset]) => ({ partition, fetchOffset, currentLeaderEpoch: -1, lastFetchedEpoch: -1, logStartOffset: -1n, partitionMaxBytes: 100_000 })) }],
    forgottenTopicsData: (ask.forget ?? []).length === 0 ? [] : [{ topic, topicId: id, partitions: ask.forget }],
  });
}
const fetch = (ask: Ask) => fetchOn(c, ask);
const served = (res: FetchResponse) => res.responses.flatMap((t) => t.partitions.map((p) => [p.partitionIndex, p.highWatermark, p.records?.length ?? 0, p.errorCode]));

async function metric(name: string): Promise<number> {
  const m = await tb.broker.metrics.registry.getSingleMetric(name)!.get();
  return m.values[0]?.value ?? 0;
}

for (const version of [12, 13]) {
  test(`v${version}: a session answers only partitions that changed; add, update and forget`, async () => {
    const topic = `${TOPIC}-v${version}`;
    await produce(0, 3, topic);
    const before = await metric('highwater_incremental_fetches_total');
    const full = await fetch({ version, topic, sessionId: 0, sessionEpoch: 0, partitions: [[0, 0n], [1, 0n], [2, 0n]] });
    expect(full.errorCode).toBe(0);
    expect(full.sessionId).toBeGreaterThan(0);
    expect(served(full).map(([p]) => p)).toEqual([0, 1, 2]);
    const hwm0 = full.responses[0]!.partitions[0]!.highWatermark;
    const id = full.sessionId;
    // Nothing changed: an empty answer in the session.
    const quiet = await fetch({ version, topic, sessionId: id, sessionEpoch: 1, partitions: [[0, hwm0]] });
    expect(quiet).toMatchObject({ errorCode: 0, sessionId: id });
    expect(served(quiet)).toEqual([]);
    // New records on partition 1 only: only partition 1, though the request names no partition.
    await produce(1, 2, topic);
    const one = await fetch({ version, topic, sessionId: id, sessionEpoch: 2 });
    expect(served(one).map(([p]) => p)).toEqual([1]);
    // Add partition 3 (out of range: an error, always answered), forget partition 2.
    const added = await fetch({ version, topic, sessionId: id, sessionEpoch: 3, partitions: [[3, 99n], [1, one.responses[0]!.partitions[0]!.highWatermark]], forget: [2] });
    expect(served(added)).toEqual([[3, -1n, 0, ErrorCode.OFFSET_OUT_OF_RANGE]]);
    // Fix partition 3's offset: sent once (its watermark is news after the error), then quiet.
    const fixed = await fetch({ version, topic, sessionId: id, sessionEpoch: 4, partitions: [[3, 0n]] });
    expect(served(fixed).map(([p, , , e]) => [p, e])).toEqual([[3, 0]]);
    expect(served(await fetch({ version, topic, sessionId: id, sessionEpoch: 5 }))).toEqual([]);
    // Partition 2 was forgotten: new records on it are not answered.
    await produce(2, 1, topic);
    expect(served(await fetch({ version, topic, sessionId: id, sessionEpoch: 6 }))).toEqual([]);
    expect(await metric('highwater_incremental_fetches_total') - before).toBe(6);
    // Epoch -1 closes it: the next incremental fetch finds no session.
    expect((await fetch({ version, topic, sessionId: id, sessionEpoch: -1, partitions: [[0, 0n]] })).sessionId).toBe(0);
    expect(await fetch({ version, topic, sessionId: id, sessionEpoch: 7 })).toMatchObject({ errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, sessionId: 0, responses: [] });
  });
}

test('session errors: a wrong epoch, an unknown id, topic ids switched on', async () => {
  const full = await fetch({ sessionId: 0, sessionEpoch: 0, partitions: [[0, 0n]] });
  const id = full.sessionId;
  expect(await fetch({ sessionId: id, sessionEpoch: 5 })).toMatchObject({ errorCode: ErrorCode.INVALID_FETCH_SESSION_EPOCH, sessionId: 0, responses: [] });
  expect(await fetch({ sessionId: id ^ 1, sessionEpoch: 1 })).toMatchObject({ errorCode: ErrorCode.FETCH_SESSION_ID_NOT_FOUND, responses: [] });
  expect(await fetch({ version: 13, sessionId: id, sessionEpoch: 1 })).toMatchObject({ errorCode: ErrorCode.FETCH_SESSION_TOPIC_ID_ERROR, responses: [] });
  // The errors did not move the session: epoch 1 is served.
  expect(await fetch({ sessionId: id, sessionEpoch: 1 })).toMatchObject({ errorCode: 0, sessionId: id });
});

test('a long poll of an incremental fetch wakes on any partition of the session, and the session outlives its connection', async () => {
  const other = await connect(tb.bootstrap);
  const full = await fetchOn(other, { sessionId: 0, sessionEpoch: 0, partitions: [[0, 0n], [1, 0n], [2, 0n], [3, 0n]] });
  const ends = new Map(full.responses[0]!.partitions.map((p) => [p.partitionIndex, p.highWatermark]));
  const id = full.sessionId;
  // Move every fetch offset to the end, so that the next wait has nothing to read.
  await fetchOn(other, { sessionId: id, sessionEpoch: 1, partitions: [...ends].map(([p, hwm]) => [p, hwm] as [number, bigint]) });
  other.close();
  const waiting = fetch({ sessionId: id, sessionEpoch: 2, maxWaitMs: 20_000, minBytes: 1 });
  await new Promise((resolve) => setTimeout(resolve, 200));
  await produce(3, 1);
  const woke = await waiting;
  expect(woke.sessionId).toBe(id);
  expect(served(woke).map(([p]) => p)).toEqual([3]);
  expect(await metric('highwater_fetch_sessions')).toBeGreaterThan(0);
  expect(await metric('highwater_fetch_session_partitions')).toBeGreaterThanOrEqual(4);
});
