// Tiered storage end to end against a real S3 server (SeaweedFS): KafkaJS produces into a topic
// with small segments and a short local.retention.ms; the broker uploads rolled segments to the
// bucket and drops their local copies; the whole log is served across both tiers (Fetch from 0,
// ListOffsets earliest/latest/by timestamp), also after a restart with only the hot tail local;
// retention then deletes the oldest segments' objects from the bucket.
//
// Scale: issue 17 says 1 GiB; on this 2-core machine that takes minutes, so the default here is
// 8 MiB in 128 KiB segments (32 segments per partition). HIGHWATER_TIERED_TEST_BYTES and
// HIGHWATER_TIERED_TEST_SEGMENT_BYTES run it bigger, e.g. 1073741824 and 1048576 for the full size.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigResourceTypes } from 'kafkajs';
import type { TestBroker } from '../helpers/broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import { s3Unavailable, startS3Server, type S3Server } from '../helpers/s3-server.ts';
import { consumeAllAndCheck, localSegments, produceRange, remoteSegments, startTieredBroker, waitFor } from '../helpers/tiered.ts';

const TOTAL_BYTES = Number(process.env.HIGHWATER_TIERED_TEST_BYTES ?? 8 * 1024 * 1024);
const SEGMENT_BYTES = Number(process.env.HIGHWATER_TIERED_TEST_SEGMENT_BYTES ?? 128 * 1024);
const VALUE_BYTES = 1024;
const PARTITIONS = 2;
const RECORDS = Math.floor(TOTAL_BYTES / VALUE_BYTES / PARTITIONS) * PARTITIONS;
const PER_PARTITION = RECORDS / PARTITIONS;
const TOPIC = 'tiered-s3';
/** "Within a few segments": the active one plus at most a few rolled ones not yet past local retention. */
const LOCAL_SEGMENTS_MAX = 4;

