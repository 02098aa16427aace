// Where Highwater's memory and CPU go, workload by workload: starts a broker per variant (node
// flags, environment, broker flags), runs the bench:compare workloads against it with our generator
// (and optionally Kafka's perf tools), and prints for each: throughput, peak RSS (sampled VmRSS,
// as bench:compare reads it) and at the end the RSS split by mapping kind, the main thread's V8
// heap spaces and each shard's heap (from /metrics), and CPU seconds per MiB of every thread role.
// Variants alternate within each round, so old and new meet the same machine load.
//
// Usage: node bench/memory/probe.ts [--variants 'base=;small=flag:--ring-bytes=8388608,env:MALLOC_ARENA_MAX=2,node:--max-semi-space-size=4']
//          [--rounds 1] [--workloads w1,w2,w1-many,w4,w5] [--duration 8s] [--consume-size 1g]
//          [--shards 1] [--fsync never] [--base-port 28100] [--json out.json]
//   A variant is name=item,item...: node:<node flag>, env:K=V, flag:--broker-flag=value, dir:<checkout>
//   (run that checkout's broker, e.g. a worktree of main, so old and new code alternate); the name
//   'kafka' runs Apache Kafka 4.4 (bench/kafka/start.sh, 1 GiB heap) instead.
//   Workloads: w1 produce acks=1, w2 acks=all, w1-many acks=1 on 1,000 partitions, w4 e2e at
//   10,000 rec/s, w5 fill + 1-consumer catch-up of --consume-size, p1 / pall / c1 Kafka's
//   producer-perf-test acks=1 / acks=all (idempotent) and consumer-perf-test on p1's topic.
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runBench } from '../generator/run.ts';
import { DEFAULT_OPTIONS, checkBenchOptions, parseDuration, parseSize, type BenchOptions } from '../generator/options.ts';
import { REPO_ROOT, startKafka } from '../compare/brokers.ts';
import { createTopic, runConsumerPerf, runProducerPerf } from '../compare/kafka-tools.ts';
import { classifyMappings, cpuByRole, readMappings, readStatusMemory, readThreads } from './proc-threads.ts';

const { values: flags } = parseArgs({
  options: {
    variants: { type: 'string', default: 'base=' },
    rounds: { type: 'string', default: '1' },
    workloads: { type: 'string', default: 'w1,w2,w1-many,w4,w5' },
    duration: { type: 'string', default: '8s' },
    warmup: { type: 'string', default: '2s' },
    'consume-size': { type: 'string', default: '1g' },
    'tool-records': { type: 'string', default: '1000000' },
    shards: { type: 'string', default: '1' },
    fsync: { type: 'string', default: 'never' },
    'base-port': { type: 'string', default: '28100' },
    json: { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});

interface Variant { name: string; nodeFlags: string[]; env: Record<string, string>; brokerFlags: string[]; dir?: string }

function parseVariants(text: string): Variant[] {
  return text.split(';').filter((v) => v.trim() !== '').map((spec) => {
    const at = spec.indexOf('=');
    const name = (at < 0 ? spec : spec.slice(0, at)).trim();
    const v: Variant = { name, nodeFlags: [], env: {}, brokerFlags: [] };
    for (const item of (at < 0 ? '' : spec.slice(at + 1)).split(',').map((s) => s.trim()).filter((s) => s !== '')) {
      if (item.startsWith('node:')) v.nodeFlags.push(item.slice(5));
      else if (item.startsWith('env:')) {
        const [k, ...rest] = item.slice(4).split('=');
        v.env[k!] = rest.join('=');
      } else if (item.startsWith('flag:')) v.brokerFlags.push(item.slice(5));
      else if (item.startsWith('dir:')) v.dir = path.resolve(item.slice(4));
      else throw new Error(`variant ${name}: ${item} is not node:, env:, flag: or dir:`);
    }
    return v;
  });
}

const variants = parseVariants(flags.variants);
const rounds = Number(flags.rounds);
const workloads = flags.workloads.split(',').map((w) => w.trim());
const durationMs = parseDuration(flags.duration);
const warmupMs = parseDuration(flags.warmup);
const consumeBytes = parseSize(flags['consume-size']);
const toolRecords = Number(flags['tool-records']);
const basePort = Number(flags['base-port']);
const scratch = path.join(REPO_ROOT, 'bench/results/memory-probe');
mkdirSync(scratch, { recursive: true });
const MiB = 2 ** 20;

interface Broker { pid: number; port: number; httpPort: number; stop(): Promise<void> }

function waitForLine(child: ChildProcess, match: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => reject(new Error(`no ${match} within ${timeoutMs} ms`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      if (lines.some((l) => match.test(l))) {
        clearTimeout(timer);
        child.stdout!.off('data', onData);
        resolve();
      }
    };
    child.stdout!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`broker exited (${code}) while starting`)));
  });
}

