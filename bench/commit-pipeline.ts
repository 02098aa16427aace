// Issue 18's produce workload, alternating brokers round by round: Kafka's own
// kafka-producer-perf-test (1 KiB records, 8 partitions, batch.size 16384, linger.ms 5, the Java
// defaults otherwise: acks=all is idempotent with 5 in flight) against Highwater builds (this
// checkout, or an older one with --old-dir) under --fsync always / never, and Apache Kafka at its
// defaults. Each tool run takes the bench lock (/tmp/highwater-bench.lock) by itself, unless
// --no-lock says the whole command runs under it (flock /tmp/highwater-bench.lock node ...). Per run it
// prints the tool's figures, the broker's CPU seconds per MB (each busy thread, from /proc) and, for
// Highwater, the group commits and the share of the run with a sync in flight (/metrics).
//
//   KAFKA_DIST_DIR=/work/main/bench/kafka/.dist node bench/commit-pipeline.ts --base-port 25100 \
//     --targets always,never,kafka --acks 1,all --records 500000 --rounds 2 [--warmup-records 100000] [--old-dir DIR] [--out f.json]
// A target is always | never | old-always | old-never | kafka, or any of the Highwater ones with
// @<depth> (HIGHWATER_BENCH_COMMIT_DEPTH, new build only), e.g. always@2, and/or %settle
// (HIGHWATER_BENCH_COMMIT_WAKE=settle: no draining while a sync is in flight), e.g. always%settle.
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { REPO_ROOT, parsePerfTestSummary, type PerfTestResult } from './compare/brokers.ts';
import { createTopic } from './compare/kafka-tools.ts';

const execFileAsync = promisify(execFile);
const { values } = parseArgs({
  options: {
    'base-port': { type: 'string', default: '25100' },
    targets: { type: 'string', default: 'always,never,kafka' },
    acks: { type: 'string', default: '1,all' },
    records: { type: 'string', default: '500000' },
    rounds: { type: 'string', default: '2' },
    'old-dir': { type: 'string' },
    'data-root': { type: 'string', default: '/tmp/highwater-commit-pipeline' },
    out: { type: 'string' },
    'warmup-records': { type: 'string', default: '100000' },
    // When the whole command already runs under flock (one short round: brokers, warm-ups, runs).
    'no-lock': { type: 'boolean', default: false },
  },
});
const basePort = Number(values['base-port']);
const records = Number(values.records);
const rounds = Number(values.rounds);
const ackModes = values.acks!.split(',');
const targets = values.targets!.split(',');
const dataRoot = values['data-root']!;
const LOCK = '/tmp/highwater-bench.lock';

interface Broker { name: string; pid: number; port: number; httpPort?: number; stop(): Promise<void> }

function threadTicks(pid: number): Map<string, { comm: string; ticks: number }> {
  const out = new Map<string, { comm: string; ticks: number }>();
  let tids: string[] = [];
  try { tids = readdirSync(`/proc/${pid}/task`); } catch { return out; }
  for (const tid of tids) {
    try {
      const st = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const comm = st.slice(st.indexOf('(') + 1, st.lastIndexOf(')'));
      const rest = st.slice(st.lastIndexOf(')') + 2).split(' ');
      out.set(tid, { comm, ticks: Number(rest[11]) + Number(rest[12]) });
    } catch { /* thread ended */ }
  }
  return out;
}

