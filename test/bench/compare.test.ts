// bench/compare.ts's parsers and its markdown: /proc fields, kafka-producer-perf-test's summary
// line, and a docs/benchmarks.md rendered from a small made-up report.
import { expect, test } from 'vitest';
import { parseCpuSeconds, parseStatusBytes, sampleProcess } from '../../bench/compare/proc-stats.ts';
import { parsePerfTestSummary } from '../../bench/compare/brokers.ts';
import { parseConsumerPerf, parseEndToEndLatency } from '../../bench/compare/kafka-tools.ts';
import { renderComparison, type CompareReport, type TargetReport } from '../../bench/compare/markdown.ts';
import { DEFAULT_OPTIONS } from '../../bench/generator/options.ts';
import type { BenchResult } from '../../bench/generator/report.ts';

test('/proc/<pid>/stat: utime + stime, even with a command name holding spaces and parentheses', () => {
  const stat = '1234 (my (odd) name) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 100 1000 200';
  expect(parseCpuSeconds(stat, 100)).toBeCloseTo(3.0);
  const self = sampleProcess(process.pid)!;
  expect(self.cpuSeconds).toBeGreaterThan(0);
  expect(self.rssBytes).toBeGreaterThan(10 * 2 ** 20);
});

test('/proc/<pid>/status: VmRSS and VmHWM in bytes', () => {
  const status = 'Name:\tnode\nVmHWM:\t  204800 kB\nVmRSS:\t  102400 kB\n';
  expect(parseStatusBytes(status, 'VmRSS')).toBe(100 * 2 ** 20);
  expect(parseStatusBytes(status, 'VmHWM')).toBe(200 * 2 ** 20);
  expect(parseStatusBytes('Name:\tx\n', 'VmRSS')).toBeNull();
});

test('kafka-producer-perf-test summary line', () => {
  const out = 'warming up\n200000 records sent, 55081.244836 records/sec (53.79 MB/sec), 462.29 ms avg latency, 760.00 ms max latency, 455 ms 50th, 695 ms 95th, 745 ms 99th, 757 ms 99.9th.\n';
  expect(parsePerfTestSummary(out)).toEqual({ records: 200000, recordsPerSec: 55081.244836, mbPerSec: 53.79, avgMs: 462.29, maxMs: 760, p50Ms: 455, p95Ms: 695, p99Ms: 745, p999Ms: 757 });
  expect(parsePerfTestSummary('nothing')).toBeNull();
});

function result(mode: BenchResult['mode'], recordsPerSec: number, p99Ms: number, rate: number | null = null): BenchResult {
  const latency = { count: 10, avgMs: p99Ms / 2, p50Ms: p99Ms / 3, p95Ms: p99Ms * 0.9, p99Ms, p999Ms: p99Ms * 1.2, maxMs: p99Ms * 1.5 };
  const t = { records: recordsPerSec * 10, bytes: recordsPerSec * 10240, durationMs: 10_000, recordsPerSec, mbPerSec: recordsPerSec / 1024, requests: 1, errors: 0, errorSamples: [], totalRecords: 1, perPartition: {} };
  return {
    formatVersion: 1, tool: 'highwater bench', label: '', mode, startedAt: '', options: { ...DEFAULT_OPTIONS, mode, rate }, target: { bootstrap: '', apiVersions: {} },
    produce: mode === 'consume' ? null : { ...t, latency, percentiles: [], scheduleLagMs: 0 },
    consume: mode === 'produce' ? null : { ...t, fetchLatency: latency },
    endToEnd: mode === 'e2e' ? { latency, percentiles: [] } : null,
    timeSeries: [],
    generator: { threads: 1, maxEventLoopUtilization: 0.1, maxEventLoopDelayP99Ms: 1, cpuCores: 0.2, availableCores: 2, saturated: false, warnings: [] },
  };
}

