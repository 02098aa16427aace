// The result of a `highwater bench` run and its three renderings: the text summary, the JSON file
// and a self-contained HTML report whose charts are SVG drawn here (no chart library, no CDN).
import type * as hdr from 'hdr-histogram-js';
import type { BenchOptions } from './options.ts';
import { LATENCY_UNIT_PER_MS } from './worker-protocol.ts';

export const RESULT_FORMAT_VERSION = 1;

export interface LatencySummary {
  count: number;
  avgMs: number;
  p50Ms: number;
  p95Ms: number;
  p99Ms: number;
  p999Ms: number;
  maxMs: number;
}

export interface PercentilePoint {
  percentile: number;
  ms: number;
}

export interface ThroughputSummary {
  /** Records that count: acknowledged (produce) or read (consume) inside the measured window. */
  records: number;
  /** Value bytes for produce (records × record size, as kafka-producer-perf-test counts them); record-batch bytes for consume. */
  bytes: number;
  durationMs: number;
  recordsPerSec: number;
  /** MiB per second (2^20 bytes), the unit kafka-producer-perf-test prints as MB/sec. */
  mbPerSec: number;
  requests: number;
  errors: number;
  errorSamples: string[];
  /** Everything acknowledged or read, warm-up included, in all and per partition. */
  totalRecords: number;
  perPartition: Record<string, number>;
}

export interface TimePoint {
  /** Seconds since the start; negative ones are the warm-up. */
  t: number;
  producedRecordsPerSec: number;
  producedMbPerSec: number;
  consumedRecordsPerSec: number;
  consumedMbPerSec: number;
  /** p50 and p99 of the interval's latencies (produce acks; e2e in an e2e run; fetch when only consuming), ms. */
  p50Ms?: number | null;
  p99Ms: number | null;
}

/** What the run left on the broker. */
export interface BenchCleanup {
  topic: string;
  /** The run created the topic. */
  created: boolean;
  deleted: boolean;
  /** Records (and value bytes, records × record size) left in the topic; null when deleted or not known. */
  leftRecords: number | null;
  leftBytes: number | null;
  note: string | null;
}

export interface GeneratorLoad {
  threads: number;
  /** Busiest worker's mean event-loop utilization over the measured window (0..1). */
  maxEventLoopUtilization: number;
  maxEventLoopDelayP99Ms: number;
  /** CPU the whole generator process used, in cores (1.0 = one core busy). */
  cpuCores: number;
  availableCores: number;
  saturated: boolean;
  warnings: string[];
}

export interface BenchResult {
  formatVersion: number;
  tool: 'highwater bench';
  label: string;
  mode: BenchOptions['mode'];
  startedAt: string;
  options: BenchOptions;
  target: { bootstrap: string; apiVersions: Record<string, number> };
  produce: (ThroughputSummary & { latency: LatencySummary; percentiles: PercentilePoint[]; scheduleLagMs: number }) | null;
  consume: (ThroughputSummary & { fetchLatency: LatencySummary }) | null;
  endToEnd: { latency: LatencySummary; percentiles: PercentilePoint[] } | null;
  timeSeries: TimePoint[];
  /** Absent in results written before it existed. */
  cleanup?: BenchCleanup;
  generator: GeneratorLoad;
}

const round3 = (n: number) => Math.round(n * 1000) / 1000;
const toMs = (us: number) => round3(us / LATENCY_UNIT_PER_MS);

export function summarizeLatency(h: hdr.Histogram): LatencySummary {
  if (h.totalCount === 0) return { count: 0, avgMs: 0, p50Ms: 0, p95Ms: 0, p99Ms: 0, p999Ms: 0, maxMs: 0 };
  return {
    count: h.totalCount,
    avgMs: toMs(h.mean),
    p50Ms: toMs(h.getValueAtPercentile(50)),
    p95Ms: toMs(h.getValueAtPercentile(95)),
    p99Ms: toMs(h.getValueAtPercentile(99)),
    p999Ms: toMs(h.getValueAtPercentile(99.9)),
    maxMs: toMs(h.maxValue),
  };
}

/** Points for the percentile curve: dense toward the tail, where latency problems live. */
export const CURVE_PERCENTILES = [0, 10, 25, 50, 75, 90, 95, 97.5, 99, 99.5, 99.75, 99.9, 99.95, 99.99, 99.995, 99.999, 100];

export function percentileCurve(h: hdr.Histogram): PercentilePoint[] {
  if (h.totalCount === 0) return [];
  return CURVE_PERCENTILES.map((percentile) => ({ percentile, ms: toMs(percentile === 100 ? h.maxValue : h.getValueAtPercentile(percentile)) }));
}