function waitForLine(child: ChildProcess, match: RegExp, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${match} within ${timeoutMs} ms`)), timeoutMs);
    let buffered = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      if (match.test(buffered)) { clearTimeout(timer); resolve(); buffered = ''; }
      else buffered = buffered.slice(-4096);
    });
    child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`exited ${code} while starting`)); });
  });
}

async function startHighwater(target: string, index: number): Promise<Broker> {
  const [spec, wake] = target.split('%');
  const [base, depth] = spec!.split('@');
  const old = base!.startsWith('old-');
  const fsync = base!.replace(/^old-/, '');
  const dir = old ? values['old-dir'] : REPO_ROOT;
  if (dir === undefined) throw new Error(`${target} needs --old-dir`);
  const port = basePort + index * 10;
  const httpPort = port + 1;
  const dataDir = path.join(dataRoot, `hw-${index}`);
  rmSync(dataDir, { recursive: true, force: true });
  mkdirSync(dataRoot, { recursive: true });
  const args = ['src/cli/main.ts', 'start', '--port', String(port), '--http-port', String(httpPort), '--data-dir', dataDir, '--fsync', fsync, '--log-level', 'info'];
  const env = { ...process.env, UV_THREADPOOL_SIZE: '16', ...(depth ? { HIGHWATER_BENCH_COMMIT_DEPTH: depth } : {}), ...(wake ? { HIGHWATER_BENCH_COMMIT_WAKE: wake } : {}) };
  const child = spawn(process.execPath, args, { cwd: dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(path.join(dataRoot, `hw-${index}.log`));
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  await waitForLine(child, /"msg":"broker ready"/, 60_000);
  return {
    name: target, pid: child.pid!, port, httpPort,
    stop: async () => {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function startKafka(index: number): Promise<Broker> {
  const port = basePort + index * 10;
  const dataDir = path.join(dataRoot, `kafka-${index}`);
  rmSync(dataDir, { recursive: true, force: true });
  const { stdout } = await execFileAsync('bash', [path.join(REPO_ROOT, 'bench/kafka/start.sh'), '--port', String(port), '--controller-port', String(port + 1),
    '--data-dir', dataDir, '--heap', '512m', '--partitions', '8', '--timeout', '120'], { timeout: 180_000 });
  const m = /started: pid (\d+)/.exec(stdout);
  if (!m) throw new Error(`no pid from start.sh: ${stdout}`);
  return {
    name: 'kafka', pid: Number(m[1]), port,
    stop: async () => {
      await execFileAsync('bash', [path.join(REPO_ROOT, 'bench/kafka/stop.sh'), '--data-dir', dataDir], { timeout: 60_000 });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

async function scrapeSyncs(broker: Broker): Promise<{ syncs: number; seconds: number } | null> {
  if (broker.httpPort === undefined) return null;
  try {
    const text = await (await fetch(`http://127.0.0.1:${broker.httpPort}/metrics`)).text();
    const sum = (name: string): number => text.split('\n').filter((l) => l.startsWith(name)).reduce((a, l) => a + Number(l.split(' ').at(-1)), 0);
    return { syncs: sum('highwater_shard_group_syncs_total'), seconds: sum('highwater_shard_sync_duration_seconds_sum') };
  } catch {
    return null;
  }
}

interface Run {
  round: number; target: string; acks: string; load: string; result: PerfTestResult;
  cpuSeconds: number; cpuSecondsPerMb: number; threads: Array<{ comm: string; seconds: number }>;
  syncs?: number; syncSeconds?: number; wallSeconds: number;
}

