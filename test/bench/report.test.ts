// The report formats: JSON fields of a BenchResult, the text summary, and the self-contained HTML
// with both charts.
import { expect, test } from 'vitest';
import {
  RESULT_FORMAT_VERSION, formatProgressLine, formatSummary, niceTicks, ninesX, percentileCurve, renderHtmlReport, summarizeLatency,
  type BenchResult,
} from '../../bench/generator/report.ts';
import { DEFAULT_OPTIONS } from '../../bench/generator/options.ts';
import { newLatencyHistogram, recordLatencyUs } from '../../bench/generator/worker-protocol.ts';

function sampleResult(): BenchResult {
  const h = newLatencyHistogram();
  for (let i = 1; i <= 1000; i++) recordLatencyUs(h, i * 10); // 0.01 .. 10 ms
  const throughput = {
    records: 100_000, bytes: 100_000 * 1024, durationMs: 10_000, recordsPerSec: 10_000, mbPerSec: 9.765625,
    requests: 800, errors: 0, errorSamples: [], totalRecords: 120_000, perPartition: { 0: 60_000, 1: 60_000 },
  };
  return {
    formatVersion: RESULT_FORMAT_VERSION, tool: 'highwater bench', label: 'highwater <fsync never>', mode: 'e2e',
    startedAt: '2026-01-01T00:00:00.000Z', options: { ...DEFAULT_OPTIONS, mode: 'e2e' },
    target: { bootstrap: '127.0.0.1:9092', apiVersions: { Produce: 11, Fetch: 12 } },
    produce: { ...throughput, latency: summarizeLatency(h), percentiles: percentileCurve(h), scheduleLagMs: 0 },
    consume: { ...throughput, fetchLatency: summarizeLatency(h) },
    endToEnd: { latency: summarizeLatency(h), percentiles: percentileCurve(h) },
    timeSeries: [-1, 0, 1, 2].map((t) => ({ t, producedRecordsPerSec: 10_000, producedMbPerSec: 9.77, consumedRecordsPerSec: 9_990, consumedMbPerSec: 9.75, p50Ms: t < 0 ? null : 4 + t, p99Ms: t < 0 ? null : 9.9 })),
    generator: { threads: 2, maxEventLoopUtilization: 0.2, maxEventLoopDelayP99Ms: 11, cpuCores: 0.3, availableCores: 2, saturated: false, warnings: ['a test warning'] },
  };
}

test('latency summary: HDR percentiles in ms', () => {
  const l = sampleResult().produce!.latency;
  expect(l.count).toBe(1000);
  expect(l.avgMs).toBeCloseTo(5.005, 2);
  expect(l.p50Ms).toBeCloseTo(5, 1);
  expect(l.p99Ms).toBeCloseTo(9.9, 1);
  expect(l.p999Ms).toBeCloseTo(9.99, 1);
  expect(l.maxMs).toBeCloseTo(10, 1);
  expect(summarizeLatency(newLatencyHistogram()).count).toBe(0);
});

test('the JSON result carries every field the compare script and readers rely on', () => {
  const parsed = JSON.parse(JSON.stringify(sampleResult())) as BenchResult;
  expect(Object.keys(parsed).sort()).toEqual(['consume', 'endToEnd', 'formatVersion', 'generator', 'label', 'mode', 'options', 'produce', 'startedAt', 'target', 'timeSeries', 'tool']);
  expect(Object.keys(parsed.produce!).sort()).toEqual([
    'bytes', 'durationMs', 'errorSamples', 'errors', 'latency', 'mbPerSec', 'perPartition', 'percentiles', 'records', 'recordsPerSec', 'requests', 'scheduleLagMs', 'totalRecords',
  ]);
  expect(Object.keys(parsed.produce!.latency).sort()).toEqual(['avgMs', 'count', 'maxMs', 'p50Ms', 'p95Ms', 'p999Ms', 'p99Ms']);
  expect(parsed.produce!.percentiles.at(-1)).toEqual({ percentile: 100, ms: parsed.produce!.latency.maxMs });
  expect(Object.keys(parsed.generator).sort()).toEqual(['availableCores', 'cpuCores', 'maxEventLoopDelayP99Ms', 'maxEventLoopUtilization', 'saturated', 'threads', 'warnings']);
});

