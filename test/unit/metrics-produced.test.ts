// Appends are counted per partition on the produce path (BrokerMetrics.producedTo) and reach the
// per-partition counters whenever those are read: every read sees every append counted before it,
// once, and a counter object a handler holds keeps counting after a read.
import { expect, it } from 'vitest';
import { BrokerMetrics } from '../../src/metrics.ts';

async function values(metrics: BrokerMetrics, which: 'bytesIn' | 'recordsIn'): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const v of (await metrics[which].get()).values) out[`${v.labels.topic}/${v.labels.partition}`] = v.value;
  return out;
}

it('adds what was produced to the labelled counters when they are read, exactly once', async () => {
  const metrics = new BrokerMetrics();
  const orders = metrics.producedTo('orders');
  orders.add(0, 100, 2);
  orders.add(999, 50, 1);
  orders.add(0, 10, 1);
  metrics.producedTo('audit').add(3, 7, 7);
  expect(await values(metrics, 'bytesIn')).toEqual({ 'orders/0': 110, 'orders/999': 50, 'audit/3': 7 });
  expect(await values(metrics, 'recordsIn')).toEqual({ 'orders/0': 3, 'orders/999': 1, 'audit/3': 7 });
  // Held across the read (a handler's append still in flight) and looked up again: the same counter.
  expect(metrics.producedTo('orders')).toBe(orders);
  orders.add(999, 5, 1);
  orders.add(999, 0, 0);
  expect(await values(metrics, 'recordsIn')).toEqual({ 'orders/0': 3, 'orders/999': 2, 'audit/3': 7 });
  expect(await values(metrics, 'bytesIn')).toEqual({ 'orders/0': 110, 'orders/999': 55, 'audit/3': 7 });
  expect(await metrics.registry.metrics()).toMatch(/highwater_partition_bytes_in_total\{topic="orders",partition="999"\} 55/);
});