function fmt(n: number, digits = 1): string {
  return n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function latencyLine(name: string, l: LatencySummary): string {
  return `${name} ms: avg ${fmt(l.avgMs, 2)}  p50 ${fmt(l.p50Ms, 2)}  p95 ${fmt(l.p95Ms, 2)}  p99 ${fmt(l.p99Ms, 2)}  p99.9 ${fmt(l.p999Ms, 2)}  max ${fmt(l.maxMs, 2)}`;
}

/** The end-of-run text: what kafka-producer-perf-test prints, plus e2e and the generator's own load. */
export function formatSummary(r: BenchResult): string {
  const lines: string[] = [];
  const head = `${r.label ? `${r.label}: ` : ''}${r.mode} ${r.options.topic} (${r.options.partitions} partitions) at ${r.target.bootstrap}`;
  lines.push(head);
  if (r.produce) {
    const p = r.produce;
    lines.push(`produced ${p.records.toLocaleString('en-US')} records in ${fmt(p.durationMs / 1000, 2)} s: ${fmt(p.recordsPerSec, 0)} records/s, ${fmt(p.mbPerSec, 2)} MB/s` +
      ` (acks=${r.options.acks === -1 ? 'all' : r.options.acks}, ${r.options.recordSize} B records${r.options.rate ? `, target ${r.options.rate.toLocaleString('en-US')}/s` : ''})`);
    if (p.latency.count > 0) lines.push(latencyLine('  produce latency', p.latency));
    if (p.errors > 0) lines.push(`  ${p.errors} errors, e.g. ${p.errorSamples.join('; ')}`);
  }
  if (r.consume) {
    const c = r.consume;
    lines.push(`consumed ${c.records.toLocaleString('en-US')} records in ${fmt(c.durationMs / 1000, 2)} s: ${fmt(c.recordsPerSec, 0)} records/s, ${fmt(c.mbPerSec, 2)} MB/s`);
    if (c.fetchLatency.count > 0) lines.push(latencyLine('  fetch latency', c.fetchLatency));
    if (c.errors > 0) lines.push(`  ${c.errors} errors, e.g. ${c.errorSamples.join('; ')}`);
  }
  if (r.endToEnd) lines.push(latencyLine('  produce→consume latency', r.endToEnd.latency));
  const g = r.generator;
  lines.push(`generator: ${g.threads} worker threads, ${fmt(g.cpuCores, 2)} of ${g.availableCores} cores, busiest event loop ${fmt(g.maxEventLoopUtilization * 100, 0)}%, loop delay p99 ${fmt(g.maxEventLoopDelayP99Ms, 1)} ms`);
  for (const w of g.warnings) lines.push(`WARNING: ${w}`);
  const c = r.cleanup;
  if (c?.deleted) lines.push(`cleanup: deleted topic ${c.topic}${c.created ? ' (created for this run)' : ''}`);
  else if (c?.note) lines.push(`cleanup: ${c.note}`);
  return lines.join('\n');
}

export interface ProgressSnapshot {
  elapsedMs: number;
  remainingMs: number | null;
  warmingUp: boolean;
  recordsPerSec: number;
  mbPerSec: number;
  p99Ms: number | null;
  what: 'produce' | 'consume' | 'e2e';
}

export function formatProgressLine(p: ProgressSnapshot): string {
  const left = p.remainingMs === null ? '' : `, ${fmt(Math.max(0, p.remainingMs) / 1000, 0)} s left`;
  const p99 = p.p99Ms === null ? '' : `, p99 so far ${fmt(p.p99Ms, 2)} ms`;
  return `${p.warmingUp ? '[warm-up] ' : ''}${fmt(p.elapsedMs / 1000, 0)} s: ${fmt(p.recordsPerSec, 0)} records/s, ${fmt(p.mbPerSec, 2)} MB/s${p99}${left}`;
}

// ---- HTML ----

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];

export interface Series {
  name: string;
  points: { x: number; y: number }[];
}

/** Tick values that are round numbers, about `count` of them, spanning [0, max]. */
export function niceTicks(max: number, count = 5): number[] {
  if (!(max > 0)) return [0, 1];
  const rough = max / count;
  const magnitude = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 2.5, 5, 10].map((m) => m * magnitude).find((s) => s >= rough)!;
  const ticks: number[] = [];
  for (let v = 0; v <= max + step * 1e-9; v += step) ticks.push(round3(v));
  if (ticks[ticks.length - 1]! < max) ticks.push(round3(ticks[ticks.length - 1]! + step));
  return ticks;
}

