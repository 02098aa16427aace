// docs/benchmarks.md from a compare run: the goals with their ratios, one table per workload,
// shard scaling, the kafka-producer-perf-test cross-check, start-up and memory, the machine and the
// commands. Everything in it comes from the CompareReport: no figure is typed in by hand.
import type { BenchResult, LatencySummary } from '../generator/report.ts';
import { DISCARD_WRITE_NAME } from './brokers.ts';
import type { ToolRun } from './kafka-tools.ts';
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
  /** Kafka's own tools against this broker (bench/compare/kafka-tools.ts); absent in older reports. */
  tools: ToolRun[];
}

export interface CompareReport {
  date: string;
  command: string;
  elapsedSeconds: number;
  machine: { cores: number; cpuModel: string; memoryBytes: number; kernel: string };
  versions: Record<string, string>;
  /** headlineShards: the shard count of the headline Highwater runs (absent in older reports: the core count). */
  settings: { toolRecords?: number; toolE2eRecords?: number; manyPartitions?: number; headlineShards?: number; prewarmBytes?: number; durationMs: number; warmupMs: number; primeMs?: number; consumeBytes: number; e2eRate: number; partitions: number; recordSize: number; batchSize: number; lingerMs: number; maxInFlight: number };
  targets: TargetReport[];
  resultsDir: string;
  /** What the run's operator saw that the figures do not say (e.g. other load on the machine); printed under the title. */
  note?: string;
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
  if (report.note) out.push(`**Note on this run:** ${report.note}`, '');

  out.push(...goals(report, never, always, kafka));
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

