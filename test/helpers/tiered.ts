// Shared pieces of the tiered-storage tests against a real S3 server: a broker wired to a
// SeaweedFS bucket (its own key prefix per test), producing with known timestamps, reading every
// record back, and counting segments on local disk and in the bucket.
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { expect } from 'vitest';
import type { Producer } from 'kafkajs';
import type { BrokerConfig } from '../../src/config.ts';
import { startBroker, type TestBroker } from './broker.ts';
import { kafkajs } from './kafkajs.ts';
import { waitFor as pollUntil } from './consume-all.ts';
import { freePortInRange, type S3Server } from './s3-server.ts';

export async function startTieredBroker(s3: S3Server, prefix: string, overrides: Partial<BrokerConfig> = {}): Promise<TestBroker> {
  return startBroker({
    port: await freePortInRange(),
    remoteStorageBucket: s3.bucket,
    remoteStorageEndpoint: s3.endpoint,
    remoteStorageRegion: 'us-east-1',
    remoteStorageAccessKeyId: s3.accessKeyId,
    remoteStorageSecretAccessKey: s3.secretAccessKey,
    remoteStoragePrefix: prefix,
    remoteLogManagerTaskIntervalMs: 200,
    retentionCheckMs: 300,
    ...overrides,
  });
}

/** Polls every 200 ms, for up to 60 s by default. */
export const waitFor = (what: string, check: () => boolean | Promise<boolean>, timeoutMs = 60_000) => pollUntil(what, check, timeoutMs, 200);

/** Record j goes to partition j % partitions with timestamp base + j, value `j:<padding>`. */
export function record(j: number, partitions: number, base: number, valueBytes: number) {
  const head = `${j}:`;
  return { partition: j % partitions, timestamp: String(base + j), value: head + 'v'.repeat(Math.max(0, valueBytes - head.length)) };
}

export async function produceRange(producer: Producer, topic: string, from: number, to: number, partitions: number, base: number, valueBytes: number, batch = 200): Promise<void> {
  for (let i = from; i < to; i += batch) {
    const messages = [];
    for (let j = i; j < Math.min(to, i + batch); j++) messages.push(record(j, partitions, base, valueBytes));
    await producer.send({ topic, acks: -1, messages });
  }
}

/**
 * Reads every partition from offset 0 with a fresh group and checks each record arrived exactly
 * once, in order: partition p holds records p, p + P, p + 2P, ... at offsets 0, 1, 2, ...
 */
export async function consumeAllAndCheck(bootstrap: string, topic: string, partitions: number, total: number, groupId: string): Promise<void> {
  const consumer = kafkajs(bootstrap).consumer({ groupId, maxWaitTimeInMs: 200, maxBytes: 8 * 1024 * 1024 });
  const next = new Array<number>(partitions).fill(0);
  const problems: string[] = [];
  let count = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ partition, message }) => {
        const offset = Number(message.offset);
        const j = Number(message.value!.toString('latin1', 0, 24).split(':')[0]);
        if (offset !== next[partition] || j !== partition + offset * partitions) {
          if (problems.length < 10) problems.push(`partition ${partition}: offset ${offset} (expected ${next[partition]}) holds record ${j}`);
        }
        next[partition] = offset + 1;
        count++;
      },
    });
    await waitFor(`${total} records consumed (have ${count})`, () => count >= total || problems.length > 0, 120_000);
    await new Promise((r) => setTimeout(r, 500)); // a duplicate would arrive now
  } finally {
    await consumer.disconnect();
  }
  expect(problems).toEqual([]);
  expect(count).toBe(total);
}

export function localSegments(b: TestBroker, topic: string, partition: number): string[] {
  return readdirSync(path.join(b.dataDir, `${topic}-${partition}`)).filter((f) => f.endsWith('.log')).sort();
}

/** Uploaded segments (their manifests, written last) in the bucket under this test's prefix. */
export async function remoteSegments(s3: S3Server, prefix: string, partition?: number): Promise<string[]> {
  const store = s3.store(prefix);
  try {
    const out: string[] = [];
    for await (const o of store.list('')) {
      if (!o.key.endsWith('.manifest.json')) continue;
      if (partition === undefined || o.key.split('/')[1] === String(partition)) out.push(o.key);
    }
    return out;
  } finally {
    await store.close();
  }
}
