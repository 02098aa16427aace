// Tiered storage's data path against the in-memory object store (test/helpers/memory-object-store.ts):
// KafkaJS produces into a remote-enabled topic with small segments, the broker uploads the rolled
// segments and deletes their local copies, and a consumer reads everything back from offset 0,
// once before and once after a restart with only the hot tail local.
import { afterEach, describe, expect, it } from 'vitest';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { startBroker, type TestBroker } from '../../../helpers/broker.ts';
import { kafkajs } from '../../../helpers/kafkajs.ts';
import { MemoryObjectStore } from '../../../helpers/memory-object-store.ts';
import { consumeAll as consumeTopic, expectContiguousFromZero, waitFor as waitUntil } from '../../../helpers/consume-all.ts';

const TOPIC = 'tiered';
const PARTITIONS = 2;
const MESSAGES = 1200;

const waitFor = (what: string, check: () => boolean | Promise<boolean>) => waitUntil(what, check, 40_000);
const consumeAll = (bootstrap: string, groupId: string, expected: number) => consumeTopic(bootstrap, TOPIC, groupId, expected, 40_000);
const checkAll = (got: Awaited<ReturnType<typeof consumeAll>>) => expectContiguousFromZero(got, PARTITIONS, MESSAGES);




describe('tiered storage data path (in-memory store)', () => {
  let b: TestBroker | undefined;
  afterEach(async () => { await b?.destroy(); b = undefined; });

  it('serves the whole log from both tiers after local deletion, and after a restart', async () => {
    const store = new MemoryObjectStore();
    b = await startBroker({ remoteStorageBucket: 'test', remoteLogManagerTaskIntervalMs: 100, retentionCheckMs: 200 }, undefined, { objectStore: store });
    const admin = kafkajs(b.bootstrap).admin();
    await admin.connect();
    await admin.createTopics({
      topics: [{
        topic: TOPIC, numPartitions: PARTITIONS,
        configEntries: [
          { name: 'remote.storage.enable', value: 'true' }, { name: 'segment.bytes', value: '8192' }, { name: 'local.retention.bytes', value: '1' },
        ],
      }],
    });
    const producer = kafkajs(b.bootstrap).producer();
    await producer.connect();
    for (let i = 0; i < MESSAGES; i += 50) {
      const messages = [];
      for (let j = i; j < i + 50; j++) messages.push({ partition: j % PARTITIONS, value: `p${j % PARTITIONS}-${j}-${'x'.repeat(100)}` });
      await producer.send({ topic: TOPIC, messages });
    }
    await producer.disconnect();

    const handles = b.broker.partitions(TOPIC)!;
    await waitFor('local copies deleted after upload', () => handles.every((h) => b!.broker.watermarks.localLogStartOffset(h.slot) > 0n));
    for (const h of handles) expect(b.broker.watermarks.logStartOffset(h.slot)).toBe(0n);
    const topicId = handles[0]!.topic.topicId;
    expect(store.keys(`${topicId}/0/`).some((k) => k.endsWith('00000000000000000000.manifest.json'))).toBe(true);
    // The first local segment is gone from disk.
    expect(readdirSync(path.join(b.dataDir, `${TOPIC}-0`))).not.toContain('00000000000000000000.log');

    const offsets = await admin.fetchTopicOffsets(TOPIC);
    for (const o of offsets) expect(o.low).toBe('0');
    const ts = await admin.fetchTopicOffsetsByTimestamp(TOPIC, 0);
    for (const o of ts) expect(o.offset).toBe('0');
    await admin.disconnect();

    checkAll(await consumeAll(b.bootstrap, 'g1', MESSAGES));
    expect(store.gets).toBeGreaterThan(0);

    b = await b.restart();
    const after = b.broker.partitions(TOPIC)!;
    for (const h of after) {
      expect(b.broker.watermarks.logStartOffset(h.slot)).toBe(0n);
      expect(b.broker.watermarks.localLogStartOffset(h.slot)).toBeGreaterThan(0n);
    }
    checkAll(await consumeAll(b.bootstrap, 'g2', MESSAGES));

    // The remote record lost: the broker rebuilds it from the uploaded manifests.
    await b.stop();
    for (let p = 0; p < PARTITIONS; p++) rmSync(path.join(b.dataDir, `${TOPIC}-${p}`, 'remote-log.json'));
    b = await b.restart();
    const rebuilt = b.broker.partitions(TOPIC)!;
    await waitFor('the record rebuilt from the manifests', () => rebuilt.every((h) => b!.broker.watermarks.logStartOffset(h.slot) === 0n));
    checkAll(await consumeAll(b.bootstrap, 'g3', MESSAGES));
  }, 90_000);

  it('keeps segments local while the store is down, says how far behind it is, and catches up when it is back', async () => {
    const store = new MemoryObjectStore();
    store.down = true;
    b = await startBroker({ remoteStorageBucket: 'test', remoteLogManagerTaskIntervalMs: 100, retentionCheckMs: 200 }, undefined, { objectStore: store });
    const admin = kafkajs(b.bootstrap).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, configEntries: [
      { name: 'remote.storage.enable', value: 'true' }, { name: 'segment.bytes', value: '4096' }, { name: 'local.retention.bytes', value: '1' },
    ] }] });
    await admin.disconnect();
    const producer = kafkajs(b.bootstrap).producer();
    await producer.connect();
    for (let i = 0; i < 10; i++) await producer.send({ topic: TOPIC, messages: Array.from({ length: 20 }, (_, k) => ({ value: `p0-${i}-${k}-${'y'.repeat(100)}` })) });
    await producer.disconnect();
    const metricValue = async (name: string) => {
      const text = await b!.broker.metrics.registry.metrics();
      return text.split('\n').filter((l) => l.startsWith(name)).map((l) => Number(l.split(' ').pop())).reduce((a, c) => a + c, 0);
    };
    await waitFor('upload lag reported and upload errors counted', async () => (await metricValue('highwater_remote_upload_lag_bytes')) > 0 && (await metricValue('highwater_remote_errors_total')) > 0);
    const h = b.broker.partitions(TOPIC)![0]!;
    expect(b.broker.watermarks.localLogStartOffset(h.slot)).toBe(0n);
    expect(readdirSync(path.join(b.dataDir, `${TOPIC}-0`))).toContain('00000000000000000000.log');
    store.down = false;
    // Backoff is at most a few seconds after a handful of failures.
    await waitFor('uploads caught up', () => b!.broker.watermarks.localLogStartOffset(h.slot) > 0n);
    await waitFor('lag back to the active segment only', async () => (await metricValue('highwater_remote_upload_lag_bytes')) === 0);
    expect(await metricValue('highwater_remote_upload_segments_total')).toBeGreaterThan(0);
  }, 60_000);

  it('refuses remote.storage.enable when the broker has no object store, as Kafka does', async () => {
    b = await startBroker();
    const admin = kafkajs(b.bootstrap, { retry: { retries: 0 } }).admin();
    await admin.connect();
    try {
      await expect(admin.createTopics({ topics: [{ topic: 'no-store', configEntries: [{ name: 'remote.storage.enable', value: 'true' }] }] }))
        .rejects.toMatchObject({ errors: [expect.objectContaining({ type: 'INVALID_CONFIG' })] });
    } finally {
      await admin.disconnect();
    }
  });

  it('deletes a deleted topic\'s objects in the background, resuming after a restart', async () => {
    const store = new MemoryObjectStore();
    const config = { remoteStorageBucket: 'test', remoteLogManagerTaskIntervalMs: 100, retentionCheckMs: 200 };
    b = await startBroker(config, undefined, { objectStore: store });
    const admin = kafkajs(b.bootstrap).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, configEntries: [
      { name: 'remote.storage.enable', value: 'true' }, { name: 'segment.bytes', value: '4096' },
    ] }] });
    const producer = kafkajs(b.bootstrap).producer();
    await producer.connect();
    for (let i = 0; i < 10; i++) await producer.send({ topic: TOPIC, messages: Array.from({ length: 20 }, (_, k) => ({ value: `p0-${i}-${k}-${'z'.repeat(100)}` })) });
    await producer.disconnect();
    const topicId = b.broker.partitions(TOPIC)![0]!.topic.topicId;
    await waitFor('segments uploaded', () => store.keys(`${topicId}/`).some((k) => k.endsWith('.manifest.json')));
    // The store is down when the topic is deleted, and the broker restarts before it is back.
    store.down = true;
    await admin.deleteTopics({ topics: [TOPIC] });
    await admin.disconnect();
    expect(store.keys(`${topicId}/`).length).toBeGreaterThan(0);
    b = await b.restart();
    store.down = false;
    await waitFor('the deleted topic\'s objects removed', () => store.keys(`${topicId}/`).length === 0);
  }, 60_000);

  it('applies retention.bytes to the whole log: remote segments leave the record and the bucket, the log start moves', async () => {
    const store = new MemoryObjectStore();
    b = await startBroker({ remoteStorageBucket: 'test', remoteLogManagerTaskIntervalMs: 100, retentionCheckMs: 100 }, undefined, { objectStore: store });
    const admin = kafkajs(b.bootstrap).admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: 1, configEntries: [
      { name: 'remote.storage.enable', value: 'true' }, { name: 'segment.bytes', value: '4096' },
      { name: 'retention.bytes', value: '20000' }, { name: 'local.retention.bytes', value: '1' },
    ] }] });
    const producer = kafkajs(b.bootstrap).producer();
    await producer.connect();
    for (let i = 0; i < 30; i++) await producer.send({ topic: TOPIC, messages: Array.from({ length: 20 }, (_, k) => ({ value: `p0-${i}-${k}-${'r'.repeat(100)}` })) });
    await producer.disconnect();
    const h = b.broker.partitions(TOPIC)![0]!;
    const topicId = h.topic.topicId;
    await waitFor('retention moved the log start', () => b!.broker.watermarks.logStartOffset(h.slot) > 0n);
    // Retention runs in passes as uploads complete: wait until the log start stops moving (three
    // retention checks in a row), or the consumer below may begin past a log start read earlier.
    let settled = -1n;
    for (let same = 0; same < 3;) {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const now = b.broker.watermarks.logStartOffset(h.slot);
      same = now === settled ? same + 1 : 0;
      settled = now;
    }
    const logStart = b.broker.watermarks.logStartOffset(h.slot);
    // The bucket holds no segment wholly below the log start once the pending deletions ran.
    const baseOf = (k: string) => BigInt(k.split('/').pop()!.slice(0, 20));
    await waitFor('dropped segments deleted from the bucket', () => store.keys(`${topicId}/0/`).filter((k) => k.endsWith('.manifest.json')).every((k) => baseOf(k) >= logStart - 200n));
    const [o] = await admin.fetchTopicOffsets(TOPIC);
    await admin.disconnect();
    expect(BigInt(o!.low)).toBeGreaterThan(0n);
    // The log kept is about retention.bytes: well under what was produced.
    const kept = BigInt(o!.high) - BigInt(o!.low);
    expect(kept).toBeLessThan(600n);
    const consumer = kafkajs(b.bootstrap).consumer({ groupId: 'retained', maxWaitTimeInMs: 200 });
    const offsets: bigint[] = [];
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
    await consumer.run({ eachMessage: async ({ message }) => { offsets.push(BigInt(message.offset)); } });
    await waitFor('the retained log consumed', () => offsets.length > 0 && offsets[offsets.length - 1]! === BigInt(o!.high) - 1n);
    await consumer.disconnect();
    expect(offsets[0]).toBe(BigInt(o!.low));
    offsets.forEach((off, i) => expect(off).toBe(offsets[0]! + BigInt(i)));
  }, 60_000);
});