interface ChartSpec {
  id: string;
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** x positions to label, with their text (default: nice ticks over the x range). */
  xTicks?: { x: number; label: string }[];
  xMin?: number;
}

/** A line chart as inline SVG: axes, grid, one polyline per series, a legend. */
export function svgLineChart(c: ChartSpec): string {
  const width = 760, height = 340, left = 70, right = 20, top = 36, bottom = 50;
  const all = c.series.flatMap((s) => s.points);
  const xMin = c.xMin ?? Math.min(0, ...all.map((p) => p.x));
  const xMaxRaw = Math.max(1, ...all.map((p) => p.x));
  const yTicks = niceTicks(Math.max(0, ...all.map((p) => p.y)));
  const yMax = yTicks[yTicks.length - 1]!;
  const xTicks = c.xTicks ?? niceTicks(xMaxRaw - xMin).map((v) => ({ x: v + xMin, label: String(round3(v + xMin)) }));
  const xMax = Math.max(xMaxRaw, ...xTicks.map((t) => t.x));
  const sx = (x: number) => left + ((x - xMin) / (xMax - xMin || 1)) * (width - left - right);
  const sy = (y: number) => height - bottom - (y / (yMax || 1)) * (height - top - bottom);
  const parts: string[] = [];
  parts.push(`<svg id="${c.id}" class="chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 ${width} ${height}" role="img" aria-label="${escapeHtml(c.title)}">`);
  parts.push(`<text x="${width / 2}" y="20" text-anchor="middle" class="title">${escapeHtml(c.title)}</text>`);
  for (const t of yTicks) {
    parts.push(`<line x1="${left}" x2="${width - right}" y1="${sy(t).toFixed(1)}" y2="${sy(t).toFixed(1)}" class="grid"/>`);
    parts.push(`<text x="${left - 6}" y="${(sy(t) + 4).toFixed(1)}" text-anchor="end" class="tick">${t.toLocaleString('en-US')}</text>`);
  }
  for (const t of xTicks) {
    parts.push(`<line x1="${sx(t.x).toFixed(1)}" x2="${sx(t.x).toFixed(1)}" y1="${top}" y2="${height - bottom}" class="grid"/>`);
    parts.push(`<text x="${sx(t.x).toFixed(1)}" y="${height - bottom + 16}" text-anchor="middle" class="tick">${escapeHtml(t.label)}</text>`);
  }
  parts.push(`<line x1="${left}" x2="${width - right}" y1="${height - bottom}" y2="${height - bottom}" class="axis"/>`);
  parts.push(`<line x1="${left}" x2="${left}" y1="${top}" y2="${height - bottom}" class="axis"/>`);
  parts.push(`<text x="${(left + width - right) / 2}" y="${height - 10}" text-anchor="middle" class="label">${escapeHtml(c.xLabel)}</text>`);
  parts.push(`<text x="16" y="${(top + height - bottom) / 2}" text-anchor="middle" class="label" transform="rotate(-90 16 ${(top + height - bottom) / 2})">${escapeHtml(c.yLabel)}</text>`);
  c.series.forEach((s, i) => {
    const color = PALETTE[i % PALETTE.length]!;
    if (s.points.length > 0) {
      const d = s.points.map((p) => `${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`).join(' ');
      parts.push(`<polyline class="series" fill="none" stroke="${color}" stroke-width="2" points="${d}"><title>${escapeHtml(s.name)}</title></polyline>`);
    }
    parts.push(`<rect x="${left + 10}" y="${top + 4 + i * 16}" width="12" height="3" fill="${color}"/>`);
    parts.push(`<text x="${left + 28}" y="${top + 9 + i * 16}" class="legend">${escapeHtml(s.name)}</text>`);
  });
  parts.push('</svg>');
  return parts.join('\n');
}

/** x for a percentile on the "nines" scale HdrHistogram plots use: 90 → 1, 99 → 2, 99.9 → 3. */
export function ninesX(percentile: number): number {
  return percentile >= 100 ? 5.5 : Math.min(5.5, -Math.log10(1 - percentile / 100));
}

const NINES_TICKS = [{ x: 0, label: '0%' }, { x: 1, label: '90%' }, { x: 2, label: '99%' }, { x: 3, label: '99.9%' }, { x: 4, label: '99.99%' }, { x: 5, label: '99.999%' }];