async function startVariant(v: Variant, slot: number): Promise<Broker> {
  const port = basePort + slot * 10;
  const httpPort = port + 5;
  const dataDir = path.join(scratch, `data-${v.name}`);
  rmSync(dataDir, { recursive: true, force: true });
  if (v.name === 'kafka') {
    const k = await startKafka(port, dataDir, 8);
    return { pid: k.pid, port, httpPort: -1, stop: () => k.stop() };
  }
  const args = [...v.nodeFlags, 'src/cli/main.ts', 'start', '--port', String(port), '--data-dir', dataDir, '--http-port', String(httpPort),
    '--shards', flags.shards, '--fsync', flags.fsync, '--log-level', 'info', ...v.brokerFlags];
  const child = spawn(process.execPath, args, { cwd: v.dir ?? REPO_ROOT, env: { ...process.env, ...v.env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(path.join(scratch, `${v.name}.log`));
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  await waitForLine(child, /"msg":"broker ready"/, 60_000);
  return {
    pid: child.pid!, port, httpPort,
    stop: async () => {
      const exited = new Promise<void>((r) => child.once('exit', () => r()));
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The V8 heap figures /metrics carries: the main thread's spaces (prom-client) and each shard's heap. */
async function heapFigures(httpPort: number): Promise<Record<string, number>> {
  if (httpPort < 0) return {};
  try {
    const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
    const out: Record<string, number> = {};
    for (const line of text.split('\n')) {
      let m = /^highwater_nodejs_heap_space_size_used_bytes\{space="(\w+)"\} (\S+)/.exec(line);
      if (m) out[`main ${m[1]} used`] = Number(m[2]);
      m = /^highwater_nodejs_heap_space_size_total_bytes\{space="(\w+)"\} (\S+)/.exec(line);
      if (m) out[`main ${m[1]} total`] = Number(m[2]);
      m = /^highwater_nodejs_external_memory_bytes (\S+)/.exec(line);
      if (m) out['main external'] = Number(m[1]);
      m = /^highwater_shard_heap_bytes\{shard="(\d+)",kind="(\w+)"\} (\S+)/.exec(line);
      if (m) out[`shard-${m[1]} ${m[2]}`] = Number(m[3]);
    }
    return out;
  } catch {
    return {};
  }
}

interface WorkloadFigures {
  variant: string;
  round: number;
  workload: string;
  mbPerSec: number;
  mib: number;
  rssPeakMiB: number;
  rssEndMiB: number;
  hwmMiB: number;
  anonMiB: number;
  fileMiB: number;
  shmemMiB: number;
  mappingsMiB: Record<string, number>;
  heapMiB: Record<string, number>;
  cpuSecondsPerGiB: Record<string, number>;
  cpuSeconds: Record<string, number>;
  loadAverage: number;
}

function options(over: Partial<BenchOptions>): BenchOptions {
  return checkBenchOptions({ ...DEFAULT_OPTIONS, partitions: 8, durationMs, warmupMs, progressIntervalMs: 0, recordSize: 1024, ...over });
}

async function measure(b: Broker, v: Variant, round: number, key: string, run: () => Promise<{ mbPerSec: number; mib: number }>): Promise<WorkloadFigures> {
  const before = readThreads(b.pid);
  let peak = readStatusMemory(b.pid)?.rss ?? 0;
  const timer = setInterval(() => {
    const s = readStatusMemory(b.pid);
    if (s && s.rss > peak) peak = s.rss;
  }, 250);
  let r: { mbPerSec: number; mib: number };
  try {
    r = await run();
  } finally {
    clearInterval(timer);
  }
  const after = readThreads(b.pid);
  const status = readStatusMemory(b.pid)!;
  const cpu = cpuByRole(b.pid, before, after);
  const round2 = (n: number) => Math.round(n * 100) / 100;
  const mib = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, n]) => [k, round2(n / MiB)]));
  const f: WorkloadFigures = {
    variant: v.name, round, workload: key, mbPerSec: round2(r.mbPerSec), mib: Math.round(r.mib),
    rssPeakMiB: round2(Math.max(peak, status.rss) / MiB), rssEndMiB: round2(status.rss / MiB), hwmMiB: round2(status.hwm / MiB),
    anonMiB: round2(status.anon / MiB), fileMiB: round2(status.file / MiB), shmemMiB: round2(status.shmem / MiB),
    mappingsMiB: mib(classifyMappings(readMappings(b.pid))),
    heapMiB: mib(await heapFigures(b.httpPort)),
    cpuSeconds: Object.fromEntries(Object.entries(cpu).filter(([, s]) => s >= 0.01).map(([k, s]) => [k, round2(s)])),
    cpuSecondsPerGiB: Object.fromEntries(Object.entries(cpu).filter(([, s]) => s >= 0.01).map(([k, s]) => [k, round2(s / (r.mib / 1024))])),
    loadAverage: round2(loadavg()[0]!),
  };
  console.log(`${v.name} r${round} ${key}: ${f.mbPerSec} MiB/s (${f.mib} MiB), RSS peak ${f.rssPeakMiB} MiB (anon ${f.anonMiB}, file ${f.fileMiB}, shmem ${f.shmemMiB}), load ${f.loadAverage}`);
  console.log(`   cpu s/GiB: ${Object.entries(f.cpuSecondsPerGiB).map(([k, s]) => `${k} ${s}`).join(', ')}`);
  if (!flags.quiet) {
    console.log(`   mappings MiB: ${Object.entries(f.mappingsMiB).map(([k, s]) => `${k} ${s}`).join(', ')}`);
    console.log(`   heap MiB: ${Object.entries(f.heapMiB).filter(([, s]) => s >= 0.5).map(([k, s]) => `${k} ${s}`).join(', ')}`);
  }
  return f;
}

/** The generator's figures: MiB moved in all (warm-up included, as the CPU is counted over it too). */
function moved(result: Awaited<ReturnType<typeof runBench>>): { mbPerSec: number; mib: number } {
  const t = result.produce ?? result.consume!;
  const bytesPerRecord = t.records > 0 ? t.bytes / t.records : 1024;
  return { mbPerSec: t.mbPerSec, mib: (t.totalRecords * bytesPerRecord) / MiB };
}

async function runWorkloads(b: Broker, v: Variant, round: number): Promise<WorkloadFigures[]> {
  const out: WorkloadFigures[] = [];
  const bootstrap = `127.0.0.1:${b.port}`;
  const topic = (w: string) => `probe-${w}-r${round}`;
  // Unreported: gets the hot paths compiled before the first measured workload.
  await runBench(options({ mode: 'produce', bootstrap, topic: topic('prime'), durationMs: 3000, warmupMs: 0 }));
  const gen = (key: string, o: Partial<BenchOptions>) => measure(b, v, round, key, async () => moved(await runBench(options({ bootstrap, topic: topic(key), ...o }))));
  for (const w of workloads) {
    if (w === 'w1') out.push(await gen('w1', { mode: 'produce', acks: 1 }));
    else if (w === 'w2') out.push(await gen('w2', { mode: 'produce', acks: -1 }));
    else if (w === 'w1-many') out.push(await gen('w1-many', { mode: 'produce', acks: 1, partitions: 1000 }));
    else if (w === 'w4') out.push(await gen('w4', { mode: 'e2e', acks: 1, rate: 10_000 }));
    else if (w === 'w5') {
      out.push(await gen('w5-fill', { mode: 'produce', acks: 1, topic: topic('w5'), records: Math.ceil(consumeBytes / 1024), warmupMs: 0, durationMs: 300_000 }));
      out.push(await gen('w5', { mode: 'consume', topic: topic('w5'), consumers: 1, warmupMs: 0, durationMs: 120_000 }));
    } else if (w === 'p1' || w === 'pall') {
      const t = topic(`tool-${w}`);
      await createTopic(b.port, t, 8);
      out.push(await measure(b, v, round, w, async () => {
        const p = await runProducerPerf({ port: b.port, topic: t, records: toolRecords, recordSize: 1024, props: [w === 'p1' ? 'acks=1' : 'acks=all', 'batch.size=16384', 'linger.ms=5'], timeoutMs: 300_000 });
        return { mbPerSec: p.mbPerSec, mib: (p.records * 1024) / MiB };
      }));
    } else if (w === 'c1') {
      out.push(await measure(b, v, round, 'c1', async () => {
        const c = await runConsumerPerf(b.port, topic('tool-p1'), toolRecords, `probe-${round}`, 300_000);
        return { mbPerSec: c.mbPerSec, mib: c.mb };
      }));
    } else throw new Error(`unknown workload ${w}`);
  }
  return out;
}

const all: WorkloadFigures[] = [];
for (let round = 1; round <= rounds; round++) {
  for (const [slot, v] of variants.entries()) {
    const b = await startVariant(v, slot);
    const idle = readStatusMemory(b.pid);
    console.log(`${v.name} r${round}: started pid ${b.pid}, idle RSS ${((idle?.rss ?? 0) / MiB).toFixed(1)} MiB`);
    try {
      all.push(...await runWorkloads(b, v, round));
    } catch (err) {
      console.log(`${v.name} r${round} FAILED: ${(err as Error).message.split('\n')[0]}`);
    } finally {
      await b.stop();
    }
  }
}

console.log('\npeak RSS (MiB) over the workloads, per variant and round:');
for (const v of variants) {
  for (let round = 1; round <= rounds; round++) {
    const runs = all.filter((f) => f.variant === v.name && f.round === round);
    if (runs.length === 0) continue;
    console.log(`  ${v.name} r${round}: peak ${Math.max(...runs.map((f) => f.rssPeakMiB)).toFixed(0)}; ${runs.map((f) => `${f.workload} ${f.rssPeakMiB.toFixed(0)} @ ${f.mbPerSec.toFixed(0)} MiB/s`).join(', ')}`);
  }
}
if (flags.json) writeFileSync(flags.json, `${JSON.stringify({ variants, workloads, durationMs, figures: all }, null, 2)}\n`);
