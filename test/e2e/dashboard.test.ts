// The dashboard in headless Chromium during a produce run: the throughput chart draws, the
// partition table shows the high watermark that ListOffsets returns, and a consumer group's lag
// appears and falls to 0 once a consumer catches up. Saves a screenshot to
// test-artifacts/. Skips, saying why, where /usr/bin/chromium is not installed.
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { startBroker, type TestBroker } from '../helpers/broker.ts';
import { KafkaConnection } from '../../src/client/kafka-connection.ts';
import { ApiKey } from '../../src/protocol/generated/index.ts';
import { buildRecordBatch } from '../../src/protocol/records.ts';
import type { ProduceResponse } from '../../src/protocol/generated/produce-response.ts';
import type { ListOffsetsResponse } from '../../src/protocol/generated/list-offsets-response.ts';
import type { CreateTopicsResponse } from '../../src/protocol/generated/create-topics-response.ts';
import type { OffsetCommitResponse } from '../../src/protocol/generated/offset-commit-response.ts';
import { kafkajs } from '../helpers/kafkajs.ts';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const ARTIFACTS = path.resolve(import.meta.dirname, '../../test-artifacts');
const TOPIC = 'dashboard-demo';
const PARTITIONS = 3;

/** The little of the DOM the in-page checks use (the project's tsconfig has no DOM lib). */
interface PageCanvas { width: number; height: number; getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } } }
interface PageDocument {
  getElementById(id: string): { dataset: Record<string, string | undefined> } | null;
  querySelector(selector: string): { textContent: string | null } | null;
}
if (!haveChromium) console.warn(`SKIP dashboard browser test: ${CHROMIUM} is missing (apt-get install -y chromium)`);

