// The growable request ring (ring-layout.ts, layout version 2): it doubles only for a message larger
// than it, only while empty, never past its maximum; both ends follow the capacity word, on one
// thread and between threads.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { afterEach, describe, expect, it } from 'vitest';
import {
  RING_CAPACITY_BYTE_OFFSET, RING_HEADER_BYTES, RING_READ_INDEX_BYTE_OFFSET, RING_VERSION_BYTE_OFFSET, RING_WRITE_INDEX_BYTE_OFFSET,
  RingConsumer, RingProducer, createRingBuffer, createShardRingBuffers, openAcceptorRings, openShardRings,
} from '../../../src/shared-mem/ring.ts';
import { fillMessage, matchesMessage, messageSizes, seededRandom } from './fixtures/messages.ts';

function growableRing(initial: number, max: number): { producer: RingProducer; consumer: RingConsumer; buffer: SharedArrayBuffer } {
  const buffer = createRingBuffer(initial, max);
  return { producer: new RingProducer(buffer), consumer: new RingConsumer(buffer), buffer };
}

function capacityWord(buffer: SharedArrayBuffer): number {
  return new Int32Array(buffer, 0, RING_HEADER_BYTES / 4)[RING_CAPACITY_BYTE_OFFSET / 4]!;
}

describe('growable ring', () => {
  it('starts at its initial capacity, reserves its maximum, and writes version and capacity words', () => {
    const { producer, consumer, buffer } = growableRing(1024, 64 * 1024);
    expect(buffer.growable).toBe(true);
    expect(buffer.byteLength).toBe(RING_HEADER_BYTES + 1024);
    expect(buffer.maxByteLength).toBe(RING_HEADER_BYTES + 64 * 1024);
    expect(new Int32Array(buffer, 0, RING_HEADER_BYTES / 4)[RING_VERSION_BYTE_OFFSET / 4]).toBe(2);
    expect(capacityWord(buffer)).toBe(1024);
    expect([producer.capacity, producer.maxCapacity, consumer.capacity, consumer.maxCapacity]).toEqual([1024, 65536, 1024, 65536]);
    expect(producer.maxMessageBytes).toBe(65536 - 4);
    // A ring made without a maximum cannot grow.
    const fixed = createRingBuffer(1024);
    expect(fixed.growable).toBe(false);
    expect(new RingProducer(fixed).maxCapacity).toBe(1024);
  });

  it('rejects a maximum below the initial capacity or not a power of two, and a buffer of another layout version', () => {
    expect(() => createRingBuffer(2048, 1024)).toThrow(RangeError);
    expect(() => createRingBuffer(1024, 3000)).toThrow(RangeError);
    const buffer = createRingBuffer(1024);
    new Int32Array(buffer, 0, RING_HEADER_BYTES / 4)[RING_VERSION_BYTE_OFFSET / 4] = 1;
    expect(() => new RingConsumer(buffer)).toThrow(/layout version 1/);
  });

  it('grows an empty ring to the smallest power of two that holds the message, and the consumer reads it whole', () => {
    const { producer, consumer, buffer } = growableRing(1024, 64 * 1024);
    const grows: Array<[number, number]> = [];
    producer.onGrow = (from, to) => grows.push([from, to]);
    expect(producer.tryWrite(fillMessage(new Uint8Array(100), 1))).toBe(true);
    expect(grows).toEqual([]);
    consumer.drain(() => {});
    expect(producer.needsGrowth(5000)).toBe(true);
    expect(producer.tryWrite(fillMessage(new Uint8Array(5000), 2))).toBe(true);
    expect(grows).toEqual([[1024, 8192]]);
    expect(producer.capacity).toBe(8192);
    expect(capacityWord(buffer)).toBe(8192);
    expect(buffer.byteLength).toBe(RING_HEADER_BYTES + 8192);
    const got: Uint8Array[] = [];
    consumer.drain((m) => got.push(m.slice()));
    expect(consumer.capacity).toBe(8192);
    expect(got).toHaveLength(1);
    expect(matchesMessage(got[0]!, 2, 5000)).toBe(true);
    // A frame of exactly the capacity fits without a grow; one byte more doubles it.
    expect(producer.tryWrite(new Uint8Array(8192 - 4))).toBe(true);
    consumer.drain(() => {});
    expect(producer.capacity).toBe(8192);
    expect(producer.tryWrite(new Uint8Array(8192 - 3))).toBe(true);
    expect(producer.capacity).toBe(16384);
  });

  it('does not grow while the ring holds a frame: the big message waits, and goes in once the ring drains', () => {
    const { producer, consumer } = growableRing(1024, 16 * 1024);
    expect(producer.tryWrite(fillMessage(new Uint8Array(10), 1))).toBe(true);
    const big = fillMessage(new Uint8Array(3000), 2);
    expect(producer.tryWrite(big)).toBe(false);
    expect(producer.tryWriteParts([big.subarray(0, 100), big.subarray(100)])).toBe(false);
    expect(producer.capacity).toBe(1024);
    const seen: number[] = [];
    consumer.drain((m) => seen.push(m.byteLength));
    expect(producer.tryWriteParts([big.subarray(0, 100), big.subarray(100)])).toBe(true);
    expect(producer.capacity).toBe(4096);
    consumer.drain((m) => {
      seen.push(m.byteLength);
      expect(matchesMessage(m, 2, 3000)).toBe(true);
    });
    expect(seen).toEqual([10, 3000]);
  });

  it('never grows for a full ring of small messages, nor past its maximum', async () => {
    const { producer } = growableRing(1024, 4096);
    let written = 0;
    while (producer.tryWrite(new Uint8Array(60))) written++;
    expect(written).toBe(1024 / 64);
    expect(producer.capacity).toBe(1024);
    expect(() => producer.tryWrite(new Uint8Array(4096 - 3))).toThrow(RangeError);
    await expect(producer.waitForSpaceAsync(4096 - 3, 10)).rejects.toThrow(RangeError);
  });

  it('grows at the start of a batch, never in the middle of one', () => {
    const { producer, consumer } = growableRing(1024, 16 * 1024);
    const messages = [new Uint8Array(2000), new Uint8Array(10), new Uint8Array(5000)];
    // 2,004 bytes of frame: 2 KiB, which the 16-byte frame behind it still fits; the third waits.
    expect(producer.tryWriteBatch(messages)).toBe(2);
    expect(producer.capacity).toBe(2048);
    const lengths: number[] = [];
    consumer.drain((m) => lengths.push(m.byteLength));
    expect(producer.tryWriteBatch(messages, 2)).toBe(1);
    expect(producer.capacity).toBe(8192);
    consumer.drain((m) => lengths.push(m.byteLength));
    expect(lengths).toEqual([2000, 10, 5000]);
  });

  it('waitForSpaceAsync for a message larger than the ring resolves once the consumer empties it, grown', async () => {
    const { producer, consumer } = growableRing(1024, 16 * 1024);
    expect(producer.tryWrite(new Uint8Array(500))).toBe(true);
    const waiting = producer.waitForSpaceAsync(6000, 5_000);
    setTimeout(() => consumer.drain(() => {}), 5);
    expect(await waiting).toBe(true);
    expect(producer.capacity).toBe(8192);
    expect(producer.tryWrite(new Uint8Array(6000))).toBe(true);
  });

  it('keeps every byte across grows at any index position, counters wrapping past 2^32 (seeded)', () => {
    for (const seed of [1, 5, 77]) {
      const buffer = createRingBuffer(64, 8192);
      const header = new Int32Array(buffer, 0, RING_HEADER_BYTES / 4);
      const start = -1000 - 4 * seed; // 2^32 - ...: positions mid-ring, counters wrap during the run
      header[RING_WRITE_INDEX_BYTE_OFFSET / 4] = start;
      header[RING_READ_INDEX_BYTE_OFFSET / 4] = start;
      const producer = new RingProducer(buffer);
      const consumer = new RingConsumer(buffer);
      const random = seededRandom(seed);
      // Mostly small messages, sometimes one larger than anything so far: grows happen mid-stream.
      const sizes: number[] = Array.from({ length: 3000 }, (_, i) => (random() < 0.01 ? Math.min(8000, 40 + i * 3) : Math.floor(random() * 50)));
      let written = 0;
      let read = 0;
      while (read < sizes.length) {
        const burst = Math.floor(random() * 5);
        for (let i = 0; i < burst && written < sizes.length; i++) {
          if (!producer.tryWrite(fillMessage(new Uint8Array(sizes[written]!), written))) break;
          written++;
        }
        consumer.drain((m) => {
          expect(matchesMessage(m, read, sizes[read]!)).toBe(true);
          read++;
        }, Math.floor(random() * 4));
      }
      expect(producer.capacity).toBe(8192);
      expect(consumer.capacity).toBe(8192);
      expect(producer.usedBytes()).toBe(0);
    }
  });

  it('the shard request ring grows from its initial size; the completion ring does not', () => {
    const buffers = createShardRingBuffers(64 * 1024, 1024, 4096);
    const acceptor = openAcceptorRings(buffers);
    const shard = openShardRings(buffers);
    expect([acceptor.requests.capacity, acceptor.requests.maxCapacity]).toEqual([4096, 65536]);
    expect([acceptor.completions.capacity, acceptor.completions.maxCapacity]).toEqual([1024, 1024]);
    expect(acceptor.requests.tryWrite(fillMessage(new Uint8Array(20_000), 3))).toBe(true);
    const got = shard.requests.read()!;
    expect(matchesMessage(got, 3, 20_000)).toBe(true);
    expect(shard.requests.capacity).toBe(32 * 1024);
    // An initial size above the maximum is clamped to it.
    expect(openAcceptorRings(createShardRingBuffers(8192, 1024, 65536)).requests.capacity).toBe(8192);
  });
});

