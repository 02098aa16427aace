// The byte ring on one thread: framing, wrap-around, full-ring backpressure and index wrap at 2^32.
import { describe, expect, it } from 'vitest';
import {
  createRingBuffer, createShardRingBuffers, openAcceptorRings, openShardRings,
  RING_HEADER_BYTES, RING_READ_INDEX_BYTE_OFFSET, RING_WRITE_INDEX_BYTE_OFFSET, RingConsumer, RingProducer,
} from '../../../src/shared-mem/ring.ts';
import { fillMessage, matchesMessage, messageSizes, seededRandom } from './fixtures/messages.ts';

function ringOf(capacity: number): { producer: RingProducer; consumer: RingConsumer; buffer: SharedArrayBuffer } {
  const buffer = createRingBuffer(capacity);
  return { producer: new RingProducer(buffer), consumer: new RingConsumer(buffer), buffer };
}

function drainAll(consumer: RingConsumer): Uint8Array[] {
  const out: Uint8Array[] = [];
  consumer.drain((message) => out.push(message.slice()));
  return out;
}

describe('RingProducer / RingConsumer on one thread', () => {
  it('rejects capacities that are not powers of two', () => {
    expect(() => createRingBuffer(1000)).toThrow(RangeError);
    expect(() => createRingBuffer(32)).toThrow(RangeError);
    expect(createRingBuffer(1024).byteLength).toBe(RING_HEADER_BYTES + 1024);
  });

  it('wraps around with random sizes and keeps every byte (seeded)', () => {
    for (const seed of [1, 2, 3, 42, 1234]) {
      const { producer, consumer } = ringOf(256);
      const sizeForWrite = messageSizes(seed, 200);
      const sizeForRead = messageSizes(seed, 200);
      const random = seededRandom(seed + 99);
      let written = 0;
      let read = 0;
      let pending: Uint8Array | undefined;
      while (read < 5_000) {
        // Write a random number of messages, as many as fit, then drain a random number.
        const toWrite = Math.floor(random() * 4);
        for (let i = 0; i < toWrite; i++) {
          pending ??= fillMessage(new Uint8Array(sizeForWrite()), written);
          const useParts = written % 3 === 0 && pending.length > 2;
          const ok = useParts
            ? producer.tryWriteParts([pending.subarray(0, 1), pending.subarray(1, pending.length >> 1), new Uint8Array(0), pending.subarray(pending.length >> 1)])
            : producer.tryWrite(pending);
          if (!ok) break;
          written++;
          pending = undefined;
        }
        consumer.drain((message) => {
          expect(matchesMessage(message, read, sizeForRead())).toBe(true);
          read++;
        }, Math.floor(random() * 4));
        if (written === read) expect(consumer.hasData()).toBe(false);
      }
      expect(producer.freeBytes()).toBe(256 - producer.usedBytes());
    }
  });

  it('refuses a message when full and takes it once the consumer drains', () => {
    const { producer, consumer } = ringOf(64);
    const message = new Uint8Array(12).fill(7); // a 16-byte frame
    for (let i = 0; i < 4; i++) expect(producer.tryWrite(message)).toBe(true);
    expect(producer.freeBytes()).toBe(0);
    expect(producer.tryWrite(message)).toBe(false);
    expect(producer.tryWrite(new Uint8Array(0))).toBe(false);
    expect(consumer.drain(() => {}, 1)).toBe(1);
    expect(producer.freeBytes()).toBe(16);
    expect(producer.tryWrite(message)).toBe(true);
    expect(drainAll(consumer)).toHaveLength(4);
    expect(producer.freeBytes()).toBe(64);
  });

  it('beforeRelease runs after the last message with every view of the drain intact, including one that wrapped', () => {
    const { producer, consumer } = ringOf(64);
    const filler = new Uint8Array(20).fill(1); // a 24-byte frame
    expect(producer.tryWrite(filler)).toBe(true);
    expect(producer.tryWrite(filler)).toBe(true);
    expect(consumer.drain(() => {})).toBe(2);
    // The ring's cursor is at 48: a 20-byte message now wraps the end, the next one does not.
    const wrapping = new Uint8Array(20).fill(2);
    const plain = new Uint8Array(12).fill(3);
    expect(producer.tryWrite(wrapping)).toBe(true);
    expect(producer.tryWrite(plain)).toBe(true);
    const views: Uint8Array[] = [];
    let seenInBeforeRelease: number[][] = [];
    let freeDuring = -1;
    expect(consumer.drain((m) => views.push(m), Infinity, () => {
      seenInBeforeRelease = views.map((v) => [...v]);
      // The producer cannot have reused the space yet.
      freeDuring = producer.freeBytes();
    })).toBe(2);
    expect(seenInBeforeRelease).toEqual([[...wrapping], [...plain]]);
    expect(freeDuring).toBe(64 - 24 - 16);
    expect(producer.freeBytes()).toBe(64);
  });

  it('a message refused by onMessage (false) stays in the ring, first in the next drain; the ones before it are released', () => {
    const { producer, consumer } = ringOf(64);
    for (let i = 0; i < 3; i++) expect(producer.tryWrite(new Uint8Array(12).fill(i))).toBe(true); // 16-byte frames
    const seen: number[] = [];
    let released = -1;
    expect(consumer.drain((m) => {
      if (m[0] === 1) return false;
      seen.push(m[0]!);
      return undefined;
    }, Infinity, () => { released = seen.length; })).toBe(1);
    expect(seen).toEqual([0]);
    expect(released).toBe(1);
    // Only the first frame's space went back to the producer.
    expect(producer.freeBytes()).toBe(64 - 32);
    expect(drainAll(consumer).map((m) => m[0])).toEqual([1, 2]);
    expect(producer.freeBytes()).toBe(64);
  });

  it('refusing the first message hands out nothing, runs no beforeRelease and releases nothing', () => {
    const { producer, consumer } = ringOf(64);
    expect(producer.tryWrite(new Uint8Array(12).fill(9))).toBe(true);
    let ran = false;
    expect(consumer.drain(() => false, Infinity, () => { ran = true; })).toBe(0);
    expect(ran).toBe(false);
    expect(consumer.hasData()).toBe(true);
    expect(drainAll(consumer).map((m) => m[0])).toEqual([9]);
  });

  it('tryWriteBatch writes what fits, in order, and publishes it in one go', () => {
    const { producer, consumer } = ringOf(64);
    const messages = Array.from({ length: 6 }, (_, i) => fillMessage(new Uint8Array(8 + i), i)); // 12..16-byte frames
    expect(producer.tryWriteBatch(messages)).toBe(4); // 12 + 16 + 16 + 16 = 60 of 64 bytes
    expect(producer.tryWriteBatch(messages, 4)).toBe(0);
    const first = drainAll(consumer);
    expect(first.map((m, i) => matchesMessage(m, i, 8 + i))).toEqual([true, true, true, true]);
    expect(producer.tryWriteBatch(messages, 4)).toBe(2);
    expect(drainAll(consumer).map((m) => m.length)).toEqual([12, 13]);
    expect(producer.tryWriteBatch([])).toBe(0);
  });

  it('tryWriteBatch publishes the messages before one that can never fit, then throws', () => {
    const { producer, consumer } = ringOf(64);
    expect(() => producer.tryWriteBatch([Uint8Array.of(1), new Uint8Array(100), Uint8Array.of(3)])).toThrow(RangeError);
    expect(drainAll(consumer)).toEqual([Uint8Array.of(1)]);
  });

  it('takes a message of capacity - 4 bytes from any position, and throws for a larger one', () => {
    const { producer, consumer } = ringOf(64);
    for (let shift = 0; shift < 16; shift++) {
      expect(producer.tryWrite(new Uint8Array(shift * 4 % 60))).toBe(true);
      drainAll(consumer);
      const biggest = fillMessage(new Uint8Array(producer.maxMessageBytes), shift);
      expect(producer.tryWrite(biggest)).toBe(true);
      const [copy] = drainAll(consumer);
      expect(matchesMessage(copy!, shift, 60)).toBe(true);
    }
    expect(() => producer.tryWrite(new Uint8Array(61))).toThrow(RangeError);
    expect(() => producer.tryWriteParts([new Uint8Array(40), new Uint8Array(21)])).toThrow(RangeError);
  });

  it('keeps working when the byte counters wrap past 2^32', () => {
    const buffer = createRingBuffer(64);
    const header = new Int32Array(buffer, 0, RING_HEADER_BYTES / 4);
    header[RING_WRITE_INDEX_BYTE_OFFSET / 4] = -40; // 2^32 - 40
    header[RING_READ_INDEX_BYTE_OFFSET / 4] = -40;
    const producer = new RingProducer(buffer);
    const consumer = new RingConsumer(buffer);
    for (let sequence = 0; sequence < 200; sequence++) {
      expect(producer.tryWrite(fillMessage(new Uint8Array(sequence % 29), sequence))).toBe(true);
      expect(producer.tryWrite(fillMessage(new Uint8Array(3), sequence + 1))).toBe(true);
      const got = drainAll(consumer);
      expect(got).toHaveLength(2);
      expect(matchesMessage(got[0]!, sequence, sequence % 29)).toBe(true);
      expect(matchesMessage(got[1]!, sequence + 1, 3)).toBe(true);
    }
    expect(producer.usedBytes()).toBe(0);
  });

  it('read() returns an owned copy, null when empty', () => {
    const { producer, consumer } = ringOf(64);
    expect(consumer.read()).toBeNull();
    producer.tryWrite(Uint8Array.of(1, 2, 3));
    const copy = consumer.read()!;
    producer.tryWrite(Uint8Array.of(9, 9, 9));
    expect([...copy]).toEqual([1, 2, 3]);
    expect(consumer.read()).toEqual(Uint8Array.of(9, 9, 9));
  });

  it('counts the message a callback threw on as consumed, and releases the ones before it', () => {
    const { producer, consumer } = ringOf(64);
    for (let i = 0; i < 3; i++) producer.tryWrite(Uint8Array.of(i));
    const seen: number[] = [];
    expect(() => consumer.drain((message) => {
      seen.push(message[0]!);
      if (message[0] === 1) throw new Error('poison');
    })).toThrow('poison');
    expect(seen).toEqual([0, 1]);
    expect(drainAll(consumer).map((m) => m[0])).toEqual([2]);
    expect(producer.freeBytes()).toBe(64);
  });

  it('waitForDataAsync resolves at once when data is there and false on timeout', async () => {
    const { producer, consumer } = ringOf(64);
    expect(await consumer.waitForDataAsync(10)).toBe(false);
    producer.tryWrite(Uint8Array.of(1));
    expect(await consumer.waitForDataAsync(10_000)).toBe(true);
  });

  it('waitForSpaceAsync resolves when the consumer releases space in the same thread', async () => {
    const { producer, consumer } = ringOf(64);
    while (producer.tryWrite(new Uint8Array(12)));
    const waiting = producer.waitForSpaceAsync(12, 5_000);
    setTimeout(() => consumer.drain(() => {}, 1), 5);
    expect(await waiting).toBe(true);
    expect(await producer.waitForSpaceAsync(60, 10)).toBe(false);
  });

  it('opens the two ends of both shard rings from the same buffers', () => {
    const buffers = createShardRingBuffers(1024, 256);
    const acceptor = openAcceptorRings(buffers);
    const shard = openShardRings(buffers);
    expect(acceptor.requests.tryWrite(Uint8Array.of(1, 2))).toBe(true);
    expect(shard.requests.read()).toEqual(Uint8Array.of(1, 2));
    expect(shard.completions.tryWrite(Uint8Array.of(3))).toBe(true);
    expect(acceptor.completions.read()).toEqual(Uint8Array.of(3));
    expect(acceptor.requests.capacity).toBe(1024);
    expect(acceptor.completions.capacity).toBe(256);
  });
});
