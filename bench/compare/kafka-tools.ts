// Apache Kafka's own performance tools, run by bench/compare.ts against every broker it measures:
// kafka-producer-perf-test (ProducerPerformance), kafka-consumer-perf-test (ConsumerPerformance,
// a consumer group with the Java defaults) and EndToEndLatency, all from the fetched kafka-tools
// jars (bench/kafka/run-tool.sh). Their output is parsed here; the figures are the tools' own.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT, parsePerfTestSummary, type PerfTestResult } from './brokers.ts';
import { connectAdmin, ensureTopic } from '../generator/admin.ts';

const execFileAsync = promisify(execFile);
const RUN_TOOL = path.join(REPO_ROOT, 'bench/kafka/run-tool.sh');

export interface ConsumerPerfResult {
  records: number;
  mb: number;
  mbPerSec: number;
  recordsPerSec: number;
  /** Time spent joining the group, and the fetch-only rates the tool prints beside the totals. */
  rebalanceMs: number;
  fetchMs: number;
  fetchMbPerSec: number;
  fetchRecordsPerSec: number;
  command: string;
}

export interface EndToEndLatencyResult {
  records: number;
  avgMs: number;
  /** Whole milliseconds: the tool keeps each latency as a long of ms. */
  p50Ms: number;
  p99Ms: number;
  p999Ms: number;
  command: string;
}

/** A run of one of the tools, with what the broker spent meanwhile. */
export interface ToolRun {
  key: string;
  title: string;
  producer?: PerfTestResult;
  consumer?: ConsumerPerfResult;
  e2e?: EndToEndLatencyResult;
  broker: { cpuCores: number; rssMaxBytes: number; rssEndBytes: number };
  otherCores?: number;
}

/**
 * ConsumerPerformance's result line (after its header "start.time, end.time, data.consumed.in.MB,
 * MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec,
 * fetch.nMsg.sec"): the last line with ten comma-separated fields.
 */
export function parseConsumerPerf(output: string): Omit<ConsumerPerfResult, 'command'> | null {
  const lines = output.split('\n').map((l) => l.trim()).filter((l) => l.split(',').length === 10 && /\d,\s*[\d.]+\s*$/.test(l));
  const last = lines.at(-1);
  if (!last) return null;
  const f = last.split(',').map((x) => x.trim());
  const n = f.slice(2).map(Number);
  if (n.some((x) => !Number.isFinite(x))) return null;
  return { mb: n[0]!, mbPerSec: n[1]!, records: n[2]!, recordsPerSec: n[3]!, rebalanceMs: n[4]!, fetchMs: n[5]!, fetchMbPerSec: n[6]!, fetchRecordsPerSec: n[7]! };
}

/** EndToEndLatency's "Avg latency: X ms" and "Percentiles: 50th = a, 99th = b, 99.9th = c". */
export function parseEndToEndLatency(output: string): Omit<EndToEndLatencyResult, 'command' | 'records'> | null {
  const avg = /Avg latency: ([\d.]+) ms/.exec(output);
  const pct = /Percentiles: 50th = (\d+), 99th = (\d+), 99\.9th = (\d+)/.exec(output);
  if (!avg || !pct) return null;
  return { avgMs: Number(avg[1]), p50Ms: Number(pct[1]), p99Ms: Number(pct[2]), p999Ms: Number(pct[3]) };
}

async function runTool(cls: string, args: string[], timeoutMs: number): Promise<string> {
  const { stdout, stderr } = await execFileAsync(RUN_TOOL, [cls, ...args], { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024 });
  return `${stdout}\n${stderr}`;
}

/** Creates the topic (partitions as given) with our admin client, so every broker gets the same layout. */
export async function createTopic(port: number, topic: string, partitions: number): Promise<void> {
  const admin = await connectAdmin({ host: '127.0.0.1', port });
  try {
    await ensureTopic(admin, topic, partitions, true);
  } finally {
    admin.close();
  }
}

export interface ProducerPerfOptions {
  port: number;
  topic: string;
  records: number;
  recordSize: number;
  /** Producer properties beyond bootstrap.servers, e.g. acks=all, enable.idempotence=false. */
  props: string[];
  timeoutMs: number;
}

export async function runProducerPerf(o: ProducerPerfOptions): Promise<PerfTestResult> {
  const args = ['--topic', o.topic, '--num-records', String(o.records), '--record-size', String(o.recordSize), '--throughput', '-1',
    '--command-property', `bootstrap.servers=127.0.0.1:${o.port}`, ...o.props];
  const out = await runTool('org.apache.kafka.tools.ProducerPerformance', args, o.timeoutMs);
  const parsed = parsePerfTestSummary(out);
  if (!parsed) throw new Error(`kafka-producer-perf-test printed no summary: ${out.slice(-500)}`);
  return { ...parsed, command: `bench/kafka/run-tool.sh org.apache.kafka.tools.ProducerPerformance ${args.join(' ')}` };
}

export async function runConsumerPerf(port: number, topic: string, records: number, group: string, timeoutMs: number): Promise<ConsumerPerfResult> {
  // --timeout: the longest gap between records the tool accepts before it gives up (default 10 s).
  const args = ['--bootstrap-server', `127.0.0.1:${port}`, '--topic', topic, '--num-records', String(records), '--group', group, '--timeout', '30000'];
  const out = await runTool('org.apache.kafka.tools.ConsumerPerformance', args, timeoutMs);
  const parsed = parseConsumerPerf(out);
  if (!parsed) throw new Error(`kafka-consumer-perf-test printed no result line: ${out.slice(-500)}`);
  if (parsed.records < records) throw new Error(`kafka-consumer-perf-test consumed ${parsed.records} of ${records} records: ${out.slice(-300)}`);
  return { ...parsed, command: `bench/kafka/run-tool.sh org.apache.kafka.tools.ConsumerPerformance ${args.join(' ')}` };
}

export async function runEndToEndLatency(port: number, topic: string, records: number, acks: string, recordSize: number, timeoutMs: number): Promise<EndToEndLatencyResult> {
  const args = ['--bootstrap-server', `127.0.0.1:${port}`, '--topic', topic, '--num-records', String(records), '--producer-acks', acks, '--record-size', String(recordSize)];
  const out = await runTool('org.apache.kafka.tools.EndToEndLatency', args, timeoutMs);
  const parsed = parseEndToEndLatency(out);
  if (!parsed) throw new Error(`EndToEndLatency printed no percentiles: ${out.slice(-500)}`);
  return { ...parsed, records, command: `bench/kafka/run-tool.sh org.apache.kafka.tools.EndToEndLatency ${args.join(' ')}` };
}
