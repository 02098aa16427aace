// `npm run bench:compare`: the same workloads, same generator and same acks against the discard
// server, Highwater (--fsync never and always, 1..N shards) and Apache Kafka, one after the other,
// then docs/benchmarks.md with the figures, ratios, the machine and the exact commands.
// Usage: node bench/compare.ts [--duration 10s] [--warmup 2s] [--consume-size 1g] [--skip-kafka]
//        [--skip-perf-test] [--tool-records 2000000] [--tool-e2e-records 5000] [--prewarm 8g] [--out docs/benchmarks.md] [--results-dir bench/results/<time>] [--cpu-prof DIR]
//        [--targets discard,discard-write,never,always,shards,kafka] [--prime 5s] [--rerender compare.json]
import { closeSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { availableParallelism, cpus, totalmem, release } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { runBench } from './generator/run.ts';
import { DEFAULT_OPTIONS, checkBenchOptions, parseDuration, parseSize, type BenchOptions } from './generator/options.ts';
import { renderHtmlReport, type BenchResult } from './generator/report.ts';
import { MachineCpuWatcher, ProcessWatcher, type ProcessUsage } from './compare/proc-stats.ts';
import { REPO_ROOT, ensureKafkaFetched, kafkaVersion, startDiscard, startHighwater, startKafka, type RunningBroker } from './compare/brokers.ts';
import { createTopic, runConsumerPerf, runEndToEndLatency, runProducerPerf, type ToolRun } from './compare/kafka-tools.ts';
import { defaultShardCount } from '../src/config.ts';
import { renderComparison, type CompareReport, type TargetReport, type WorkloadRun } from './compare/markdown.ts';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '10s' },
    warmup: { type: 'string', default: '2s' },
    prime: { type: 'string', default: '5s' },
    'consume-size': { type: 'string', default: '1g' },
    // Bytes written to a file and deleted before each broker starts (0: off); see prewarmPageCache.
    prewarm: { type: 'string', default: '8g' },
    'e2e-rate': { type: 'string', default: '10000' },
    partitions: { type: 'string', default: '8' },
    'skip-kafka': { type: 'boolean', default: false },
    // Kafka's own tools (ProducerPerformance, ConsumerPerformance, EndToEndLatency): records per producer run.
    'skip-perf-test': { type: 'boolean', default: false },
    'tool-records': { type: 'string', default: '2000000' },
    'tool-e2e-records': { type: 'string', default: '5000' },
    // A generator produce run on this many partitions beside the 8 (0: off).
    'many-partitions': { type: 'string', default: '1000' },
    out: { type: 'string', default: 'docs/benchmarks.md' },
    'results-dir': { type: 'string' },
    'cpu-prof': { type: 'string' },
    'base-port': { type: 'string', default: '19400' },
    targets: { type: 'string', default: 'discard,discard-write,never,always,shards,kafka' },
    // Re-renders the markdown from a run's compare.json (after a change to the page's layout).
    rerender: { type: 'string' },
    // A sentence printed under the title (other load on the machine, a shortened run); with --rerender it replaces the saved one.
    note: { type: 'string' },
  },
});

if (flags.rerender) {
  const saved = JSON.parse(readFileSync(flags.rerender, 'utf8')) as CompareReport;
  if (flags.note) saved.note = flags.note;
  writeFileSync(path.resolve(REPO_ROOT, flags.out), renderComparison(saved));
  console.log(`wrote ${flags.out} from ${flags.rerender}`);
  process.exit(0);
}

const durationMs = parseDuration(flags.duration);
const warmupMs = parseDuration(flags.warmup);
const primeMs = parseDuration(flags.prime);
const consumeBytes = parseSize(flags['consume-size']);
const prewarmBytes = parseSize(flags.prewarm);
const e2eRate = Number(flags['e2e-rate']);
const partitions = Number(flags.partitions);
const basePort = Number(flags['base-port']);
const toolRecords = Number(flags['tool-records']);
const toolE2eRecords = Number(flags['tool-e2e-records']);
const manyPartitions = Number(flags['many-partitions']);
const cores = availableParallelism();
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const resultsDir = path.resolve(REPO_ROOT, flags['results-dir'] ?? `bench/results/${stamp}`);
const scratch = path.join(resultsDir, 'data');
mkdirSync(scratch, { recursive: true });
const began = performance.now();

