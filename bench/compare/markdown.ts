// docs/benchmarks.md from a compare run: the goals with their ratios, one table per workload,
// shard scaling, the kafka-producer-perf-test cross-check, start-up and memory, the machine and the
// commands. Everything in it comes from the CompareReport: no figure is typed in by hand.
import type { BenchResult, LatencySummary } from '../generator/report.ts';
import { DISCARD_WRITE_NAME, type PerfTestResult } from './brokers.ts';
import type { ProcessUsage } from './proc-stats.ts';

export interface WorkloadRun {
  key: string;
  title: string;
  result: BenchResult;
  broker: ProcessUsage;
  /** CPU (cores) used by other processes on the machine during the run: noise in the figures. */
  otherCores?: number;
}

export interface TargetReport {
  name: string;
  kind: 'discard' | 'highwater' | 'kafka';
  pid: number;
  startupMs: number;
  command: string;
  idleRssBytes: number;
  runs: WorkloadRun[];
  /** Workloads that did not complete, with why. */
  failures: string[];
  perfTest: (PerfTestResult & { broker: ProcessUsage }) | null;
}

export interface CompareReport {
  date: string;
  command: string;
  elapsedSeconds: number;
  machine: { cores: number; cpuModel: string; memoryBytes: number; kernel: string };
  versions: Record<string, string>;
  /** headlineShards: the shard count of the headline Highwater runs (absent in older reports: the core count). */
  settings: { headlineShards?: number; prewarmBytes?: number; durationMs: number; warmupMs: number; primeMs?: number; consumeBytes: number; e2eRate: number; partitions: number; recordSize: number; batchSize: number; lingerMs: number; maxInFlight: number };
  targets: TargetReport[];
  resultsDir: string;
}

const n0 = (x: number) => Math.round(x).toLocaleString('en-US');
const n1 = (x: number) => x.toLocaleString('en-US', { minimumFractionDigits: 1, maximumFractionDigits: 1 });
const n2 = (x: number) => x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
const mib = (b: number) => n0(b / 2 ** 20);
const ratio = (a: number, b: number) => (b > 0 ? `${n2(a / b)}×` : 'n/a');

function run(t: TargetReport | undefined, key: string): WorkloadRun | undefined {
  return t?.runs.find((r) => r.key === key);
}

function latencyOf(r: WorkloadRun): LatencySummary | null {
  if (r.result.mode === 'consume') return r.result.consume?.fetchLatency ?? null;
  return r.result.endToEnd?.latency ?? r.result.produce?.latency ?? null;
}

function throughputOf(r: WorkloadRun) {
  return r.result.mode === 'consume' ? r.result.consume : r.result.produce;
}

function workloadTable(report: CompareReport, key: string, kafka: TargetReport | undefined): string {
  const rows = report.targets.map((t) => ({ t, r: run(t, key) })).filter((x): x is { t: TargetReport; r: WorkloadRun } => x.r !== undefined);
  if (rows.length === 0) return '';
  const kafkaRun = run(kafka, key);
  const lines = [
    `### ${rows[0]!.r.title.replace(/half load \([^)]*\)/, 'half load')}`,
    '',
    '| broker | records/s | MB/s | vs Kafka | p50 ms | p99 ms | p99.9 ms | max ms | p99 vs Kafka | broker CPU (cores) | broker peak RSS (MiB) | generator cores | other processes (cores) | errors |',
    '|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|',
  ];
  for (const { t, r } of rows) {
    const tp = throughputOf(r)!;
    const lat = latencyOf(r);
    const kt = kafkaRun ? throughputOf(kafkaRun) : null;
    const kl = kafkaRun ? latencyOf(kafkaRun) : null;
    const rate = r.result.options.rate ? ` @ ${n0(r.result.options.rate)}/s` : '';
    const saturated = r.result.generator.saturated ? ' (saturated)' : '';
    lines.push(`| ${t.name}${rate} | ${n0(tp.recordsPerSec)} | ${n1(tp.mbPerSec)} | ${kt && t.kind !== 'kafka' ? ratio(tp.recordsPerSec, kt.recordsPerSec) : ''} | ` +
      `${lat ? n2(lat.p50Ms) : ''} | ${lat ? n2(lat.p99Ms) : ''} | ${lat ? n2(lat.p999Ms) : ''} | ${lat ? n2(lat.maxMs) : ''} | ` +
      `${kl && lat && t.kind !== 'kafka' ? ratio(lat.p99Ms, kl.p99Ms) : ''} | ${n2(r.broker.cpuCores)} | ${mib(r.broker.rssMaxBytes)} | ${n2(r.result.generator.cpuCores)}${saturated} | ${r.otherCores === undefined ? '' : n2(r.otherCores)} | ${tp.errors} |`);
  }
  const latencyKind = key === 'w4' ? 'produce→consume latency (send time stamped in each value, read by the consumer)'
    : key === 'w5' ? 'fetch request latency' : 'produce latency per record, from send (or, at a fixed rate, from the scheduled send) to the acknowledgement';
  lines.push('', `Latency columns: ${latencyKind}.`, '');
  return lines.join('\n');
}

