// Per produce result, the cost of counting its bytes and records: prom-client's labelled inc (a
// label hash and check per counter, what the produce path did) against BrokerMetrics.producedTo's
// per-partition add (summed into the counters when they are read). Alternating rounds.
//   node bench/produce-many/partition-counters.ts [--partitions 1000] [--rounds 3]
import { BrokerMetrics } from '../../src/metrics.ts';

const arg = (name: string, fallback: number) => {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
};
const partitions = arg('partitions', 1000);
const rounds = arg('rounds', 3);
const results = 2_000_000;
const metrics = new BrokerMetrics();

function labelled(): number {
  const began = performance.now();
  for (let i = 0; i < results; i++) {
    const labels = { topic: 'bench', partition: String(i % partitions) };
    metrics.bytesIn.inc(labels, 16_000);
    metrics.recordsIn.inc(labels, 15);
  }
  return performance.now() - began;
}

async function summed(): Promise<number> {
  const began = performance.now();
  const counts = metrics.producedTo('bench');
  for (let i = 0; i < results; i++) counts.add(i % partitions, 16_000, 15);
  await metrics.bytesIn.get();
  return performance.now() - began;
}

for (let r = 1; r <= rounds; r++) {
  const a = labelled();
  const b = await summed();
  console.log(`round ${r}: ${partitions} partitions, ${results.toLocaleString('en-US')} results: labelled inc ${(a * 1e6 / results).toFixed(0)} ns/result, summed add ${(b * 1e6 / results).toFixed(0)} ns/result (${(a / b).toFixed(1)}x)`);
}