function log(line: string): void {
  const t = ((performance.now() - began) / 1000).toFixed(0).padStart(4);
  console.log(`[${t} s] ${line}`);
}

function options(over: Partial<BenchOptions>): BenchOptions {
  return checkBenchOptions({ ...DEFAULT_OPTIONS, partitions, durationMs, warmupMs, progressIntervalMs: 0, recordSize: 1024, ...over });
}

async function measure(broker: RunningBroker, key: string, title: string, o: BenchOptions): Promise<WorkloadRun> {
  const watcher = new ProcessWatcher(broker.pid);
  const machine = new MachineCpuWatcher(cores);
  const warnings: string[] = [];
  const result = await runBench({ ...o, bootstrap: `127.0.0.1:${broker.port}`, label: `${broker.name}: ${title}` }, { onWarning: (w) => warnings.push(w) });
  const usage: ProcessUsage = watcher.stop();
  // Whatever else ran on the machine meanwhile (other people's tests share these cores).
  const otherCores = Math.max(0, machine.stop() - usage.cpuCores - result.generator.cpuCores);
  writeFileSync(path.join(resultsDir, `${slug(broker.name)}-${key}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const t = result.produce ?? result.consume;
  const lat = result.endToEnd?.latency ?? result.produce?.latency;
  log(`${broker.name} ${key} ${title}: ${t ? `${Math.round(t.recordsPerSec).toLocaleString('en-US')} rec/s, ${t.mbPerSec.toFixed(1)} MB/s` : ''}` +
    `${lat ? `, p99 ${lat.p99Ms} ms` : ''}, broker ${usage.cpuCores.toFixed(2)} cores, RSS ${(usage.rssMaxBytes / 2 ** 20).toFixed(0)} MiB, others ${otherCores.toFixed(2)} cores` +
    `${t && t.errors > 0 ? `, ${t.errors} ERRORS: ${t.errorSamples[0]}` : ''}${warnings.length ? ` (${warnings.join('; ')})` : ''}`);
  return { key, title, result, broker: usage, otherCores };
}

function slug(s: string): string {
  return s.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase();
}

interface Plan {
  produce: boolean;
  fixedRate: boolean;
  e2e: boolean;
  consume: boolean;
  perfTest: boolean;
  manyPartitions?: boolean;
}

const allResults: BenchResult[] = [];
/** Half of this target's own max, so "half load" means the same to each broker. */
async function runTarget(broker: RunningBroker, plan: Plan, kind: TargetReport['kind']): Promise<TargetReport> {
  const runs: WorkloadRun[] = [];
  const target: TargetReport = { name: broker.name, kind, pid: broker.pid, startupMs: broker.startupMs, command: broker.command, runs, tools: [], idleRssBytes: 0, failures: [] };
  // One failed workload is reported and the rest still run: a partial table beats none.
  const attempt = async (key: string, title: string, o: BenchOptions) => {
    try {
      runs.push(await measure(broker, key, title, o));
    } catch (err) {
      const message = `${key} ${title}: ${(err as Error).message.split('\n')[0]}`;
      target.failures.push(message);
      log(`${broker.name} FAILED ${message}`);
    }
  };
  const idle = new ProcessWatcher(broker.pid);
  await new Promise((r) => setTimeout(r, 500));
  target.idleRssBytes = idle.stop().rssEndBytes;
  const topic = (w: string) => `bench-${w}-${slug(broker.name)}`.slice(0, 200);
  if (primeMs > 0) {
    // A JVM (and V8) runs its hot paths interpreted at first: an unreported produce run gets every
    // broker compiled before the first measured workload, so workload 1 does not measure warm-up.
    try {
      await runBench(options({ mode: 'produce', bootstrap: `127.0.0.1:${broker.port}`, topic: topic('prime'), durationMs: primeMs, warmupMs: 0 }));
    } catch (err) {
      target.failures.push(`priming run: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  if (plan.produce) {
    await attempt('w1', 'produce 1 KiB, acks=1, unthrottled', options({ mode: 'produce', topic: topic('w1'), acks: 1 }));
    await attempt('w2', 'produce 1 KiB, acks=all, unthrottled', options({ mode: 'produce', topic: topic('w2'), acks: -1 }));
  }
  if (plan.manyPartitions && manyPartitions > 0) {
    await attempt('w1-many', `produce 1 KiB, acks=1, unthrottled, ${manyPartitions.toLocaleString('en-US')} partitions`,
      options({ mode: 'produce', topic: topic('w1-many'), acks: 1, partitions: manyPartitions }));
  }
  const max = runs.find((r) => r.key === 'w1')?.result.produce?.recordsPerSec ?? 0;
  if (plan.fixedRate && max > 0) {
    const rate = Math.max(1000, Math.round(max / 2 / 1000) * 1000);
    await attempt('w3', `produce at half load (${rate.toLocaleString('en-US')} rec/s), acks=1`, options({ mode: 'produce', topic: topic('w3'), acks: 1, rate }));
  }
  if (plan.e2e) {
    await attempt('w4', `e2e at ${e2eRate.toLocaleString('en-US')} rec/s, acks=1`, options({ mode: 'e2e', topic: topic('w4'), acks: 1, rate: e2eRate }));
  }
  if (plan.consume) {
    const records = Math.ceil(consumeBytes / 1024);
    // The fill is a produce run bounded by count, not time; its figures are reported too.
    await attempt('w5-fill', `fill ${formatBytes(consumeBytes)} for catch-up (acks=1)`,
      options({ mode: 'produce', topic: topic('w5'), acks: 1, records, warmupMs: 0, durationMs: 300_000 }));
    await attempt('w5', `catch-up consume of ${formatBytes(consumeBytes)}, 1 consumer`,
      options({ mode: 'consume', topic: topic('w5'), consumers: 1, warmupMs: 0, durationMs: 120_000 }));
  }
  if (plan.perfTest && !flags['skip-perf-test']) await runTools(broker, target, topic);
  for (const r of runs) allResults.push(r.result);
  return target;
}

/**
 * Kafka's own tools against this broker, in issue 18's workload: 1 KiB records, 8 partitions,
 * batch.size 16384, linger.ms 5, `--tool-records` per producer run, each on a fresh topic. acks=1
 * (with the Java defaults, idempotence is off at acks=1), then acks=all with the Java defaults
 * (idempotent) and acks=all with enable.idempotence=false, alternating twice, so the idempotence
 * cost is measured on the same broker state; then a consumer group (ConsumerPerformance, default
 * fetch settings) catches up on the acks=1 topic, and EndToEndLatency (one record at a time,
 * acks=1, its own 1-partition topic).
 */
async function runTools(broker: RunningBroker, target: TargetReport, topic: (w: string) => string): Promise<void> {
  const producer = ['batch.size=16384', 'linger.ms=5'];
  const timeoutMs = Math.max(180_000, toolRecords / 10);
  const tool = async (key: string, title: string, run: () => Promise<Omit<ToolRun, 'key' | 'title' | 'broker' | 'otherCores'>>) => {
    const watcher = new ProcessWatcher(broker.pid);
    const machine = new MachineCpuWatcher(cores);
    try {
      const r = await run();
      const usage = watcher.stop();
      const toolRun: ToolRun = { key, title, ...r, broker: usage, otherCores: Math.max(0, machine.stop() - usage.cpuCores) };
      target.tools.push(toolRun);
      const p = r.producer, c = r.consumer, e = r.e2e;
      log(`${broker.name} ${key} ${title}: ` + (p ? `${n0(p.recordsPerSec)} rec/s, ${p.mbPerSec} MB/s, p99 ${p.p99Ms} ms` : '') +
        (c ? `${n0(c.recordsPerSec)} rec/s, ${c.mbPerSec} MB/s (fetch ${c.fetchMbPerSec} MB/s, rebalance ${c.rebalanceMs} ms)` : '') +
        (e ? `avg ${e.avgMs} ms, p50 ${e.p50Ms}, p99 ${e.p99Ms}, p99.9 ${e.p999Ms} ms` : '') +
        `, broker ${usage.cpuCores.toFixed(2)} cores, RSS ${(usage.rssMaxBytes / 2 ** 20).toFixed(0)} MiB`);
    } catch (err) {
      watcher.stop();
      machine.stop();
      const message = `${key} ${title}: ${(err as Error).message.split('\n')[0]}`;
      target.failures.push(message);
      log(`${broker.name} FAILED ${message}`);
    }
  };
  const produce = async (key: string, title: string, props: string[]) => {
    const t = topic(`tool-${key}`);
    await tool(key, title, async () => {
      await createTopic(broker.port, t, partitions);
      return { producer: await runProducerPerf({ port: broker.port, topic: t, records: toolRecords, recordSize: 1024, props: [...props, ...producer], timeoutMs }) };
    });
  };
  await produce('p1', 'producer-perf-test acks=1 (Java defaults: not idempotent at acks=1)', ['acks=1']);
  for (const round of [1, 2]) {
    await produce(`p-idem-${round}`, `producer-perf-test acks=all, Java defaults (idempotent), round ${round}`, ['acks=all']);
    await produce(`p-plain-${round}`, `producer-perf-test acks=all, enable.idempotence=false, round ${round}`, ['acks=all', 'enable.idempotence=false']);
  }
  if (target.tools.some((r) => r.key === 'p1')) {
    await tool('c1', `consumer-perf-test: a group catches up on the ${n0(toolRecords)} acks=1 records`, async () =>
      ({ consumer: await runConsumerPerf(broker.port, topic('tool-p1'), toolRecords, `perf-${slug(broker.name)}`, timeoutMs) }));
  }
  await tool('e1', `EndToEndLatency: ${n0(toolE2eRecords)} records one at a time, acks=1`, async () =>
    ({ e2e: await runEndToEndLatency(broker.port, topic('tool-e2e'), toolE2eRecords, '1', 1024, timeoutMs) }));
}

const n0 = (x: number) => Math.round(x).toLocaleString('en-US');

function formatBytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(n % 2 ** 30 ? 2 : 0)} GiB` : `${(n / 2 ** 20).toFixed(0)} MiB`;
}

/**
 * On this class of VM, memory the guest has not touched recently is slow to hand out: the host
 * backs it on first touch, and it takes freed memory back within minutes. A broker that writes
 * soon after another's files were deleted would pay that price, and the first writer of a run
 * pays most (docs/notes/bench.md: the same server moved 235k or 499k rec/s depending on it). So
 * before each broker the same number of page-cache pages is touched and freed: a file written
 * and deleted at once (its dirty pages are dropped, never written back).
 */
function prewarmPageCache(bytes: number): void {
  if (bytes <= 0) return;
  const began = performance.now();
  const file = path.join(scratch, 'prewarm');
  const chunk = Buffer.alloc(8 * 1024 * 1024, 1);
  const fd = openSync(file, 'w');
  try {
    for (let written = 0; written < bytes; written += chunk.length) writeSync(fd, chunk);
  } finally {
    closeSync(fd);
    rmSync(file, { force: true });
  }
  log(`prewarmed ${(bytes / 2 ** 30).toFixed(1)} GiB of page cache in ${Math.round(performance.now() - began)} ms`);
}

async function withBroker<T>(start: () => Promise<RunningBroker>, use: (b: RunningBroker) => Promise<T>): Promise<T> {
  prewarmPageCache(prewarmBytes);
  const broker = await start();
  log(`started ${broker.name} (pid ${broker.pid}) in ${Math.round(broker.startupMs)} ms`);
  try {
    return await use(broker);
  } finally {
    await broker.stop();
  }
}

const targets: TargetReport[] = [];
const full: Plan = { produce: true, fixedRate: true, e2e: true, consume: true, perfTest: true };
// The headline Highwater runs use the broker's default shard count (what `npm start` gives);
// the shard sweep covers the others.
const defaultShards = defaultShardCount();
const shardCounts = [...new Set([1, 2, cores])].sort((a, b) => a - b);
const logFile = (name: string) => path.join(resultsDir, `${slug(name)}.log`);
const profFlags = flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(flags['cpu-prof'])}`] : [];