const workers: Worker[] = [];
afterEach(async () => {
  await Promise.all(workers.splice(0).map((worker) => worker.terminate()));
});

describe('growable ring between threads', () => {
  it('a shard-thread consumer follows grows made by the main thread, byte-exact', async () => {
    const ring = createRingBuffer(1024, 64 * 1024);
    const options = { count: 20_000, seed: 21, maxBytes: 40_000 };
    const worker = new Worker(new URL('./fixtures/ring-consumer.ts', import.meta.url), { workerData: { ring, ...options, waitTimeoutMs: 2_000 } });
    workers.push(worker);
    const report = Promise.race([
      once(worker, 'message').then(([r]) => r as { received: number; corrupt: number; waitTimeouts: number }),
      once(worker, 'error').then(([e]) => { throw e; }),
    ]);
    const producer = new RingProducer(ring);
    const grows: number[] = [];
    producer.onGrow = (_from, to) => grows.push(to);
    const nextSize = messageSizes(options.seed, options.maxBytes);
    for (let sequence = 0; sequence < options.count; sequence++) {
      const message = fillMessage(new Uint8Array(nextSize()), sequence);
      while (!producer.tryWrite(message)) await producer.waitForSpaceAsync(message.byteLength, 2_000);
    }
    expect(await report).toMatchObject({ received: options.count, corrupt: 0, waitTimeouts: 0 });
    expect(grows.length).toBeGreaterThan(0);
    expect(grows.at(-1)).toBe(64 * 1024);
  });
});