describe.skipIf(s3Unavailable)('tiered storage on SeaweedFS', () => {
  let s3: S3Server;
  let b: TestBroker | undefined;
  beforeAll(async () => { s3 = await startS3Server(); }, 120_000);
  afterAll(async () => {
    await b?.destroy();
    await s3?.destroy();
  }, 60_000);

  it('keeps only the hot tail local, serves the whole log from both tiers and after a restart, and retention deletes remote objects', async () => {
    const prefix = `whole-log-${Date.now()}`;
    b = await startTieredBroker(s3, prefix);
    const topicConfigs = [
      { name: 'remote.storage.enable', value: 'true' },
      { name: 'segment.bytes', value: String(SEGMENT_BYTES) },
      { name: 'local.retention.ms', value: '1000' },
    ];
    const admin = kafkajs(b.bootstrap).admin();
    await admin.connect();
    try {
      await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS, configEntries: topicConfigs }] });
      const base = Date.now() - 3_600_000;
      const producer = kafkajs(b.bootstrap).producer();
      await producer.connect();
      let maxLocal = 0;
      const sampler = setInterval(() => {
        for (let p = 0; p < PARTITIONS; p++) maxLocal = Math.max(maxLocal, localSegments(b!, TOPIC, p).length);
      }, 250);
      try {
        await produceRange(producer, TOPIC, 0, RECORDS, PARTITIONS, base, VALUE_BYTES);
      } finally {
        await producer.disconnect();
      }

      // Uploads and local deletion settle: a few segments local, the rest only in the bucket.
      const handles = b.broker.partitions(TOPIC)!;
      await waitFor('local disk down to the hot tail', () => {
        for (let p = 0; p < PARTITIONS; p++) if (localSegments(b!, TOPIC, p).length > LOCAL_SEGMENTS_MAX) return false;
        return handles.every((h) => b!.broker.watermarks.localLogStartOffset(h.slot) > 0n);
      }, 90_000);
      clearInterval(sampler);
      const segmentsPerPartition = Math.ceil((PER_PARTITION * (VALUE_BYTES + 80)) / SEGMENT_BYTES);
      for (let p = 0; p < PARTITIONS; p++) {
        expect((await remoteSegments(s3, prefix, p)).length).toBeGreaterThanOrEqual(segmentsPerPartition - LOCAL_SEGMENTS_MAX);
        expect(localSegments(b, TOPIC, p)).not.toContain('00000000000000000000.log');
      }
      console.info(`tiered-s3: ${RECORDS} records, ${segmentsPerPartition} segments per partition, at most ${maxLocal} local while producing`);

      // ListOffsets across the tiers: earliest is remote, latest local; by timestamp in each tier.
      const localStart = Number(b.broker.watermarks.localLogStartOffset(handles[0]!.slot));
      const offsets = await admin.fetchTopicOffsets(TOPIC);
      for (const o of offsets) {
        expect(o.low).toBe('0');
        expect(o.high).toBe(String(PER_PARTITION));
      }
      // Partition p holds record j = p + PARTITIONS * offset, stamped base + j.
      const remoteOffset = Math.floor(localStart / 3);
      const localOffset = PER_PARTITION - 3;
      expect(remoteOffset).toBeLessThan(localStart);
      for (const target of [0, remoteOffset, localOffset]) {
        const byTime = await admin.fetchTopicOffsetsByTimestamp(TOPIC, base + target * PARTITIONS);
        for (const o of byTime) expect(`${o.partition}:${o.offset}`).toBe(`${o.partition}:${target}`);
      }

      await consumeAllAndCheck(b.bootstrap, TOPIC, PARTITIONS, RECORDS, 'first-read');

      // A restart with only the hot tail local serves the whole log.
      b = await b.restart();
      for (const h of b.broker.partitions(TOPIC)!) {
        expect(b.broker.watermarks.logStartOffset(h.slot)).toBe(0n);
        expect(b.broker.watermarks.localLogStartOffset(h.slot)).toBeGreaterThan(0n);
      }
      await consumeAllAndCheck(b.bootstrap, TOPIC, PARTITIONS, RECORDS, 'after-restart');
    } finally {
      await admin.disconnect();
    }

    // Retention over both tiers: keep about half of each partition; the older segments' objects
    // leave the bucket (all of them: log, indexes, manifest), and earliest moves up.
    const before = await remoteSegments(s3, prefix);
    const admin2 = kafkajs(b.bootstrap).admin();
    await admin2.connect();
    try {
      const keepBytes = Math.floor((PER_PARTITION * VALUE_BYTES) / 2);
      // AlterConfigs (not incremental) replaces the topic's whole config set.
      await admin2.alterConfigs({ validateOnly: false, resources: [{ type: ConfigResourceTypes.TOPIC, name: TOPIC, configEntries: [
        { name: 'remote.storage.enable', value: 'true' },
        { name: 'segment.bytes', value: String(SEGMENT_BYTES) },
        { name: 'local.retention.ms', value: '1000' },
        { name: 'retention.bytes', value: String(keepBytes) },
      ] }] });
      const handles = b.broker.partitions(TOPIC)!;
      await waitFor('retention raised the log start', () => handles.every((h) => b!.broker.watermarks.logStartOffset(h.slot) > 0n));
      await waitFor('the dropped segments\' objects deleted', async () => {
        const keys = [];
        const store = s3.store(prefix);
        try {
          for await (const o of store.list('')) keys.push(o.key);
        } finally {
          await store.close();
        }
        return !keys.some((k) => k.split('/').pop()!.startsWith('00000000000000000000.'));
      });
      const after = await remoteSegments(s3, prefix);
      expect(after.length).toBeLessThan(before.length);
      const offsets = await admin2.fetchTopicOffsets(TOPIC);
      for (const o of offsets) {
        const h = handles.find((x) => x.partition === o.partition)!;
        expect(o.low).toBe(String(b.broker.watermarks.logStartOffset(h.slot)));
        expect(Number(o.low)).toBeGreaterThan(0);
        expect(o.high).toBe(String(PER_PARTITION));
      }
    } finally {
      await admin2.disconnect();
    }
  }, 240_000);
});