function latencyRows(name: string, l: LatencySummary | undefined): string {
  if (!l || l.count === 0) return '';
  return `<tr><td>${escapeHtml(name)}</td><td>${fmt(l.avgMs, 2)}</td><td>${fmt(l.p50Ms, 2)}</td><td>${fmt(l.p95Ms, 2)}</td><td>${fmt(l.p99Ms, 2)}</td><td>${fmt(l.p999Ms, 2)}</td><td>${fmt(l.maxMs, 2)}</td></tr>`;
}

function resultName(r: BenchResult, i: number): string {
  return r.label || `run ${i + 1} (${r.mode})`;
}

/** Splits "broker: workload" labels so that compare runs get one pair of charts per workload. */
function splitLabel(r: BenchResult, i: number): { group: string; series: string } {
  const name = resultName(r, i);
  const at = name.indexOf(': ');
  return at < 0 ? { group: r.mode, series: name } : { group: name.slice(at + 2), series: name.slice(0, at) };
}

/** The settings a run was made with, as rows of the report (one column per run). */
export function settingsRows(results: BenchResult[]): string {
  const fields: [string, (r: BenchResult) => string][] = [
    ['mode', (r) => r.mode],
    ['bootstrap', (r) => r.target.bootstrap],
    ['topic (partitions)', (r) => `${r.options.topic} (${r.options.partitions})`],
    ['duration / warm-up', (r) => `${r.options.durationMs / 1000} s / ${r.options.warmupMs / 1000} s`],
    ['records limit', (r) => (r.options.records === null ? '-' : r.options.records.toLocaleString('en-US'))],
    ['target rate', (r) => (r.options.rate === null ? 'unthrottled' : `${r.options.rate.toLocaleString('en-US')} records/s`)],
    ['record size', (r) => `${r.options.recordSize} B${r.options.payloadFile ? ` from ${r.options.payloadFile}` : ''}`],
    ['producers / consumers', (r) => `${r.options.producers} / ${r.options.consumers}`],
    ['acks', (r) => (r.options.acks === -1 ? 'all' : String(r.options.acks))],
    ['batch size / linger', (r) => `${r.options.batchSize} B / ${r.options.lingerMs} ms`],
    ['compression', (r) => r.options.compression],
    ['max in flight', (r) => String(r.options.maxInFlight)],
    ['fetch max / partition max', (r) => `${r.options.fetchMaxBytes} / ${r.options.partitionFetchMaxBytes} B`],
    ['API versions', (r) => Object.entries(r.target.apiVersions).map(([k, v]) => `${k} v${v}`).join(', ')],
    ['started', (r) => r.startedAt],
    ['topic afterwards', (r) => (!r.cleanup ? '-' : r.cleanup.deleted ? 'deleted' : r.cleanup.leftRecords === null ? 'kept' : `kept, ${r.cleanup.leftRecords.toLocaleString('en-US')} records`)],
  ];
  const head = `<tr><th>setting</th>${results.map((r, i) => `<th>${escapeHtml(resultName(r, i))}</th>`).join('')}</tr>`;
  return [head, ...fields.map(([name, get]) => `<tr><td>${escapeHtml(name)}</td>${results.map((r) => `<td>${escapeHtml(get(r))}</td>`).join('')}</tr>`)].join('\n');
}

function chartsFor(results: BenchResult[], names: string[], suffix: string, heading: string): string {
  const throughput: Series[] = [];
  const curves: Series[] = [];
  const overTime: Series[] = [];
  results.forEach((r, i) => {
    const name = names[i]!;
    const points = r.timeSeries.map((p) => ({ x: p.t, y: Math.round(r.mode === 'consume' ? p.consumedRecordsPerSec : p.producedRecordsPerSec) }));
    throughput.push({ name: `${name} ${r.mode === 'consume' ? 'consumed' : 'produced'} records/s`, points });
    if (r.mode === 'e2e') throughput.push({ name: `${name} consumed records/s`, points: r.timeSeries.map((p) => ({ x: p.t, y: Math.round(p.consumedRecordsPerSec) })) });
    if (r.produce && r.produce.percentiles.length > 0) curves.push({ name: `${name} produce`, points: r.produce.percentiles.map((p) => ({ x: ninesX(p.percentile), y: p.ms })) });
    if (r.endToEnd && r.endToEnd.percentiles.length > 0) curves.push({ name: `${name} produce→consume`, points: r.endToEnd.percentiles.map((p) => ({ x: ninesX(p.percentile), y: p.ms })) });
    const what = r.mode === 'e2e' ? 'produce→consume' : r.mode === 'consume' ? 'fetch' : 'produce';
    const measured = r.timeSeries.filter((p) => p.p99Ms !== null);
    if (measured.some((p) => p.p50Ms !== undefined && p.p50Ms !== null)) overTime.push({ name: `${name} ${what} p50`, points: measured.filter((p) => p.p50Ms != null).map((p) => ({ x: p.t, y: p.p50Ms! })) });
    if (measured.length > 0) overTime.push({ name: `${name} ${what} p99`, points: measured.map((p) => ({ x: p.t, y: p.p99Ms! })) });
  });
  return `${heading ? `<h3>${escapeHtml(heading)}</h3>\n` : ''}` +
    `${svgLineChart({ id: `throughput-over-time${suffix}`, title: 'Throughput over time (negative t: warm-up)', xLabel: 'seconds', yLabel: 'records/s', series: throughput })}\n` +
    (overTime.length > 0 ? `${svgLineChart({ id: `latency-over-time${suffix}`, title: 'Latency over time (per second of the measured window)', xLabel: 'seconds', yLabel: 'ms', series: overTime })}\n` : '') +
    (curves.length > 0 ? svgLineChart({ id: `latency-percentiles${suffix}`, title: 'Latency by percentile', xLabel: 'percentile', yLabel: 'ms', series: curves, xTicks: NINES_TICKS, xMin: 0 }) : '<p>No latency recorded.</p>');
}

