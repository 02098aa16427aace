// The byte ring between real threads: order and bytes over a million messages, no lost wake-up
// for a consumer that sleeps between bursts, and a full ring that recovers through the space doorbell.
import { once } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import { createRingBuffer, RingConsumer, RingProducer } from '../../../src/shared-mem/ring.ts';
import { fillMessage, matchesMessage, messageSizes, seededRandom } from './fixtures/messages.ts';

const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.terminate()));
});

// Listens for the worker's one result message at once: a message posted before anyone listens
// is dropped, and the worker may finish while the test is still busy.
function startWorker<T>(fixture: string, workerData: unknown): Promise<T> {
  const worker = new Worker(new URL(`./fixtures/${fixture}`, import.meta.url), { workerData });
  workers.push(worker);
  return Promise.race([
    once(worker, 'message').then(([result]) => result as T),
    once(worker, 'error').then(([error]) => { throw error; }),
    once(worker, 'exit').then(([code]) => { throw new Error(`${fixture} exited (${code}) without a result`); }),
  ]);
}

interface ProduceOptions {
  count: number;
  seed: number;
  maxBytes: number;
  burstMessages?: number;
  maxPauseMs?: number;
}

// The acceptor's way of producing: never blocks, awaits the space doorbell when the ring is full.
async function produceFromMainThread(producer: RingProducer, options: ProduceOptions): Promise<{ spaceWaits: number; spaceTimeouts: number }> {
  const nextSize = messageSizes(options.seed, options.maxBytes);
  const pauseRandom = seededRandom(options.seed ^ 0x5eed);
  const scratch = new Uint8Array(options.maxBytes);
  let spaceWaits = 0;
  let spaceTimeouts = 0;
  for (let sequence = 0; sequence < options.count; sequence++) {
    const message = fillMessage(scratch.subarray(0, nextSize()), sequence);
    while (!producer.tryWrite(message)) {
      spaceWaits++;
      if (!(await producer.waitForSpaceAsync(message.byteLength, 2_000))) spaceTimeouts++;
    }
    if (options.burstMessages && (sequence + 1) % options.burstMessages === 0) {
      await sleep(pauseRandom() * (options.maxPauseMs ?? 0));
    }
  }
  return { spaceWaits, spaceTimeouts };
}

interface ConsumerReport { received: number; corrupt: number; waitTimeouts: number; sleeps: number; drains: number }

describe('ring between threads', () => {
  it('moves a million messages from the main thread to a shard worker in order and byte-exact', async () => {
    const ring = createRingBuffer(64 * 1024);
    const count = 1_000_000;
    const options = { count, seed: 7, maxBytes: 100 };
    const consumed = startWorker<ConsumerReport>('ring-consumer.ts', { ring, ...options, waitTimeoutMs: 2_000 });
    const started = performance.now();
    const [produced, report] = await Promise.all([
      produceFromMainThread(new RingProducer(ring), options),
      consumed,
    ]);
    const seconds = (performance.now() - started) / 1000;
    expect(report).toMatchObject({ received: count, corrupt: 0, waitTimeouts: 0 });
    expect(produced.spaceTimeouts).toBe(0);
    expect(seconds).toBeLessThan(10);
  });

  it('a main-thread consumer that sleeps between bursts sees every message (no lost wake-up)', async () => {
    const ring = createRingBuffer(4096);
    const count = 20_000;
    const options = { count, seed: 11, maxBytes: 300, burstMessages: 50, maxPauseMicros: 300 };
    const producedInWorker = startWorker<{ sent: number; spaceWaits: number; spaceTimeouts: number }>('ring-producer.ts', { ring, ...options });
    const consumer = new RingConsumer(ring);
    const nextSize = messageSizes(options.seed, options.maxBytes);
    let received = 0;
    let corrupt = 0;
    let sleeps = 0;
    let waitTimeouts = 0;
    while (received < count) {
      const handed = consumer.drain((message) => {
        if (!matchesMessage(message, received, nextSize())) corrupt++;
        received++;
      });
      if (handed > 0) continue;
      sleeps++;
      // A lost wake-up would show as a timeout here: the producer never waits this long.
      if (!(await consumer.waitForDataAsync(2_000))) waitTimeouts++;
    }
    const produced = await producedInWorker;
    expect({ received, corrupt, waitTimeouts }).toEqual({ received: count, corrupt: 0, waitTimeouts: 0 });
    expect(produced.spaceTimeouts).toBe(0);
    expect(sleeps).toBeGreaterThan(10); // the consumer really did fall asleep between bursts
  });

  it('a shard consumer blocked in waitForData sees every burst (no lost wake-up)', async () => {
    const ring = createRingBuffer(4096);
    const count = 5_000;
    const options = { count, seed: 13, maxBytes: 64, burstMessages: 25, maxPauseMs: 2 };
    const consumed = startWorker<ConsumerReport>('ring-consumer.ts', { ring, ...options, waitTimeoutMs: 2_000 });
    await produceFromMainThread(new RingProducer(ring), options);
    const report = await consumed;
    expect(report).toMatchObject({ received: count, corrupt: 0, waitTimeouts: 0 });
    expect(report.sleeps).toBeGreaterThan(10);
  });

  it('a full request ring refuses, then the space doorbell resumes the producer', async () => {
    const ring = createRingBuffer(1024);
    const count = 400;
    const options = { count, seed: 17, maxBytes: 200 };
    const consumed = startWorker<ConsumerReport>('ring-consumer.ts', { ring, ...options, waitTimeoutMs: 2_000, pauseAfterDrainMs: 1 });
    const produced = await produceFromMainThread(new RingProducer(ring), options);
    const report = await consumed;
    expect(report).toMatchObject({ received: count, corrupt: 0, waitTimeouts: 0 });
    expect(produced.spaceWaits).toBeGreaterThan(10);
    expect(produced.spaceTimeouts).toBe(0);
  });

  it('a shard producer blocked in waitForSpace resumes when the main thread drains', async () => {
    const ring = createRingBuffer(512);
    const count = 2_000;
    const options = { count, seed: 19, maxBytes: 120, burstMessages: 1_000_000, maxPauseMicros: 0 };
    const producedInWorker = startWorker<{ sent: number; spaceWaits: number; spaceTimeouts: number }>('ring-producer.ts', { ring, ...options });
    const consumer = new RingConsumer(ring);
    const nextSize = messageSizes(options.seed, options.maxBytes);
    let received = 0;
    let corrupt = 0;
    while (received < count) {
      if (consumer.drain((message) => {
        if (!matchesMessage(message, received, nextSize())) corrupt++;
        received++;
      }) === 0) await consumer.waitForDataAsync(2_000);
      await sleep(0); // a slow main thread: the worker fills the ring and must wait for space
    }
    const produced = await producedInWorker;
    expect({ received, corrupt }).toEqual({ received: count, corrupt: 0 });
    expect(produced.spaceWaits).toBeGreaterThan(10);
    expect(produced.spaceTimeouts).toBe(0);
  });
});