const wanted = new Set(flags.targets.split(','));
try {
  if (wanted.has('discard')) {
    targets.push(await withBroker(() => startDiscard(basePort, partitions, logFile('discard')),
      (b) => runTarget(b, { produce: true, fixedRate: false, e2e: false, consume: false, perfTest: false }, 'discard')));
  }
  if (wanted.has('discard-write')) {
    // The same, but every record set is also written to a file: the most a broker that puts what
    // it takes into the page cache could do here (docs/notes/bench.md).
    targets.push(await withBroker(() => startDiscard(basePort, partitions, logFile('discard-write'), path.join(scratch, 'discard-write')),
      (b) => runTarget(b, { produce: true, fixedRate: false, e2e: false, consume: false, perfTest: false }, 'discard')));
  }
  if (wanted.has('never')) {
    targets.push(await withBroker(() => startHighwater({ port: basePort + 1, dataDir: path.join(scratch, 'hw-never'), shards: defaultShards, fsync: 'never', logFile: logFile('hw-never'), nodeFlags: profFlags }),
      (b) => runTarget(b, { ...full, manyPartitions: true }, 'highwater')));
  }
  // Kafka right after the like-for-like Highwater run: on a shared machine, back-to-back runs
  // are the most likely to see the same background load.
  if (wanted.has('kafka') && !flags['skip-kafka']) {
    await ensureKafkaFetched();
    targets.push(await withBroker(() => startKafka(basePort + 10, path.join(scratch, 'kafka'), partitions), (b) => runTarget(b, full, 'kafka')));
  }
  if (wanted.has('always')) {
    // Catch-up reads do not depend on the fsync policy, so workload 5 runs only with --fsync never.
    targets.push(await withBroker(() => startHighwater({ port: basePort + 2, dataDir: path.join(scratch, 'hw-always'), shards: defaultShards, fsync: 'always', logFile: logFile('hw-always') }),
      (b) => runTarget(b, { ...full, consume: false }, 'highwater')));
  }
  for (const shards of wanted.has('shards') ? shardCounts.filter((n) => n !== defaultShards) : []) {
    targets.push(await withBroker(() => startHighwater({ port: basePort + 3, dataDir: path.join(scratch, `hw-${shards}`), shards, fsync: 'never', logFile: logFile(`hw-${shards}`) }),
      (b) => runTarget(b, { produce: true, fixedRate: false, e2e: false, consume: false, perfTest: false }, 'highwater')));
  }
} finally {
  writeFileSync(path.join(resultsDir, 'report.html'), renderHtmlReport(allResults, 'highwater bench: compare'));
}

