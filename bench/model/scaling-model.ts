// A model of Highwater's throughput on machines with more cores than this one (issue 18, "Scaling
// past the main thread"): from CPU seconds per GiB measured per thread role here
// (bench/memory/probe.ts), it prints the throughput each core count allows with one main thread
// (today's shape) and with N network threads sharing the watermark table and shard rings
// (bench/model/reuseport.ts measures what such a split costs). It computes; it runs nothing.
//
// Usage: node bench/model/scaling-model.ts [--probe results.json [--variant base]] [--cores 2,8,16]
//          [--usable 0.85] [--handoff 0.0] [--json]
//   --probe    take the inputs from a probe.ts --json file (workloads w1, w2, w5; the mean over rounds)
//   --usable   the share of a core one thread can really use (GC pauses, scheduling): default 0.85
//   --handoff  extra network-thread CPU seconds per GiB that a split into N threads adds (default
//              0.12: reuseport.ts, acceptor CPU/GiB with 2 acceptor threads minus with 1)
//
// The model, per GiB produced, with k GiB fetched for each GiB produced (k = 0: produce only; the
// catch-up row is fetch only):
//   network work  W_net = main_produce + k * main_fetch   (decode, route, encode, socket I/O)
//   shard work    W_sh  = shard_produce                   (validate, write, fsync, publish)
//   other work    W_o   = pool + GC helpers, for both     (preads, fsyncs; concurrent marking)
//   throughput P is the largest value meeting all of:
//     one main thread:    P * W_net          <= usable           (it cannot be split)
//     N network threads:  P * (W_net + h)/N  <= usable           (connections spread evenly)
//     S shards:           P * W_sh / S       <= usable           (partitions spread evenly)
//     all cores:          P * (W_net (+h) + W_sh + W_o) <= cores * usable
//   with the threads the broker would start: 1 main + (cores - 1) shards today; for N network
//   threads, the N and S = cores - N that give the most.
// Assumptions: the per-GiB costs stay constant with more cores (no lock or cache-line contention
// beyond what the rings already have; memory bandwidth is not the limit: at 16 cores and ~3 GiB/s
// of produce + fetch it is far below a server's); enough partitions and connections to keep every
// shard and network thread busy; the client machines are not the limit.
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';

const { values: flags } = parseArgs({
  options: {
    probe: { type: 'string' },
    variant: { type: 'string', default: 'base' },
    cores: { type: 'string', default: '2,8,16' },
    usable: { type: 'string', default: '0.85' },
    handoff: { type: 'string', default: '0.12' },
    json: { type: 'boolean', default: false },
  },
});

/** CPU seconds per GiB moved, by thread role. */
interface Costs { main: number; shard: number; other: number }
interface Inputs { produceAcks1: Costs; produceAcksAll: Costs; fetch: Costs; source: string }

// Measured on this machine (bench/memory/probe.ts --workloads w1,w2,w5,p1,pall,c1, --shards 1
// --fsync never, 1 KiB records, 8 partitions, load average 6; docs/notes/scaling-model.md has the
// run); replaced by --probe. "other" is V8's platform threads (GC helpers) and libuv's pool.
const MEASURED: Inputs = {
  produceAcks1: { main: 1.34, shard: 2.17, other: 0.10 },
  produceAcksAll: { main: 1.32, shard: 2.49, other: 0.04 },
  fetch: { main: 0.64, shard: 0, other: 1.33 },
  source: 'bench/memory/probe.ts, our generator, 2026-12-02 (defaults in bench/model/scaling-model.ts)',
};

interface ProbeFigure { variant: string; workload: string; cpuSecondsPerGiB: Record<string, number> }

function fromProbe(file: string, variant: string): Inputs {
  const figures = (JSON.parse(readFileSync(file, 'utf8')) as { figures: ProbeFigure[] }).figures.filter((f) => f.variant === variant);
  const costs = (workload: string): Costs => {
    const runs = figures.filter((f) => f.workload === workload);
    if (runs.length === 0) throw new Error(`${file} has no ${workload} run of variant ${variant}`);
    const mean = (pick: (c: Record<string, number>) => number) => runs.reduce((a, f) => a + pick(f.cpuSecondsPerGiB), 0) / runs.length;
    const main = mean((c) => c.main ?? 0);
    const shard = mean((c) => Object.entries(c).filter(([k]) => k.startsWith('highwater-shard')).reduce((a, [, s]) => a + s, 0));
    const all = mean((c) => Object.values(c).reduce((a, s) => a + s, 0));
    return { main, shard, other: all - main - shard };
  };
  return { produceAcks1: costs('w1'), produceAcksAll: costs('w2'), fetch: costs('w5'), source: `${file}, variant ${variant}` };
}