  out.push(...toolTables(report));
  out.push('## Start-up and memory at rest', '', '| broker | start-up ms | RSS at rest (MiB) | peak RSS (MiB) |', '|---|--:|--:|--:|');
  for (const t of report.targets) {
    out.push(`| ${t.name} | ${n0(t.startupMs)} | ${mib(t.idleRssBytes)} | ${mib(peakRss(t))} |`);
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
  out.push('## Commands', '', '```', `npm run bench:compare   # = ${report.command}`, ...report.targets.map((t) => `${t.command}`), ...report.targets.flatMap((t) => (t.tools ?? []).map((r) => `${toolCommand(r)}   # ${t.name}`)), '```', '',
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

function peakRss(t: TargetReport): number {
  return Math.max(t.idleRssBytes, ...t.runs.map((r) => r.broker.rssMaxBytes), ...(t.tools ?? []).map((r) => r.broker.rssMaxBytes));
}

function tool(t: TargetReport | undefined, key: string): ToolRun | undefined {
  return t?.tools?.find((r) => r.key === key);
}

function toolCommand(r: ToolRun): string {
  return (r.producer ?? r.consumer ?? r.e2e)!.command;
}

/** Mean producer-perf-test rate over the runs whose key starts with the prefix (the alternated rounds). */
function meanRate(t: TargetReport | undefined, prefix: string): number | null {
  const rates = (t?.tools ?? []).filter((r) => r.key.startsWith(prefix) && r.producer).map((r) => r.producer!.recordsPerSec);
  return rates.length ? rates.reduce((a, b) => a + b, 0) / rates.length : null;
}

const met = (ok: boolean) => (ok ? 'yes' : 'no');

/** Issue 18's goals, each with the figure it is judged on, its ratio and whether it is met. */
function goals(report: CompareReport, never: TargetReport | undefined, always: TargetReport | undefined, kafka: TargetReport | undefined): string[] {
  if (!never || !kafka) return ['## Goals', '', 'Kafka or Highwater --fsync never was not part of this run: no ratios.', ''];
  const rows: string[] = ['| goal (issue 18) | measured with | Highwater | Kafka | ratio | met |', '|---|---|--:|--:|--:|:-:|'];
  const rate = (x: number) => `${n0(x)} rec/s`;
  const c = tool(never, 'c1')?.consumer, kc = tool(kafka, 'c1')?.consumer;
  if (c && kc) rows.push(`| catch-up consume ≥ 1.2× Kafka (--fsync never) | consumer-perf-test, a group, default fetch settings | ${n1(c.mbPerSec)} MB/s | ${n1(kc.mbPerSec)} MB/s | ${ratio(c.mbPerSec, kc.mbPerSec)} | ${met(c.mbPerSec >= 1.2 * kc.mbPerSec)} |`);
  const w5 = run(never, 'w5')?.result.consume, kw5 = run(kafka, 'w5')?.result.consume;
  if (w5 && kw5) rows.push(`| (the same, our generator) | highwater bench consume, 1 consumer, no group | ${n1(w5.mbPerSec)} MB/s | ${n1(kw5.mbPerSec)} MB/s | ${ratio(w5.mbPerSec, kw5.mbPerSec)} | ${met(w5.mbPerSec >= 1.2 * kw5.mbPerSec)} |`);
  const idem = meanRate(never, 'p-idem'), kidem = meanRate(kafka, 'p-idem');
  if (idem && kidem) rows.push(`| Java producer defaults, acks=all idempotent ≥ 1.3× Kafka (--fsync never) | producer-perf-test, mean of 2 rounds | ${rate(idem)} | ${rate(kidem)} | ${ratio(idem, kidem)} | ${met(idem >= 1.3 * kidem)} |`);
  const plain = meanRate(never, 'p-plain'), kplain = meanRate(kafka, 'p-plain');
  if (idem && plain) {
    const cost = 1 - idem / plain, kcost = kidem && kplain ? 1 - kidem / kplain : null;
    rows.push(`| idempotence cost ≤ 5% (acks=all with and without enable.idempotence, alternating) | producer-perf-test, mean of 2 rounds each | ${n1(cost * 100)}% (${n0(idem)} vs ${n0(plain)}) | ${kcost === null ? '' : `${n1(kcost * 100)}%`} | | ${met(cost <= 0.05)} |`);
  }
  const a1 = tool(always, 'p1')?.producer, k1 = tool(kafka, 'p1')?.producer;
  if (a1 && k1) rows.push(`| default config (--fsync always) ≥ 1.0× Kafka's default, acks=1 | producer-perf-test | ${rate(a1.recordsPerSec)} | ${rate(k1.recordsPerSec)} | ${ratio(a1.recordsPerSec, k1.recordsPerSec)} | ${met(a1.recordsPerSec >= k1.recordsPerSec)} |`);
  const aidem = meanRate(always, 'p-idem');
  if (aidem && kidem) rows.push(`| default config (--fsync always) ≥ 1.0× Kafka's default, acks=all (idempotent) | producer-perf-test, mean of 2 rounds | ${rate(aidem)} | ${rate(kidem)} | ${ratio(aidem, kidem)} | ${met(aidem >= kidem)} |`);
  const n1p = tool(never, 'p1')?.producer;
  if (n1p && k1) rows.push(`| acks=1 like-for-like ≥ 1.5× Kafka (--fsync never) | producer-perf-test | ${rate(n1p.recordsPerSec)} | ${rate(k1.recordsPerSec)} | ${ratio(n1p.recordsPerSec, k1.recordsPerSec)} | ${met(n1p.recordsPerSec >= 1.5 * k1.recordsPerSec)} |`);
  const w1 = run(never, 'w1')?.result.produce, kw1 = run(kafka, 'w1')?.result.produce;
  if (w1 && kw1) rows.push(`| ${n1p && k1 ? '(the same, our generator)' : 'acks=1 like-for-like ≥ 1.5× Kafka (--fsync never)'} | highwater bench produce | ${rate(w1.recordsPerSec)} | ${rate(kw1.recordsPerSec)} | ${ratio(w1.recordsPerSec, kw1.recordsPerSec)} | ${met(w1.recordsPerSec >= 1.5 * kw1.recordsPerSec)} |`);
  const hwPeak = Math.max(...report.targets.filter((t) => t.kind === 'highwater').map(peakRss)), kPeak = peakRss(kafka);
  rows.push(`| peak RSS ≤ 0.3× Kafka | every workload and tool run, every Highwater config | ${mib(hwPeak)} MiB | ${mib(kPeak)} MiB | ${ratio(hwPeak, kPeak)} | ${met(hwPeak <= 0.3 * kPeak)} |`);
  const e = run(never, 'w4')?.result.endToEnd?.latency, ke = run(kafka, 'w4')?.result.endToEnd?.latency;
  if (e && ke) rows.push(`| e2e p99 at ${n0(report.settings.e2eRate)} rec/s ≤ Kafka's (--fsync never) | highwater bench e2e | ${n2(e.p99Ms)} ms | ${n2(ke.p99Ms)} ms | ${ratio(e.p99Ms, ke.p99Ms)} | ${met(e.p99Ms <= ke.p99Ms)} |`);
  const ea = run(always, 'w4')?.result.endToEnd?.latency;
  if (ea && ke) rows.push(`| (the same, --fsync always) | highwater bench e2e | ${n2(ea.p99Ms)} ms | ${n2(ke.p99Ms)} ms | ${ratio(ea.p99Ms, ke.p99Ms)} | ${met(ea.p99Ms <= ke.p99Ms)} |`);
  const many = run(never, 'w1-many')?.result.produce;
  if (many && w1) rows.push(`| ${n0(report.settings.manyPartitions ?? 0)} partitions within 20% of ${report.settings.partitions} (--fsync never) | highwater bench produce, acks=1 | ${rate(many.recordsPerSec)} | (${rate(w1.recordsPerSec)} on ${report.settings.partitions}) | ${ratio(many.recordsPerSec, w1.recordsPerSec)} | ${met(many.recordsPerSec >= 0.8 * w1.recordsPerSec)} |`);
  else rows.push(`| ${n0(report.settings.manyPartitions ?? 1000)} partitions within 20% of ${report.settings.partitions} | highwater bench produce | not measured in this run | | | no |`);
  return ['## Goals', '', ...rows, '', 'Ratios are Highwater ÷ Kafka (for RSS and latency, lower is better). "Met" is judged on the figure of this one run; on this shared machine runs vary by up to 40%.', ''];
}

/** Kafka's own tools: one table of producer runs, one of consumer and end-to-end runs. */
function toolTables(report: CompareReport): string[] {
  const withTools = report.targets.filter((t) => (t.tools ?? []).length > 0);
  if (withTools.length === 0) return [];
  const s = report.settings;
  const kafka = report.targets.find((t) => t.kind === 'kafka');
  const out = ['## Kafka\'s own tools', '',
    `kafka-producer-perf-test, kafka-consumer-perf-test and EndToEndLatency (kafka-tools ${report.versions.tools ?? ''}) against each broker: ${n0(s.toolRecords ?? 0)} records of 1 KiB per producer run,`,
    `${s.partitions} partitions, batch.size 16384, linger.ms 5, everything else the Java client's defaults; each producer run on a fresh topic, in the order below.`,
    'The producer\'s latency is measured from `send()`, so it includes time queued in its buffer: at full speed it is mostly queueing.', '',
    '| broker | run | records/s | MB/s | vs Kafka | avg ms | p50 ms | p99 ms | max ms | broker CPU (cores) | broker peak RSS (MiB) | other processes (cores) |',
    '|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|'];
  for (const t of withTools) {
    for (const r of t.tools!.filter((x) => x.producer)) {
      const p = r.producer!, kp = tool(kafka, r.key)?.producer;
      out.push(`| ${t.name} | ${r.title.replace('producer-perf-test ', '')} | ${n0(p.recordsPerSec)} | ${n1(p.mbPerSec)} | ${kp && t.kind !== 'kafka' ? ratio(p.recordsPerSec, kp.recordsPerSec) : ''} | ${n1(p.avgMs)} | ${n0(p.p50Ms)} | ${n0(p.p99Ms)} | ${n0(p.maxMs)} | ${n2(r.broker.cpuCores)} | ${mib(r.broker.rssMaxBytes)} | ${r.otherCores === undefined ? '' : n2(r.otherCores)} |`);
    }
  }
  out.push('', '| broker | run | result | vs Kafka | broker CPU (cores) | broker peak RSS (MiB) |', '|---|---|---|--:|--:|--:|');
  for (const t of withTools) {
    for (const r of t.tools!.filter((x) => !x.producer)) {
      const k = tool(kafka, r.key);
      if (r.consumer) {
        const c = r.consumer;
        out.push(`| ${t.name} | ${r.title} | ${n1(c.mbPerSec)} MB/s, ${n0(c.recordsPerSec)} rec/s overall; ${n1(c.fetchMbPerSec)} MB/s after the ${n0(c.rebalanceMs)} ms group join | ${k?.consumer && t.kind !== 'kafka' ? ratio(c.mbPerSec, k.consumer.mbPerSec) : ''} | ${n2(r.broker.cpuCores)} | ${mib(r.broker.rssMaxBytes)} |`);
      } else if (r.e2e) {
        const e = r.e2e;
        out.push(`| ${t.name} | ${r.title} | avg ${n2(e.avgMs)} ms, p50 ${e.p50Ms} ms, p99 ${e.p99Ms} ms, p99.9 ${e.p999Ms} ms | ${k?.e2e && t.kind !== 'kafka' ? `p99 ${ratio(e.p99Ms, k.e2e.p99Ms)}` : ''} | ${n2(r.broker.cpuCores)} | ${mib(r.broker.rssMaxBytes)} |`);
      }
    }
  }
  out.push('', 'consumer-perf-test\'s MB/s counts from before the group join (as the tool prints it); EndToEndLatency sends one record, waits for the acknowledgement, then polls for it (fetch.max.wait.ms 0), and keeps whole milliseconds.', '');
  return out;
}
