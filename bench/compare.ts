// `npm run bench:compare`: the same workloads, same generator and same acks against the discard
// server, Highwater (--fsync never and always, 1..N shards) and Apache Kafka, one after the other,
// then docs/benchmarks.md with the figures, ratios, the machine and the exact commands.
// Usage: node bench/compare.ts [--duration 10s] [--warmup 2s] [--consume-size 1g] [--skip-kafka]
//        [--skip-perf-test] [--out docs/benchmarks.md] [--results-dir bench/results/<time>] [--cpu-prof DIR]
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem, release } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';
import { runBench } from './generator/run.ts';
import { DEFAULT_OPTIONS, checkBenchOptions, parseDuration, parseSize, type BenchOptions } from './generator/options.ts';
import { renderHtmlReport, type BenchResult } from './generator/report.ts';
import { ProcessWatcher, type ProcessUsage } from './compare/proc-stats.ts';
import {
  REPO_ROOT, ensureKafkaFetched, kafkaVersion, runPerfTest, startDiscard, startHighwater, startKafka,
  type PerfTestResult, type RunningBroker,
} from './compare/brokers.ts';
import { renderComparison, type CompareReport, type TargetReport, type WorkloadRun } from './compare/markdown.ts';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '10s' },
    warmup: { type: 'string', default: '2s' },
    'consume-size': { type: 'string', default: '1g' },
    'e2e-rate': { type: 'string', default: '10000' },
    partitions: { type: 'string', default: '8' },
    'skip-kafka': { type: 'boolean', default: false },
    'skip-perf-test': { type: 'boolean', default: false },
    out: { type: 'string', default: 'docs/benchmarks.md' },
    'results-dir': { type: 'string' },
    'cpu-prof': { type: 'string' },
    'base-port': { type: 'string', default: '19400' },
  },
});

const durationMs = parseDuration(flags.duration);
const warmupMs = parseDuration(flags.warmup);
const consumeBytes = parseSize(flags['consume-size']);
const e2eRate = Number(flags['e2e-rate']);
const partitions = Number(flags.partitions);
const basePort = Number(flags['base-port']);
const cores = availableParallelism();
const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const resultsDir = path.resolve(REPO_ROOT, flags['results-dir'] ?? `bench/results/${stamp}`);
const scratch = path.join(resultsDir, 'data');
mkdirSync(resultsDir, { recursive: true });
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
  const warnings: string[] = [];
  const result = await runBench({ ...o, bootstrap: `127.0.0.1:${broker.port}`, label: `${broker.name}: ${title}` }, { onWarning: (w) => warnings.push(w) });
  const usage: ProcessUsage = watcher.stop();
  writeFileSync(path.join(resultsDir, `${slug(broker.name)}-${key}.json`), `${JSON.stringify(result, null, 2)}\n`);
  const t = result.produce ?? result.consume;
  const lat = result.endToEnd?.latency ?? result.produce?.latency;
  log(`${broker.name} ${key} ${title}: ${t ? `${Math.round(t.recordsPerSec).toLocaleString('en-US')} rec/s, ${t.mbPerSec.toFixed(1)} MB/s` : ''}` +
    `${lat ? `, p99 ${lat.p99Ms} ms` : ''}, broker ${usage.cpuCores.toFixed(2)} cores, RSS ${(usage.rssMaxBytes / 2 ** 20).toFixed(0)} MiB` +
    `${t && t.errors > 0 ? `, ${t.errors} ERRORS: ${t.errorSamples[0]}` : ''}${warnings.length ? ` (${warnings.join('; ')})` : ''}`);
  return { key, title, result, broker: usage };
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
}