describe.skipIf(!haveChromium)(`dashboard in headless Chromium (needs ${CHROMIUM})`, () => {
  let tb: TestBroker;
  let browser: Browser;
  let c: KafkaConnection;
  beforeAll(async () => {
    tb = await startBroker({ httpPort: 0 });
    c = await KafkaConnection.connect('127.0.0.1', tb.port);
    const created = await c.request<CreateTopicsResponse>(ApiKey.CreateTopics, c.version(ApiKey.CreateTopics), {
      topics: [{ name: TOPIC, numPartitions: PARTITIONS, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 10_000,
    });
    expect(created.topics[0]!.errorCode).toBe(0);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
    });
  });
  afterAll(async () => {
    await browser?.close();
    c?.close();
    await tb?.destroy();
  });

  test('throughput chart draws, the partition table shows the HWM ListOffsets returns, group lag falls to 0', async () => {
    const page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    const pageErrors: string[] = [];
    page.on('pageerror', (err) => pageErrors.push(err.message));
    await page.goto(`http://127.0.0.1:${tb.broker.httpPort}/`);
    await page.waitForSelector('#status.ok');

    // Produce for a few seconds (bounded) so the once-a-second sampler sees traffic in several intervals.
    let producing = true;
    const producer = (async () => {
      let round = 0;
      while (producing) {
        await Promise.all(Array.from({ length: PARTITIONS }, (_, partition) => c.request<ProduceResponse>(ApiKey.Produce, c.version(ApiKey.Produce), {
          acks: 1, timeoutMs: 10_000, transactionalId: null,
          topicData: [{ name: TOPIC, partitionData: [{ index: partition, records: buildRecordBatch({ baseTimestamp: BigInt(Date.now()), records: Array.from({ length: 20 + partition }, (_, i) => ({ key: null, value: Buffer.alloc(200, i + round) })) }) }] }],
        })));
        round++;
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    try {
      // The chart has the topic's series and has seen bytes flow in.
      await page.waitForFunction((topic) => {
        const host = (globalThis as unknown as { document: PageDocument }).document.getElementById('throughput');
        return host !== null && (host.dataset.topics ?? '').split(',').includes(topic) && Number(host.dataset.lastBytesIn) > 0 && Number(host.dataset.samples) >= 3;
      }, TOPIC, { timeout: 15_000 });
    } finally {
      producing = false;
      await producer;
    }

    // The series line is on the canvas: pixels in the first series' colour (#2563eb).
    const seriesPixels = await page.evaluate(() => {
      const canvas = (globalThis as unknown as { document: PageDocument }).document.querySelector('#throughput canvas') as unknown as PageCanvas | null;
      if (!canvas) return -1;
      const { data } = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height);
      let n = 0;
      for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i]! - 0x25) < 24 && Math.abs(data[i + 1]! - 0x63) < 24 && Math.abs(data[i + 2]! - 0xeb) < 24 && data[i + 3]! > 200) n++;
      return n;
    });
    expect(seriesPixels).toBeGreaterThan(50);

    // Once produce has stopped, the table settles on the HWM that ListOffsets reports.
    const offsets = await c.request<ListOffsetsResponse>(ApiKey.ListOffsets, c.version(ApiKey.ListOffsets), {
      replicaId: -1, isolationLevel: 0, topics: [{ name: TOPIC, partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ partitionIndex: p, timestamp: -1n, currentLeaderEpoch: -1 })) }],
    });
    const expected = Object.fromEntries(offsets.topics[0]!.partitions.map((p) => [String(p.partitionIndex), String(p.offset)]));
    for (const value of Object.values(expected)) expect(BigInt(value)).toBeGreaterThan(0n);
    await page.waitForFunction(({ topic, want }) => Object.entries(want).every(([partition, hwm]) =>
      (globalThis as unknown as { document: PageDocument }).document.querySelector(`#partitions tr[data-topic="${topic}"][data-partition="${partition}"] .hwm`)?.textContent === hwm), { topic: TOPIC, want: expected }, { timeout: 10_000 });

    // A consumer group's lag appears, then falls to 0 once a consumer catches up. The group first
    // commits offset 0 everywhere (so its lag is the whole topic), then a KafkaJS member of the same
    // group reads everything from there and commits.
    const GROUP = 'dashboard-readers';
    const committed = await c.request<OffsetCommitResponse>(ApiKey.OffsetCommit, c.version(ApiKey.OffsetCommit), {
      groupId: GROUP, generationIdOrMemberEpoch: -1, memberId: '', groupInstanceId: null, retentionTimeMs: -1,
      topics: [{ name: TOPIC, partitions: Array.from({ length: PARTITIONS }, (_, p) => ({ partitionIndex: p, committedOffset: 0n, committedLeaderEpoch: -1, committedMetadata: '' })) }],
    });
    expect(committed.topics[0]!.partitions.every((p) => p.errorCode === 0)).toBe(true);
    const totalHwm = Object.values(expected).reduce((n, v) => n + BigInt(v), 0n);
    const groupLag = (want: string) => page.waitForFunction(({ group, lag }) => {
      const el = (globalThis as unknown as { document: PageDocument }).document.querySelector(`#groups [data-group="${group}"]`) as unknown as { dataset: Record<string, string | undefined> } | null;
      return el?.dataset.totalLag === lag;
    }, { group: GROUP, lag: want }, { timeout: 15_000 });
    await groupLag(String(totalHwm));
    const consumer = kafkajs(`127.0.0.1:${tb.port}`).consumer({ groupId: GROUP, sessionTimeout: 6000, heartbeatInterval: 500 });
    await consumer.connect();
    await consumer.subscribe({ topic: TOPIC });
    let read = 0n;
    await consumer.run({ autoCommitInterval: 100, eachMessage: async () => { read += 1n; } });
    try {
      await groupLag('0');
      expect(read).toBe(totalHwm);
    } finally {
      await consumer.disconnect();
    }

    const shardRows = await page.locator('#shards tbody tr').count();
    expect(shardRows).toBe(tb.config.shards);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    expect(pageErrors).toEqual([]);
    await page.close();
  });
});
