// Starting and stopping the brokers bench/compare.ts measures, each as its own process so its CPU
// and memory can be read from /proc: Highwater (node src/cli/main.ts start), Apache Kafka
// (bench/kafka/start.sh and stop.sh, owned by the compatibility work) and the discard server.
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFile);
export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const KAFKA_DIR = path.join(REPO_ROOT, 'bench/kafka');

export interface RunningBroker {
  name: string;
  pid: number;
  port: number;
  /** From spawning the process to the broker saying it serves (Highwater: "broker ready"). */
  startupMs: number;
  /** The command that started it, for the report. */
  command: string;
  stop(): Promise<void>;
}

/** Resolves when a line of the child's output matches, rejects on exit or after timeoutMs. */
function waitForLine(child: ChildProcess, match: RegExp, timeoutMs: number, logFile: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffered = '';
    const timer = setTimeout(() => done(new Error(`no ${match} within ${timeoutMs} ms; see ${logFile}`)), timeoutMs);
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) if (match.test(line)) done(null, line);
    };
    const onExit = (code: number | null) => done(new Error(`exited (${code}) while starting; see ${logFile}`));
    const done = (err: Error | null, line?: string) => {
      clearTimeout(timer);
      child.stdout?.off('data', onData);
      child.off('exit', onExit);
      if (err) reject(err); else resolve(line!);
    };
    child.stdout?.on('data', onData);
    child.once('exit', onExit);
  });
}

