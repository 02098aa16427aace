// How close Kafka's quota rate (src/acceptor/quotas/: samples of quota.window.size.seconds, the
// oldest dropped after quota.window.num windows) holds a client that sends as fast as it is let
// to its quota, on a virtual clock: the average from the first byte over runs of several lengths,
// as a multiple of the quota, for several quota.window.num. A client bursts whenever its oldest
// sample expires, so short runs swing more with more samples.
// Run: node bench/quota-rate.ts [--request-bytes 8192] [--quota 200000]
import { parseArgs } from 'node:util';
import { ClusterMetadata } from '../src/metadata/cluster-metadata.ts';
import { ClientQuotas } from '../src/acceptor/quotas/client-quotas.ts';

const { values: args } = parseArgs({ options: { 'request-bytes': { type: 'string', default: '8192' }, quota: { type: 'string', default: '200000' } } });
const requestBytes = Number(args['request-bytes']);
const quota = Number(args.quota);
const runs = [6, 8, 10, 12, 15, 30, 60];

for (const samples of [2, 3, 5, 11]) {
  const cluster = new ClusterMetadata(1);
  cluster.apply({ type: 'client-quota', entity: { 'client-id': 'c' }, key: 'producer_byte_rate', value: quota });
  const quotas = new ClientQuotas({ store: { clientQuotas: cluster.clientQuotas, write: async () => undefined }, settings: { quotaWindowNum: samples, quotaWindowSizeSeconds: 1 } });
  const sent: [number, number][] = [];
  let total = 0;
  // Each request is sent 2 ms after the previous answer, or when its throttle time is over.
  for (let now = 0; now <= runs.at(-1)! * 1000;) {
    const throttleMs = quotas.record('produce', 'User:x', 'c', requestBytes, now);
    total += requestBytes;
    sent.push([now, total]);
    now += Math.max(throttleMs, 2);
  }
  const bytesBy = (ms: number) => sent.filter(([t]) => t <= ms).at(-1)![1];
  console.log(`quota.window.num=${String(samples).padStart(2)}: ` + runs.map((s) => `${s}s ${(bytesBy(s * 1000) / s / quota).toFixed(2)}×`).join('  '));
}