test('text summary names throughput, every percentile and the generator load', () => {
  const text = formatSummary(sampleResult());
  expect(text).toMatch(/produced 100,000 records in 10\.00 s: 10,000 records\/s, 9\.77 MB\/s/);
  expect(text).toMatch(/produce latency ms: avg .* p50 .* p95 .* p99 .* p99\.9 .* max /);
  expect(text).toMatch(/produce→consume latency ms/);
  expect(text).toMatch(/generator: 2 worker threads/);
  expect(text).toMatch(/WARNING: a test warning/);
});

test('progress line: rate, MB/s, p99 so far and time left', () => {
  const line = formatProgressLine({ what: 'produce', elapsedMs: 3000, remainingMs: 7000, warmingUp: false, recordsPerSec: 12345, mbPerSec: 12.06, p99Ms: 3.5 });
  expect(line).toBe('3 s: 12,345 records/s, 12.06 MB/s, p99 so far 3.50 ms, 7 s left');
});

test('HTML report is self-contained and holds both charts', () => {
  const html = renderHtmlReport([sampleResult(), { ...sampleResult(), label: 'kafka' }], 'compare');
  expect(html).toMatch(/^<!doctype html>/);
  expect(html).toContain('<svg id="throughput-over-time"');
  expect(html).toContain('<svg id="latency-percentiles"');
  expect((html.match(/<polyline /g) ?? []).length).toBeGreaterThanOrEqual(6);
  // Labels are escaped, and nothing is loaded from elsewhere.
  expect(html).toContain('highwater &lt;fsync never&gt;');
  expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|https?:\/\/(?!www\.w3\.org\/2000\/svg)/);
  const data = /<script type="application\/json" id="bench-results">(.*)<\/script>/s.exec(html);
  expect(JSON.parse(data![1]!)).toHaveLength(2);
});

test('chart helpers', () => {
  expect(niceTicks(10_000)).toEqual([0, 2000, 4000, 6000, 8000, 10_000]);
  expect(niceTicks(0)).toEqual([0, 1]);
  expect(ninesX(90)).toBeCloseTo(1);
  expect(ninesX(99.9)).toBeCloseTo(3);
  expect(ninesX(100)).toBe(5.5);
});

test('HTML report shows the run\'s settings and a latency-over-time chart of the measured seconds', () => {
  const r = { ...sampleResult(), options: { ...DEFAULT_OPTIONS, mode: 'e2e' as const, rate: 20_000, acks: -1 as const, compression: 'lz4' as const } };
  const html = renderHtmlReport([r], 'one run');
  const settings = /<table id="settings">(.*?)<\/table>/s.exec(html)![1]!;
  expect(settings).toMatch(/<td>target rate<\/td><td>20,000 records\/s<\/td>/);
  expect(settings).toMatch(/<td>acks<\/td><td>all<\/td>/);
  expect(settings).toMatch(/<td>compression<\/td><td>lz4<\/td>/);
  expect(settings).toMatch(/<td>duration \/ warm-up<\/td><td>15 s \/ 2 s<\/td>/);
  const chart = /<svg id="latency-over-time".*?<\/svg>/s.exec(html)![0];
  expect(chart).toContain('produce→consume p99');
  expect(chart).toContain('produce→consume p50');
  // The warm-up second has no latency: 3 measured points per line, not 4.
  const lines = [...chart.matchAll(/<polyline [^>]*points="([^"]*)"/g)].map((m) => m[1]!.split(' ').length);
  expect(lines).toEqual([3, 3]);
});

test('the summary says what the run left on the broker', () => {
  const kept = { ...sampleResult(), cleanup: { topic: 't', created: true, deleted: false, leftRecords: 5, leftBytes: 5120, note: 'left topic t on the broker with 5 records' } };
  expect(formatSummary(kept)).toMatch(/^cleanup: left topic t on the broker with 5 records$/m);
  const deleted = { ...sampleResult(), cleanup: { topic: 't', created: true, deleted: true, leftRecords: null, leftBytes: null, note: null } };
  expect(formatSummary(deleted)).toMatch(/^cleanup: deleted topic t \(created for this run\)$/m);
});