function spawnLogged(command: string, args: string[], logFile: string): ChildProcess {
  mkdirSync(path.dirname(logFile), { recursive: true });
  const log = createWriteStream(logFile);
  const child = spawn(command, args, { cwd: REPO_ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  return child;
}

/** SIGTERM, then SIGKILL if it has not exited in time. */
async function stopChild(child: ChildProcess, timeoutMs = 20_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

export interface HighwaterStart {
  port: number;
  dataDir: string;
  shards: number;
  fsync: string;
  logFile: string;
  /** Extra node flags, e.g. --cpu-prof --cpu-prof-dir=... */
  nodeFlags?: string[];
  /** The HTTP side port (/metrics, /healthz); off (-1) unless given. */
  httpPort?: number;
}

export async function startHighwater(o: HighwaterStart): Promise<RunningBroker> {
  rmSync(o.dataDir, { recursive: true, force: true });
  const args = [...(o.nodeFlags ?? []), 'src/cli/main.ts', 'start', '--port', String(o.port), '--data-dir', o.dataDir, '--http-port', String(o.httpPort ?? -1),
    '--shards', String(o.shards), '--fsync', o.fsync, '--log-level', 'info',
    // As bench/kafka/start.sh sets for Kafka: no delay before a new group's first rebalance (ours
    // defaults to 300 ms), so consumer-perf-test's group join measures the same thing on both.
    '--group-initial-rebalance-delay-ms', '0'];
  const began = performance.now();
  const child = spawnLogged(process.execPath, args, o.logFile);
  // Logged once the Kafka listener and the HTTP surface (when on) both accept connections.
  await waitForLine(child, /"msg":"broker ready"/, 60_000, o.logFile);
  const startupMs = performance.now() - began;
  return {
    name: `highwater --shards ${o.shards} --fsync ${o.fsync}`,
    pid: child.pid!, port: o.port, startupMs,
    command: `node ${args.join(' ')}`,
    stop: async () => {
      await stopChild(child);
      rmSync(o.dataDir, { recursive: true, force: true });
    },
  };
}

/** Name of the discard server that also writes what it takes to files. */
export const DISCARD_WRITE_NAME = 'discard server + page-cache writes';

/** The discard server; with `writeDir` it also appends every produced record set to a file there. */
export async function startDiscard(port: number, partitions: number, logFile: string, writeDir?: string): Promise<RunningBroker> {
  const args = ['bench/discard-server.ts', '--port', String(port), '--partitions', String(partitions)];
  if (writeDir !== undefined) {
    rmSync(writeDir, { recursive: true, force: true });
    mkdirSync(writeDir, { recursive: true });
    args.push('--write-dir', writeDir);
  }
  const began = performance.now();
  const child = spawnLogged(process.execPath, args, logFile);
  await waitForLine(child, /discard server ready/, 30_000, logFile);
  return {
    name: writeDir === undefined ? 'discard server' : DISCARD_WRITE_NAME, pid: child.pid!, port, startupMs: performance.now() - began,
    command: `node ${args.join(' ')}`,
    stop: () => stopChild(child),
  };
}

/** Fetches Kafka's jars once (Maven Central, via bench/kafka/fetch.sh) when they are missing. */
export async function ensureKafkaFetched(): Promise<void> {
  const { stdout } = await execFileAsync('bash', ['-c', `source ${KAFKA_DIR}/common.sh; echo "$KAFKA_LIBS_DIR/kafka_2.13-$KAFKA_VERSION.jar"`]);
  if (existsSync(stdout.trim())) return;
  await execFileAsync(path.join(KAFKA_DIR, 'fetch.sh'), [], { timeout: 600_000 });
}

export async function kafkaVersion(): Promise<{ kafka: string; tools: string; java: string }> {
  const { stdout } = await execFileAsync('bash', ['-c', `source ${KAFKA_DIR}/common.sh; echo "$KAFKA_VERSION $KAFKA_TOOLS_VERSION"; "$(kafka_java)" -version 2>&1 | head -1`]);
  const [versions, java] = stdout.trim().split('\n');
  const [kafka, tools] = versions!.split(' ');
  return { kafka: kafka!, tools: tools!, java: java ?? '' };
}

export async function startKafka(port: number, dataDir: string, partitions: number): Promise<RunningBroker> {
  rmSync(dataDir, { recursive: true, force: true });
  const args = ['--port', String(port), '--data-dir', dataDir, '--partitions', String(partitions), '--timeout', '120'];
  const began = performance.now();
  const { stdout } = await execFileAsync(path.join(KAFKA_DIR, 'start.sh'), args, { timeout: 180_000 });
  const wall = performance.now() - began;
  const m = /started: pid (\d+),.* (\d+) ms/.exec(stdout);
  if (!m) throw new Error(`could not read Kafka's pid from start.sh: ${stdout}`);
  return {
    name: 'kafka', pid: Number(m[1]), port,
    // start.sh's own figure runs from just before the JVM starts to "Kafka Server started".
    startupMs: Number(m[2]) || wall,
    command: `bench/kafka/start.sh ${args.join(' ')}`,
    stop: async () => {
      await execFileAsync(path.join(KAFKA_DIR, 'stop.sh'), ['--data-dir', dataDir], { timeout: 60_000 });
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface PerfTestResult {
  records: number;
  recordsPerSec: number;
  mbPerSec: number;
  avgMs: number;
  maxMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
  command: string;
}

/** Parses kafka-producer-perf-test's final line ("N records sent, R records/sec (M MB/sec), ..."). */
export function parsePerfTestSummary(output: string): Omit<PerfTestResult, 'command'> | null {
  const m = /(\d+) records sent, ([\d.]+) records\/sec \(([\d.]+) MB\/sec\), ([\d.]+) ms avg latency, ([\d.]+) ms max latency, (\d+) ms 50th, (\d+) ms 95th, (\d+) ms 99th, (\d+) ms 99\.9th/.exec(output);
  if (!m) return null;
  const n = m.slice(1).map(Number);
  return { records: n[0]!, recordsPerSec: n[1]!, mbPerSec: n[2]!, avgMs: n[3]!, maxMs: n[4]!, p50Ms: n[5]!, p95Ms: n[6]!, p99Ms: n[7]!, p999Ms: n[8]! };
}

/**
 * kafka-producer-perf-test (bench/kafka/perf-test.sh) against a broker, with the settings our
 * generator uses: acks, batch.size, linger.ms. Idempotence is off for both brokers (the generator
 * does not use producer ids either).
 */
export async function runPerfTest(port: number, topic: string, records: number, recordSize: number, acks: string, timeoutMs: number): Promise<PerfTestResult> {
  const args = ['--topic', topic, '--num-records', String(records), '--record-size', String(recordSize), '--throughput', '-1',
    '--command-property', `bootstrap.servers=127.0.0.1:${port}`, `acks=${acks}`, 'batch.size=16384', 'linger.ms=5', 'enable.idempotence=false'];
  const { stdout } = await execFileAsync(path.join(KAFKA_DIR, 'perf-test.sh'), args, { timeout: timeoutMs, maxBuffer: 16 * 1024 * 1024 });
  const parsed = parsePerfTestSummary(stdout);
  if (!parsed) throw new Error(`kafka-producer-perf-test printed no summary: ${stdout.slice(-500)}`);
  return { ...parsed, command: `bench/kafka/perf-test.sh ${args.join(' ')}` };
}