async function runOne(broker: Broker, acks: string, round: number, count = records): Promise<Run> {
  const records = count;
  const topic = `pp-${broker.name.replace(/[^a-z0-9]/gi, '')}-${acks}-${round}-${Date.now() % 100000}`;
  await createTopic(broker.port, topic, 8);
  const props = [`bootstrap.servers=127.0.0.1:${broker.port}`, `acks=${acks}`, 'batch.size=16384', 'linger.ms=5'];
  const toolArgs = ['--topic', topic, '--num-records', String(records), '--record-size', '1024', '--throughput', '-1', '--command-property', ...props];
  const load = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
  const beforeSyncs = await scrapeSyncs(broker);
  // Thread CPU is read around the locked tool run: while it waits for the lock the broker is idle.
  const script = `t0=$(date +%s.%N); ${path.join(REPO_ROOT, 'bench/kafka/run-tool.sh')} org.apache.kafka.tools.ProducerPerformance ${toolArgs.join(' ')}; echo "WALL $t0 $(date +%s.%N)"`;
  const before = threadTicks(broker.pid);
  const command = values['no-lock'] ? ['bash', ['-c', script]] as const : ['flock', [LOCK, 'bash', '-c', script]] as const;
  const { stdout, stderr } = await execFileAsync(command[0], [...command[1]], { timeout: 300_000, maxBuffer: 32 * 1024 * 1024 });
  const after = threadTicks(broker.pid);
  const afterSyncs = await scrapeSyncs(broker);
  const result = parsePerfTestSummary(stdout);
  if (!result) throw new Error(`no summary from the tool: ${(stdout + stderr).slice(-800)}`);
  const wall = /WALL ([\d.]+) ([\d.]+)/.exec(stdout)!;
  const hz = 100;
  const threads: Array<{ comm: string; seconds: number }> = [];
  let total = 0;
  for (const [tid, a] of after) {
    const d = (a.ticks - (before.get(tid)?.ticks ?? 0)) / hz;
    total += d;
    if (d >= 0.05) threads.push({ comm: `${a.comm}/${tid}`, seconds: d });
  }
  threads.sort((x, y) => y.seconds - x.seconds);
  const mb = (records * 1024) / 1e6;
  return {
    round, target: broker.name, acks, load, result: { ...result, command: `flock ${LOCK} bench/kafka/run-tool.sh org.apache.kafka.tools.ProducerPerformance ${toolArgs.join(' ')}` },
    cpuSeconds: total, cpuSecondsPerMb: total / mb, threads: threads.slice(0, 6),
    syncs: beforeSyncs && afterSyncs ? afterSyncs.syncs - beforeSyncs.syncs : undefined,
    syncSeconds: beforeSyncs && afterSyncs ? afterSyncs.seconds - beforeSyncs.seconds : undefined,
    wallSeconds: Number(wall[2]) - Number(wall[1]),
  };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

async function main(): Promise<void> {
  const brokers: Broker[] = [];
  const runs: Run[] = [];
  try {
    for (const [i, t] of targets.entries()) brokers.push(t === 'kafka' ? await startKafka(i) : await startHighwater(t, i));
    // One unrecorded run per broker first: the JVM's JIT (and V8's) warms up outside the figures.
    const warmup = Number(values['warmup-records']);
    if (warmup > 0) for (const broker of brokers) await runOne(broker, '1', 0, warmup);
    for (let round = 1; round <= rounds; round++) {
      for (const acks of ackModes) {
        // Alternate the order each round so no broker always runs first.
        const order = round % 2 ? brokers : [...brokers].reverse();
        for (const broker of order) {
          const run = await runOne(broker, acks, round);
          runs.push(run);
          const r = run.result;
          const syncs = run.syncs !== undefined ? ` syncs ${run.syncs} (${(run.syncs / r.records * 1000).toFixed(2)}/krec), sync in flight ${(100 * run.syncSeconds! / (r.records / r.recordsPerSec)).toFixed(0)}%` : '';
          console.log(`round ${round} acks=${acks} ${broker.name.padEnd(12)} ${r.recordsPerSec.toFixed(0).padStart(7)} rec/s ${r.mbPerSec.toFixed(1)} MB/s avg ${r.avgMs} ms p99 ${r.p99Ms} ms max ${r.maxMs} ms | broker ${run.cpuSeconds.toFixed(2)} cpu-s, ${(1000 * run.cpuSecondsPerMb).toFixed(2)} cpu-ms/MB [${run.threads.map((t) => `${t.comm} ${t.seconds.toFixed(2)}`).join(', ')}]${syncs} | load ${run.load}`);
        }
      }
    }
  } finally {
    for (const b of brokers) await b.stop().catch((err: unknown) => console.error(`stopping ${b.name}: ${String(err)}`));
  }
  console.log('\nmedians (rec/s, cpu-ms/MB):');
  for (const acks of ackModes) {
    const kafka = runs.filter((r) => r.target === 'kafka' && r.acks === acks).map((r) => r.result.recordsPerSec);
    for (const t of targets) {
      const mine = runs.filter((r) => r.target === t && r.acks === acks);
      const rate = median(mine.map((r) => r.result.recordsPerSec));
      const vsKafka = kafka.length > 0 && t !== 'kafka' ? ` = ${(rate / median(kafka)).toFixed(2)}x kafka` : '';
      console.log(`acks=${acks} ${t.padEnd(12)} ${rate.toFixed(0).padStart(7)} rec/s${vsKafka}, ${(1000 * median(mine.map((r) => r.cpuSecondsPerMb))).toFixed(2)} cpu-ms/MB, p99 ${median(mine.map((r) => r.result.p99Ms))} ms`);
    }
  }
  if (values.out) writeFileSync(values.out, JSON.stringify(runs, null, 2));
}

await main();