const allResults: BenchResult[] = [];
/** Half of this target's own max, so "half load" means the same to each broker. */
async function runTarget(broker: RunningBroker, plan: Plan, kind: TargetReport['kind']): Promise<TargetReport> {
  const runs: WorkloadRun[] = [];
  const target: TargetReport = { name: broker.name, kind, pid: broker.pid, startupMs: broker.startupMs, command: broker.command, runs, perfTest: null, idleRssBytes: 0 };
  const idle = new ProcessWatcher(broker.pid);
  await new Promise((r) => setTimeout(r, 500));
  target.idleRssBytes = idle.stop().rssEndBytes;
  const topic = (w: string) => `bench-${w}-${slug(broker.name)}`.slice(0, 200);
  if (plan.produce) {
    runs.push(await measure(broker, 'w1', 'produce 1 KiB, acks=1, unthrottled', options({ mode: 'produce', topic: topic('w1'), acks: 1 })));
    runs.push(await measure(broker, 'w2', 'produce 1 KiB, acks=all, unthrottled', options({ mode: 'produce', topic: topic('w2'), acks: -1 })));
  }
  const max = runs.find((r) => r.key === 'w1')?.result.produce?.recordsPerSec ?? 0;
  if (plan.fixedRate && max > 0) {
    const rate = Math.max(1000, Math.round(max / 2 / 1000) * 1000);
    runs.push(await measure(broker, 'w3', `produce at half load (${rate.toLocaleString('en-US')} rec/s), acks=1`, options({ mode: 'produce', topic: topic('w3'), acks: 1, rate })));
  }
  if (plan.e2e) {
    runs.push(await measure(broker, 'w4', `e2e at ${e2eRate.toLocaleString('en-US')} rec/s, acks=1`, options({ mode: 'e2e', topic: topic('w4'), acks: 1, rate: e2eRate })));
  }
  if (plan.consume) {
    const records = Math.ceil(consumeBytes / 1024);
    // The fill is a produce run bounded by count, not time; its figures are reported too.
    runs.push(await measure(broker, 'w5-fill', `fill ${formatBytes(consumeBytes)} for catch-up (acks=1)`,
      options({ mode: 'produce', topic: topic('w5'), acks: 1, records, warmupMs: 0, durationMs: 300_000 })));
    runs.push(await measure(broker, 'w5', `catch-up consume of ${formatBytes(consumeBytes)}, 1 consumer`,
      options({ mode: 'consume', topic: topic('w5'), consumers: 1, warmupMs: 0, durationMs: 120_000 })));
  }
  if (plan.perfTest && !flags['skip-perf-test']) {
    // Enough records for a few seconds at this broker's pace (the JVM producer is slower than our generator here).
    const records = Math.min(1_000_000, Math.max(100_000, Math.round(max * 5)));
    try {
      const watcher = new ProcessWatcher(broker.pid);
      const perf: PerfTestResult = await runPerfTest(broker.port, topic('perf'), records, 1024, '1', 120_000);
      const usage = watcher.stop();
      target.perfTest = { ...perf, broker: usage };
      log(`${broker.name} kafka-producer-perf-test: ${Math.round(perf.recordsPerSec).toLocaleString('en-US')} rec/s, ${perf.mbPerSec} MB/s, p99 ${perf.p99Ms} ms`);
    } catch (err) {
      log(`${broker.name} kafka-producer-perf-test failed: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  for (const r of runs) allResults.push(r.result);
  return target;
}

function formatBytes(n: number): string {
  return n >= 2 ** 30 ? `${(n / 2 ** 30).toFixed(n % 2 ** 30 ? 2 : 0)} GiB` : `${(n / 2 ** 20).toFixed(0)} MiB`;
}

async function withBroker<T>(start: () => Promise<RunningBroker>, use: (b: RunningBroker) => Promise<T>): Promise<T> {
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
const shardCounts = [...new Set([1, 2, cores])].sort((a, b) => a - b);
const logFile = (name: string) => path.join(resultsDir, `${slug(name)}.log`);
const profFlags = flags['cpu-prof'] ? ['--cpu-prof', `--cpu-prof-dir=${path.resolve(flags['cpu-prof'])}`] : [];

try {
  targets.push(await withBroker(() => startDiscard(basePort, partitions, logFile('discard')),
    (b) => runTarget(b, { produce: true, fixedRate: false, e2e: false, consume: false, perfTest: false }, 'discard')));

  targets.push(await withBroker(() => startHighwater({ port: basePort + 1, dataDir: path.join(scratch, 'hw-never'), shards: cores, fsync: 'never', logFile: logFile('hw-never'), nodeFlags: profFlags }),
    (b) => runTarget(b, full, 'highwater')));
  targets.push(await withBroker(() => startHighwater({ port: basePort + 2, dataDir: path.join(scratch, 'hw-always'), shards: cores, fsync: 'always', logFile: logFile('hw-always') }),
    (b) => runTarget(b, { ...full, consume: false, perfTest: false }, 'highwater')));
  for (const shards of shardCounts.filter((s) => s !== cores)) {
    targets.push(await withBroker(() => startHighwater({ port: basePort + 3, dataDir: path.join(scratch, `hw-${shards}`), shards, fsync: 'never', logFile: logFile(`hw-${shards}`) }),
      (b) => runTarget(b, { produce: true, fixedRate: false, e2e: false, consume: false, perfTest: false }, 'highwater')));
  }
  if (!flags['skip-kafka']) {
    await ensureKafkaFetched();
    targets.push(await withBroker(() => startKafka(basePort + 10, path.join(scratch, 'kafka'), partitions), (b) => runTarget(b, full, 'kafka')));
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
    ...(flags['skip-kafka'] ? {} : await kafkaVersion()),
  },
  settings: { durationMs, warmupMs, consumeBytes, e2eRate, partitions, recordSize: 1024, batchSize: DEFAULT_OPTIONS.batchSize, lingerMs: DEFAULT_OPTIONS.lingerMs, maxInFlight: DEFAULT_OPTIONS.maxInFlight },
  targets,
  resultsDir: path.relative(REPO_ROOT, resultsDir),
};
writeFileSync(path.join(resultsDir, 'compare.json'), `${JSON.stringify(report, null, 2)}\n`);
const out = path.resolve(REPO_ROOT, flags.out);
writeFileSync(out, renderComparison(report));
log(`wrote ${path.relative(REPO_ROOT, out)}, results in ${path.relative(REPO_ROOT, resultsDir)} (report.html, *.json)`);