const gitCommit = (() => {
  try { return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim(); } catch { return 'unknown'; }
})();
const report: CompareReport = {
  date: new Date().toISOString(),
  command: `node bench/compare.ts ${process.argv.slice(2).join(' ')}`.trim(),
  elapsedSeconds: Math.round((performance.now() - began) / 1000),
  machine: { cores, cpuModel: cpus()[0]?.model ?? 'unknown', memoryBytes: totalmem(), kernel: release() },
  versions: {
    node: process.version,
    highwater: gitCommit,
    ...(flags['skip-kafka'] || !wanted.has('kafka') ? {} : await kafkaVersion()),
  },
  settings: { toolRecords, toolE2eRecords, manyPartitions, headlineShards: defaultShards, prewarmBytes, durationMs, warmupMs, primeMs, consumeBytes, e2eRate, partitions, recordSize: 1024, batchSize: DEFAULT_OPTIONS.batchSize, lingerMs: DEFAULT_OPTIONS.lingerMs, maxInFlight: DEFAULT_OPTIONS.maxInFlight },
  targets,
  resultsDir: path.relative(REPO_ROOT, resultsDir),
  ...(flags.note ? { note: flags.note } : {}),
};
writeFileSync(path.join(resultsDir, 'compare.json'), `${JSON.stringify(report, null, 2)}\n`);
const out = path.resolve(REPO_ROOT, flags.out);
writeFileSync(out, renderComparison(report));
log(`wrote ${path.relative(REPO_ROOT, out)}, results in ${path.relative(REPO_ROOT, resultsDir)} (report.html, *.json)`);