const inputs = flags.probe ? fromProbe(flags.probe, flags.variant) : MEASURED;
const usable = Number(flags.usable);
const handoff = Number(flags.handoff);
const coreCounts = flags.cores.split(',').map(Number);

interface Mix { name: string; produce: Costs | null; fanOut: number }
const mixes: Mix[] = [
  { name: 'produce acks=1', produce: inputs.produceAcks1, fanOut: 0 },
  { name: 'produce acks=all', produce: inputs.produceAcksAll, fanOut: 0 },
  { name: 'catch-up fetch only', produce: null, fanOut: 1 },
  { name: 'acks=1 + 1 consumer (1:1)', produce: inputs.produceAcks1, fanOut: 1 },
  { name: 'acks=1 + 3 consumers (1:3)', produce: inputs.produceAcks1, fanOut: 3 },
];

/** Work per GiB produced (per GiB fetched for a fetch-only mix), by thread kind. */
function work(mix: Mix): { net: number; shard: number; other: number } {
  const p = mix.produce ?? { main: 0, shard: 0, other: 0 };
  return { net: p.main + mix.fanOut * inputs.fetch.main, shard: p.shard, other: p.other + mix.fanOut * inputs.fetch.other };
}

interface Limit { gibPerSec: number; bound: string; networkThreads: number; shards: number }

/** The throughput of one thread split: the tightest of the per-thread and whole-machine bounds. */
function throughput(w: { net: number; shard: number; other: number }, cores: number, networkThreads: number, shards: number, h: number): Limit {
  const netWork = w.net + (networkThreads > 1 ? h : 0);
  const bounds: [number, string][] = [
    [(networkThreads * usable) / netWork, networkThreads === 1 ? 'main thread' : 'network threads'],
    [w.shard > 0 ? (shards * usable) / w.shard : Infinity, 'shards'],
    [(cores * usable) / (netWork + w.shard + w.other), 'all cores'],
  ];
  bounds.sort((a, b) => a[0] - b[0]);
  return { gibPerSec: bounds[0]![0], bound: bounds[0]![1], networkThreads, shards };
}

function best(w: { net: number; shard: number; other: number }, cores: number): Limit {
  let top: Limit | null = null;
  for (let n = 1; n < Math.max(2, cores); n++) {
    const t = throughput(w, cores, n, Math.max(1, cores - n), handoff);
    if (top === null || t.gibPerSec > top.gibPerSec * 1.001) top = t;
  }
  return top!;
}

const rows = [];
for (const mix of mixes) {
  const w = work(mix);
  for (const cores of coreCounts) {
    const today = throughput(w, cores, 1, Math.max(1, cores - 1), 0);
    const split = best(w, cores);
    rows.push({ mix: mix.name, cores, today, split });
  }
}

if (flags.json) {
  console.log(JSON.stringify({ inputs, usable, handoff, rows }, null, 2));
} else {
  const mb = (g: number) => Math.round(g * 1024).toLocaleString('en-US');
  console.log(`inputs (CPU s per GiB, by thread role) from ${inputs.source}:`);
  for (const [k, c] of Object.entries(inputs).filter(([k]) => k !== 'source')) {
    const costs = c as Costs;
    console.log(`  ${k.padEnd(15)} main ${costs.main.toFixed(2)}, shard ${costs.shard.toFixed(2)}, other (libuv pool, GC helpers) ${costs.other.toFixed(2)}`);
  }
  console.log(`usable share of a core per thread ${usable}; split overhead ${handoff} s/GiB on the network threads\n`);
  console.log('| workload (MiB/s are of produce; fetch-only: of fetch) | cores | 1 main + shards | bound | N network threads + shards | N / S | bound | gain |');
  console.log('|---|---|---|---|---|---|---|---|');
  for (const r of rows) {
    console.log(`| ${r.mix} | ${r.cores} | ${mb(r.today.gibPerSec)} MiB/s | ${r.today.bound} | ${mb(r.split.gibPerSec)} MiB/s | ${r.split.networkThreads} / ${r.split.shards} | ${r.split.bound} | ${(r.split.gibPerSec / r.today.gibPerSec).toFixed(2)}x |`);
  }
}
