// Issue 15 defect 2: 20 connections that each announced a 99 MiB frame and sent 50 MiB of it held
// about 1 GB of RSS, still held 40 s after they closed; fuzzed frames grew RSS for good. Now the
// bytes of all partial and queued requests are bounded (queued.max.request.bytes), frame memory
// grows as bytes arrive, and a closed connection's memory goes back at once. Scaled down here (20 ×
// 25 MiB) so the test stays bounded; the broker is a child process so its RSS is its own.
import { rmSync } from 'node:fs';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { tempDataDir } from '../helpers/broker.ts';
import { startProcessBroker, type ProcessBroker } from '../helpers/process-broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import { MiB, connect, eventually, fuzzFrames, oversizedFrames, residentBytes, sendAndWaitClose } from './issue15-attack-clients.ts';

const dataDir = tempDataDir();
const QUEUED_MAX = 128 * MiB;
let broker: ProcessBroker;

beforeAll(async () => {
  broker = await startProcessBroker(dataDir, ['--queued-max-request-bytes', String(QUEUED_MAX), '--shards', '1']);
});
afterAll(async () => {
  await broker?.kill('SIGKILL');
  rmSync(dataDir, { recursive: true, force: true });
});

/** The broker still answers real clients: a topic created, a record produced and its offset listed. */
async function stillServes(topic: string): Promise<void> {
  const kafka = kafkajs(broker.bootstrap, { retry: { retries: 2 } });
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({ topics: [{ topic, numPartitions: 2 }] });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic, acks: -1, messages: [{ partition: 1, value: 'still here' }] });
    await producer.disconnect();
    const offsets = await admin.fetchTopicOffsets(topic);
    expect(offsets.find((o) => o.partition === 1)?.high).toBe('1');
  } finally {
    await admin.disconnect();
  }
}

test('the oversized-frame attack is bounded while it lasts and its memory comes back after', async () => {
  await stillServes('warm-up');
  const pid = broker.child.pid!;
  const baseline = residentBytes(pid);

  const sockets = await Promise.all(Array.from({ length: 20 }, () => connect(broker.port)));
  const sent = await oversizedFrames(sockets, 99 * MiB, 25 * MiB);
  const during = residentBytes(pid);
  // Some connections were stopped: reading them would pass the bound.
  expect(sent.filter((n) => n < 25 * MiB).length).toBeGreaterThan(0);
  // Reservations are admitted while the budget is not spent, so it can be passed by one frame;
  // what is resident is what arrived for the admitted frames (allocated as bytes arrive).
  expect(during - baseline).toBeLessThan(QUEUED_MAX + 100 * MiB);

  for (const s of sockets) s.destroy();
  const back = await eventually(() => residentBytes(pid) - baseline < 50 * MiB);
  expect(back, `RSS ${Math.round(residentBytes(pid) / MiB)} MiB against a baseline of ${Math.round(baseline / MiB)} MiB`).toBe(true);
  await stillServes('after-attack');
}, 120_000);

test('fuzzed frames over many connections do not leave RSS grown', async () => {
  const pid = broker.child.pid!;
  const baseline = residentBytes(pid);
  // 40 rounds of 25 connections, 200 fuzzed frames each: 200,000 frames, bounded in count.
  for (let round = 0; round < 40; round++) {
    await Promise.all(Array.from({ length: 25 }, (_, i) => sendAndWaitClose(broker.port, fuzzFrames(round * 100 + i + 1, 200), 3000)));
  }
  const back = await eventually(() => residentBytes(pid) - baseline < 50 * MiB);
  expect(back, `RSS ${Math.round(residentBytes(pid) / MiB)} MiB against a baseline of ${Math.round(baseline / MiB)} MiB`).toBe(true);
  await stillServes('after-fuzz');
}, 180_000);