function target(name: string, kind: TargetReport['kind'], w1: number, p99: number, rssMiB: number): TargetReport {
  const broker = { cpuCores: 1, rssMaxBytes: rssMiB * 2 ** 20, rssEndBytes: rssMiB * 2 ** 20 };
  return {
    name, kind, pid: 1, startupMs: 500, command: `start ${name}`, idleRssBytes: rssMiB * 2 ** 19, tools: [], failures: [],
    runs: [
      { key: 'w1', title: 'produce 1 KiB, acks=1, unthrottled', result: result('produce', w1, p99 * 2), broker },
      { key: 'w3', title: `produce at half load (${w1 / 2} rec/s), acks=1`, result: result('produce', w1 / 2, p99, w1 / 2), broker },
      { key: 'w4', title: 'e2e at 10,000 rec/s, acks=1', result: result('e2e', 10_000, p99), broker },
    ],
  };
}

test('docs/benchmarks.md: goals with ratios, a table per workload, machine and commands', () => {
  const report: CompareReport = {
    date: '2026-01-01T00:00:00.000Z', command: 'node bench/compare.ts', elapsedSeconds: 300,
    machine: { cores: 2, cpuModel: 'Test CPU', memoryBytes: 24 * 2 ** 30, kernel: '6.0' },
    versions: { node: 'v24.0.0', highwater: 'abc1234', kafka: '4.4.0' },
    settings: { durationMs: 10_000, warmupMs: 2000, consumeBytes: 2 ** 30, e2eRate: 10_000, partitions: 8, recordSize: 1024, batchSize: 16384, lingerMs: 5, maxInFlight: 5 },
    targets: [target('highwater --shards 2 --fsync never', 'highwater', 300_000, 4, 200), target('kafka', 'kafka', 200_000, 10, 1000)],
    resultsDir: 'bench/results/x',
  };
  const md = renderComparison(report);
  expect(md).toMatch(/\| acks=1 like-for-like ≥ 1\.5× Kafka \(--fsync never\) \| highwater bench produce \| 300,000 rec\/s \| 200,000 rec\/s \| 1\.50× \| yes \|/);
  expect(md).toMatch(/\| e2e p99 at 10,000 rec\/s ≤ Kafka's \(--fsync never\) \| highwater bench e2e \| 4\.00 ms \| 10\.00 ms \| 0\.40× \| yes \|/);
  expect(md).toMatch(/\| peak RSS ≤ 0\.3× Kafka \| .* \| 200 MiB \| 1,000 MiB \| 0\.20× \| yes \|/);
  expect(md).toContain('| 1,000 partitions within 20% of 8 | highwater bench produce | not measured in this run | | | no |');
  expect(md).toContain('### produce 1 KiB, acks=1, unthrottled');
  expect(md).toContain('### e2e at 10,000 rec/s, acks=1');
  expect(md).toContain('like-for-like');
  expect(md).toContain('2 cores (Test CPU), 24.0 GiB memory');
  expect(md).toContain('start kafka');
});

test('kafka-consumer-perf-test result line and EndToEndLatency percentiles', () => {
  const consumer = 'start.time, end.time, data.consumed.in.MB, MB.sec, data.consumed.in.nMsg, nMsg.sec, rebalance.time.ms, fetch.time.ms, fetch.MB.sec, fetch.nMsg.sec\n' +
    '2026-12-02 18:10:01:123, 2026-12-02 18:10:04:900, 97.6563, 35.1661, 100000, 36010.0828, 1009, 1768, 55.2354, 56561.0860\n';
  expect(parseConsumerPerf(consumer)).toEqual({ mb: 97.6563, mbPerSec: 35.1661, records: 100000, recordsPerSec: 36010.0828, rebalanceMs: 1009, fetchMs: 1768, fetchMbPerSec: 55.2354, fetchRecordsPerSec: 56561.086 });
  expect(parseConsumerPerf('WARNING: Exiting before consuming the expected number of messages\n')).toBeNull();
  const e2e = '0\t41.2\n1000\t2.1\nAvg latency: 2.8344 ms\nPercentiles: 50th = 2, 99th = 10, 99.9th = 34\n';
  expect(parseEndToEndLatency(e2e)).toEqual({ avgMs: 2.8344, p50Ms: 2, p99Ms: 10, p999Ms: 34 });
  expect(parseEndToEndLatency('Avg latency: 1 ms\n')).toBeNull();
});