/** One self-contained page for one or several results (compare.ts passes all its runs). */
export function renderHtmlReport(results: BenchResult[], title = 'highwater bench'): string {
  const groups = new Map<string, { results: BenchResult[]; names: string[] }>();
  results.forEach((r, i) => {
    const { group, series } = splitLabel(r, i);
    const g = groups.get(group) ?? { results: [], names: [] };
    g.results.push(r);
    g.names.push(series);
    groups.set(group, g);
  });
  const charts = [...groups.entries()].map(([group, g], i) => chartsFor(g.results, g.names, i === 0 ? '' : `-${i}`, groups.size > 1 ? group : '')).join('\n');
  const rows = results.map((r, i) => {
    const name = resultName(r, i);
    const t = r.produce ?? r.consume;
    return `<tr><td>${escapeHtml(name)}</td><td>${r.mode}</td><td>${t ? fmt(t.recordsPerSec, 0) : ''}</td><td>${t ? fmt(t.mbPerSec, 2) : ''}</td><td>${t ? t.records.toLocaleString('en-US') : ''}</td><td>${t ? t.errors : ''}</td><td>${fmt(r.generator.cpuCores, 2)}${r.generator.saturated ? ' (saturated)' : ''}</td></tr>`;
  }).join('\n');
  const latency = results.map((r, i) => latencyRows(`${resultName(r, i)} produce`, r.produce?.latency) + latencyRows(`${resultName(r, i)} produce→consume`, r.endToEnd?.latency) + latencyRows(`${resultName(r, i)} fetch`, r.consume?.fetchLatency)).join('\n');
  const warnings = results.flatMap((r, i) => r.generator.warnings.map((w) => `${resultName(r, i)}: ${w}`));
  const data = JSON.stringify(results).replace(/</g, '\\u003c');
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222;max-width:1100px}
table{border-collapse:collapse;margin:12px 0}td,th{border:1px solid #ccc;padding:4px 8px;text-align:right}td:first-child,th:first-child{text-align:left}
.chart{width:100%;max-width:760px;display:block;margin:16px 0;background:#fff}
.chart .grid{stroke:#eee}.chart .axis{stroke:#444}.chart .tick{font-size:11px;fill:#555}.chart .label{font-size:12px;fill:#333}
.chart .title{font-size:14px;font-weight:600}.chart .legend{font-size:11px;fill:#333}
.warn{color:#a40}
</style></head><body>
<h1>${escapeHtml(title)}</h1>
<p>Generated ${escapeHtml(new Date().toISOString())} by highwater bench. Latencies from HDR histograms (3 significant digits).</p>
<h2>Settings</h2>
<table id="settings">
${settingsRows(results)}
</table>
<h2>Throughput</h2>
<table><tr><th>run</th><th>mode</th><th>records/s</th><th>MB/s</th><th>records</th><th>errors</th><th>generator cores</th></tr>
${rows}
</table>
<h2>Latency</h2>
<table><tr><th>run</th><th>avg ms</th><th>p50</th><th>p95</th><th>p99</th><th>p99.9</th><th>max</th></tr>
${latency}
</table>
<h2>Charts</h2>
${charts}
${warnings.length > 0 ? `<h2>Warnings</h2><ul>${warnings.map((w) => `<li class="warn">${escapeHtml(w)}</li>`).join('')}</ul>` : ''}
<script type="application/json" id="bench-results">${data}</script>
</body></html>
`;
}