export function renderComparison(report: CompareReport): string {
  const s = report.settings;
  const kafka = report.targets.find((t) => t.kind === 'kafka');
  const never = report.targets.find((t) => t.kind === 'highwater' && t.name.includes('--fsync never') && t.name.includes(`--shards ${s.headlineShards ?? report.machine.cores} `));
  const always = report.targets.find((t) => t.kind === 'highwater' && t.name.includes('--fsync always'));
  const discard = report.targets.find((t) => t.kind === 'discard' && t.name !== DISCARD_WRITE_NAME);
  const discardWrite = report.targets.find((t) => t.kind === 'discard' && t.name === DISCARD_WRITE_NAME);
  const out: string[] = [];
  out.push('# Benchmarks: Highwater and Apache Kafka', '');
  out.push(`Generated by \`npm run bench:compare\` on ${report.date.slice(0, 10)} (${report.elapsedSeconds} s in all). Every figure below comes from that one run;`,
    `rerun it to refresh this page. Raw results (JSON per run, an HTML report with charts) were written to \`${report.resultsDir}\`, which is not committed.`, '');

  out.push('## Goals', '');
  if (never && kafka) {
    const hw1 = run(never, 'w1'), k1 = run(kafka, 'w1'), hw3 = run(never, 'w3'), k3 = run(kafka, 'w3');
    const rows: string[] = ['| goal | Highwater (--fsync never) | Kafka | ratio | met |', '|---|--:|--:|--:|:-:|'];
    if (hw1 && k1) {
      const a = hw1.result.produce!.recordsPerSec, b = k1.result.produce!.recordsPerSec;
      rows.push(`| produce throughput, 1 KiB, acks=1: ≥ 1.5× Kafka | ${n0(a)} rec/s | ${n0(b)} rec/s | ${ratio(a, b)} | ${a >= 1.5 * b ? 'yes' : 'no'} |`);
    }
    if (hw3 && k3) {
      const a = hw3.result.produce!.latency.p99Ms, b = k3.result.produce!.latency.p99Ms;
      rows.push(`| p99 at half load ≤ 0.5× Kafka (each broker at half its own max: ${n0(hw3.result.options.rate ?? 0)} vs ${n0(k3.result.options.rate ?? 0)} rec/s) | ${n2(a)} ms | ${n2(b)} ms | ${ratio(a, b)} | ${a <= 0.5 * b ? 'yes' : 'no'} |`);
    }
    const peak = (t: TargetReport) => Math.max(...t.runs.map((r) => r.broker.rssMaxBytes));
    rows.push(`| peak RSS over all workloads ≤ 25% of Kafka's | ${mib(peak(never))} MiB | ${mib(peak(kafka))} MiB | ${ratio(peak(never), peak(kafka))} | ${peak(never) <= 0.25 * peak(kafka) ? 'yes' : 'no'} |`);
    out.push(...rows, '');
    if (always && k1) {
      const a1 = run(always, 'w1');
      if (a1) out.push(`With \`--fsync always\` (stronger than Kafka's default), produce at acks=1 runs at ${n0(a1.result.produce!.recordsPerSec)} rec/s: ${ratio(a1.result.produce!.recordsPerSec, k1.result.produce!.recordsPerSec)} Kafka's.`, '');
    }
  } else {
    out.push('Kafka was not part of this run: no ratios.', '');
  }

  out.push('## Durability: what is compared with what', '',
    '- Apache Kafka runs with its default flush policy (`log.flush.interval.messages` and `.ms` unset): a write is acknowledged once it is in the',
    '  page cache, and the OS writes it back later. It survives the broker process dying, not a power loss (Kafka relies on replication for that,',
    '  and here there is one node).',
    '- Highwater `--fsync never` makes the same promise (appended with write(2) before the answer, no fsync): **this is the like-for-like row.**',
    '- Highwater `--fsync always` fsyncs before acks=1/all are answered (group commit): a stronger promise than Kafka\'s default, shown for its cost.',
    '- acks=1 and acks=all wait for the same thing on a single node (no followers), on both brokers.', '');

  out.push('## Workloads', '',
    `Same generator (\`highwater bench\`), same settings for every broker: ${s.partitions} partitions, ${s.recordSize} B values, batch.size ${n0(s.batchSize)} B,`,
    `linger ${s.lingerMs} ms (at a fixed rate), ${s.maxInFlight} requests in flight per connection, one producer thread; ${s.durationMs / 1000} s measured after ${s.warmupMs / 1000} s of warm-up.`,
    `Before its first workload each broker takes ${(s.primeMs ?? 0) / 1000} s of unreported produce load, so that JIT compilation (the JVM's and V8's) is not measured.`,
    ...(s.prewarmBytes ? [`Before each broker starts, ${(s.prewarmBytes / 2 ** 30).toFixed(0)} GiB are written to a file and deleted, so that every broker finds the VM's memory equally warm (docs/notes/bench.md).`] : []),
    `Throughput counts value bytes (MB = 2^20 bytes, as kafka-producer-perf-test). The discard server (acknowledges produce requests, stores nothing)`,
    'is the loopback baseline: the most the generator and the kernel can move on this machine. Broker CPU and RSS are read from',
    '`/proc/<pid>/stat` and `/proc/<pid>/status` during each run; the generator runs in the same machine and shares its cores.',
    '"Other processes" is the CPU the rest of the machine used meanwhile (from /proc/stat): this machine is shared, and a run with',
    'a large figure there measured a broker with fewer cores than it looks.', '');
  for (const key of ['w1', 'w2', 'w3', 'w4', 'w5-fill', 'w5']) out.push(workloadTable(report, key, kafka));
  out.push(`The catch-up size was ${(s.consumeBytes / 2 ** 30).toFixed(2)} GiB (\`--consume-size\`).`, '');

  const shardRows = report.targets.filter((t) => t.kind === 'highwater' && t.name.includes('--fsync never')).map((t) => ({ t, r: run(t, 'w1') })).filter((x) => x.r);
  if (shardRows.length > 0) {
    out.push('## Highwater shards (produce 1 KiB, acks=1, --fsync never)', '', '| shards | records/s | MB/s | p99 ms | broker CPU (cores) | peak RSS (MiB) |', '|--:|--:|--:|--:|--:|--:|');
    for (const { t, r } of shardRows.sort((a, b) => shardsOf(a.t) - shardsOf(b.t))) {
      const p = r!.result.produce!;
      out.push(`| ${shardsOf(t)} | ${n0(p.recordsPerSec)} | ${n1(p.mbPerSec)} | ${n2(p.latency.p99Ms)} | ${n2(r!.broker.cpuCores)} | ${mib(r!.broker.rssMaxBytes)} |`);
    }
    out.push('', `This machine has ${report.machine.cores} cores, shared by the broker (acceptor thread + shards) and the generator.`, '');
  }

  const discardRate = discard ? run(discard, 'w1')?.result.produce?.recordsPerSec : undefined;
  if (discardRate) {
    out.push('## Against the loopback baseline (produce 1 KiB, acks=1)', '',
      'The discard server answers produce requests and stores nothing: what the generator and loopback TCP move on this machine.',
      'The same server writing every record set to a file before it answers (one thread, one file per partition) shows what the',
      'page cache leaves of that for any broker that stores what it takes.', '',
      '| target | records/s | × loopback baseline |', '|---|--:|--:|');
    const rows = [discard!, ...(discardWrite ? [discardWrite] : []), ...report.targets.filter((t) => t.kind !== 'discard')];
    for (const t of rows) {
      const rate = run(t, 'w1')?.result.produce?.recordsPerSec;
      if (rate) out.push(`| ${t.name} | ${n0(rate)} | ${ratio(rate, discardRate)} |`);
    }
    out.push('');
  }

  const perf = report.targets.filter((t) => t.perfTest);
  if (perf.length > 0) {
    out.push('## Cross-check with kafka-producer-perf-test', '',
      'Kafka\'s own tool against both brokers, same acks=1, batch.size and linger.ms (idempotence off for both), beside our generator\'s workload 1.',
      'Its latency is measured from `send()` and so includes time queued in the producer\'s buffer.', '',
      '| broker | perf-test records/s | perf-test MB/s | perf-test p99 ms | highwater bench records/s | broker CPU (cores) |', '|---|--:|--:|--:|--:|--:|');
    for (const t of perf) {
      const p = t.perfTest!;
      const ours = run(t, 'w1')?.result.produce?.recordsPerSec;
      out.push(`| ${t.name} | ${n0(p.recordsPerSec)} | ${n1(p.mbPerSec)} | ${n0(p.p99Ms)} | ${ours ? n0(ours) : ''} | ${n2(p.broker.cpuCores)} |`);
    }
    out.push('');
  }

  out.push('## Start-up and memory at rest', '', '| broker | start-up ms | RSS at rest (MiB) | peak RSS (MiB) |', '|---|--:|--:|--:|');
  for (const t of report.targets) {
    out.push(`| ${t.name} | ${n0(t.startupMs)} | ${mib(t.idleRssBytes)} | ${mib(Math.max(t.idleRssBytes, ...t.runs.map((r) => r.broker.rssMaxBytes)))} |`);
  }
  out.push('', 'Start-up: Highwater from spawning `node` to its "broker ready" log line; Kafka from bench/kafka/start.sh starting the JVM to "Kafka Server started" (storage already formatted). Kafka runs with a fixed 1 GiB heap (-Xms1g -Xmx1g, as its own start script).', '');

  const failures = report.targets.flatMap((t) => t.failures.map((f) => `${t.name} ${f}`));
  if (failures.length > 0) out.push('## Workloads that failed', '', ...failures.map((f) => `- ${f}`), '');
  const warnings = report.targets.flatMap((t) => t.runs.flatMap((r) => r.result.generator.warnings.map((w) => `${t.name} ${r.key}: ${w}`)));
  if (warnings.length > 0) out.push('## Generator warnings', '', ...warnings.map((w) => `- ${w}`), '');
  if (discard) out.push(`The discard server took ${n0(run(discard, 'w1')?.result.produce?.recordsPerSec ?? 0)} rec/s from the generator: well above every broker, so the generator was not what limited them.`, '');

  out.push('## Machine and versions', '',
    `- ${report.machine.cores} cores (${report.machine.cpuModel}), ${(report.machine.memoryBytes / 2 ** 30).toFixed(1)} GiB memory, Linux ${report.machine.kernel}`,
    ...Object.entries(report.versions).map(([k, v]) => `- ${k}: ${v}`), '');
  out.push('## Commands', '', '```', `npm run bench:compare   # = ${report.command}`, ...report.targets.map((t) => `${t.command}`), ...perf.map((t) => t.perfTest!.command), '```', '',
    'Each workload by hand (against a broker on 127.0.0.1:9092):', '', '```',
    `highwater bench produce --partitions ${s.partitions} --record-size ${s.recordSize} --acks 1 --duration ${s.durationMs / 1000}s --warmup ${s.warmupMs / 1000}s`,
    `highwater bench produce --partitions ${s.partitions} --record-size ${s.recordSize} --acks all --duration ${s.durationMs / 1000}s --warmup ${s.warmupMs / 1000}s`,
    `highwater bench produce --partitions ${s.partitions} --record-size ${s.recordSize} --acks 1 --rate <half of the first> --duration ${s.durationMs / 1000}s`,
    `highwater bench e2e --partitions ${s.partitions} --record-size ${s.recordSize} --acks 1 --rate ${s.e2eRate} --duration ${s.durationMs / 1000}s`,
    `highwater bench produce --topic fill --records ${Math.ceil(s.consumeBytes / 1024)} --warmup 0 && highwater bench consume --topic fill`,
    '```', '');
  return out.join('\n');
}

function shardsOf(t: TargetReport): number {
  return Number(/--shards (\d+)/.exec(t.name)?.[1] ?? 0);
}
