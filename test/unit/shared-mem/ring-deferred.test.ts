// Deferred writes: invisible to the consumer until publishPending, then all visible at once, in order.
import { expect, test } from 'vitest';
import { createRingBuffer, RingConsumer, RingProducer } from '../../../src/shared-mem/ring.ts';

test('deferred writes are published together, in order, and count against the free space', () => {
  const buffer = createRingBuffer(1024);
  const producer = new RingProducer(buffer);
  const consumer = new RingConsumer(buffer);
  const before = producer.freeBytes();
  expect(producer.tryWritePartsDeferred([Buffer.from('ab'), Buffer.from('c')])).toBe(true);
  expect(producer.tryWritePartsDeferred([Buffer.from('defg')])).toBe(true);
  expect(consumer.hasData()).toBe(false);
  expect(producer.freeBytes()).toBeLessThan(before);
  producer.publishPending();
  const seen: string[] = [];
  consumer.drain((m) => seen.push(Buffer.from(m).toString()));
  expect(seen).toEqual(['abc', 'defg']);
  // Nothing pending: publishing again is a no-op.
  producer.publishPending();
  expect(consumer.hasData()).toBe(false);
});

test('a deferred write that does not fit is refused without publishing a partial frame', () => {
  const buffer = createRingBuffer(64);
  const producer = new RingProducer(buffer);
  const consumer = new RingConsumer(buffer);
  let written = 0;
  while (producer.tryWritePartsDeferred([Buffer.alloc(12, written)])) written++;
  expect(written).toBeGreaterThan(0);
  expect(consumer.hasData()).toBe(false);
  producer.publishPending();
  let n = 0;
  consumer.drain(() => { n++; });
  expect(n).toBe(written);
});
