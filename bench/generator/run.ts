// One `highwater bench` run: prepares the topic, starts producer and consumer worker threads, adds
// up their once-per-tick stats into progress lines and a time series, watches the generator's own
// load, and returns the BenchResult (written as JSON and HTML when asked).
import { Worker } from 'node:worker_threads';
import { availableParallelism } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type * as hdr from 'hdr-histogram-js';
import { parseHostPort } from '../../src/client/kafka-connection.ts';
import { ApiKey } from '../../src/protocol/generated/index.ts';
import { recordsPerBatch, type BenchOptions } from './options.ts';
import { EARLIEST, LATEST, connectAdmin, deleteTopic, ensureTopic, listOffsets } from './admin.ts';
import { epochMs } from './produce-frames.ts';
import {
  ThreadLoadMonitor, decodeHistogram, newLatencyHistogram,
  type ConsumerWorkerData, type ControlMessage, type DoneMessage, type ProducerWorkerData, type StatsMessage, type WorkerData, type WorkerMessage,
} from './worker-protocol.ts';
import {
  RESULT_FORMAT_VERSION, formatProgressLine, percentileCurve, renderHtmlReport, summarizeLatency,
  type BenchCleanup, type BenchResult, type ProgressSnapshot, type ThroughputSummary, type TimePoint,
} from './report.ts';

export interface BenchHooks {
  onProgress?: (line: string, snapshot: ProgressSnapshot) => void;
  onWarning?: (message: string) => void;
}

/** Above this busy share a worker is the bottleneck, not the broker. */
const SATURATED_EVENT_LOOP = 0.9;
const SATURATED_LOOP_DELAY_MS = 100;
const MiB = 1024 * 1024;

/** Partition i % n to worker i: every partition is written (or read) by exactly one worker. */
export function assignPartitions(partitions: readonly number[], workers: number): number[][] {
  const out: number[][] = Array.from({ length: workers }, () => []);
  if (workers === 0) return out;
  if (workers > partitions.length) {
    // More producers than partitions: each takes one partition, several share it.
    for (let w = 0; w < workers; w++) out[w]!.push(partitions[w % partitions.length]!);
    return out;
  }
  partitions.forEach((p, i) => out[i % workers]!.push(p));
  return out;
}

/** Split n as evenly as whole numbers allow. */
function shares(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}

interface WorkerHandle {
  data: WorkerData;
  worker: Worker;
  done: Promise<DoneMessage>;
  ready: Promise<void>;
}

function spawn(data: WorkerData, onStats: (m: StatsMessage) => void): WorkerHandle {
  const file = data.role === 'producer' ? './producer-worker.ts' : './consumer-worker.ts';
  const worker = new Worker(new URL(file, import.meta.url), { workerData: data });
  let resolveReady!: () => void, rejectReady!: (e: Error) => void;
  let resolveDone!: (m: DoneMessage) => void, rejectDone!: (e: Error) => void;
  const ready = new Promise<void>((res, rej) => { resolveReady = res; rejectReady = rej; });
  const done = new Promise<DoneMessage>((res, rej) => { resolveDone = res; rejectDone = rej; });
  // Both promises may be rejected before anyone awaits them; the run awaits them in order.
  ready.catch(() => {});
  done.catch(() => {});
  worker.on('message', (m: WorkerMessage) => {
    if (m.kind === 'ready') resolveReady();
    else if (m.kind === 'stats') onStats(m);
    else if (m.kind === 'done') resolveDone(m);
    else if (m.kind === 'error') {
      const err = new Error(`${data.role} ${data.workerId}: ${m.message}`);
      rejectReady(err);
      rejectDone(err);
    }
  });
  worker.on('error', (err) => { rejectReady(err); rejectDone(err); });
  worker.on('exit', (code) => {
    const err = new Error(`${data.role} ${data.workerId} exited (${code}) before it finished`);
    rejectReady(err);
    rejectDone(err);
  });
  return { data, worker, done, ready };
}

function post(h: WorkerHandle, m: ControlMessage): void {
  h.worker.postMessage(m);
}

interface TickTotals {
  produced: number; producedBytes: number; consumed: number; consumedBytes: number;
  histogram: hdr.Histogram | null;
}

export async function runBench(o: BenchOptions, hooks: BenchHooks = {}): Promise<BenchResult> {
  const startedAt = new Date().toISOString();
  const bootstrap = parseHostPort(o.bootstrap);
  const admin = await connectAdmin(bootstrap, { connectTimeoutMs: o.connectTimeoutMs, requestTimeoutMs: o.requestTimeoutMs });
  const handles: WorkerHandle[] = [];
  try {
    const topic = await ensureTopic(admin, o.topic, o.partitions, o.createTopic && o.mode !== 'consume');
    const partitions = topic.partitions;
    if (partitions.length !== o.partitions) hooks.onWarning?.(`${o.topic} has ${partitions.length} partitions (asked for ${o.partitions}); using all ${partitions.length}`);
    // Only what the mode uses is negotiated, so produce works against a broker that only takes produce.
    const apiVersions: Record<string, number> = { Metadata: admin.version(ApiKey.Metadata) };
    if (o.mode !== 'consume') apiVersions.Produce = admin.version(ApiKey.Produce);
    if (o.mode !== 'produce') {
      // Fetch v13+ names topics by ID; v12 has every field the bench needs.
      apiVersions.Fetch = admin.version(ApiKey.Fetch, 12);
      apiVersions.ListOffsets = admin.version(ApiKey.ListOffsets);
    }
    const statsIntervalMs = 1000;
    const ticks = new Map<number, TickTotals>();
    const loads = new Map<string, { elu: number[]; delay: number[] }>();
    let measuredTicksFrom = 0;
    const cumulative = newLatencyHistogram();
    let cumulativeRecords = 0, cumulativeBytes = 0;
    const primaryRole: 'producer' | 'consumer' = o.mode === 'consume' ? 'consumer' : 'producer';

    const onStats = (m: StatsMessage) => {
      const t = ticks.get(m.tick) ?? { produced: 0, producedBytes: 0, consumed: 0, consumedBytes: 0, histogram: null };
      if (m.role === 'producer') { t.produced += m.records; t.producedBytes += m.bytes; } else { t.consumed += m.records; t.consumedBytes += m.bytes; }
      // The latency a tick shows: produce acks, or e2e latency, or fetch latency when only consuming.
      const latencyRole = o.mode === 'e2e' ? 'consumer' : primaryRole;
      if (m.histogram && m.role === latencyRole) {
        const h = decodeHistogram(m.histogram);
        if (t.histogram) t.histogram.add(h); else t.histogram = h;
        cumulative.add(h);
      }
      ticks.set(m.tick, t);
      if (m.role === primaryRole) { cumulativeRecords += m.records; cumulativeBytes += m.bytes; }
      const key = `${m.role}-${m.workerId}`;
      const l = loads.get(key) ?? { elu: [], delay: [] };
      if (m.tick >= measuredTicksFrom) { l.elu.push(m.load.eventLoopUtilization); l.delay.push(m.load.eventLoopDelayP99Ms); }
      loads.set(key, l);
    };

    const producerCount = o.mode === 'consume' ? 0 : o.producers;
    const consumerCount = o.mode === 'produce' ? 0 : Math.min(o.consumers, partitions.length);
    if (o.mode !== 'produce' && o.consumers > partitions.length) hooks.onWarning?.(`${o.consumers} consumers for ${partitions.length} partitions: using ${consumerCount}`);

    const perBatch = recordsPerBatch(o);
    const producerPartitions = assignPartitions(partitions, producerCount);
    const consumerPartitions = assignPartitions(partitions, consumerCount);
    let startOffsets: bigint[] = [];
    let endOffsets: bigint[] | null = null;
    if (o.mode === 'consume') {
      startOffsets = await listOffsets(admin, o.topic, partitions, EARLIEST);
      endOffsets = await listOffsets(admin, o.topic, partitions, LATEST);
      const available = endOffsets.reduce((a, e, i) => a + (e - startOffsets[i]!), 0n);
      if (available === 0n) throw new Error(`${o.topic} is empty: produce to it first (highwater bench produce --topic ${o.topic})`);
    } else if (o.mode === 'e2e') {
      startOffsets = await listOffsets(admin, o.topic, partitions, LATEST);
    }
    const offsetOf = (list: bigint[], p: number) => list[partitions.indexOf(p)]!.toString();

    for (let i = 0; i < producerCount; i++) {
      const mine = producerPartitions[i]!;
      const data: ProducerWorkerData = {
        role: 'producer', workerId: i, host: topic.leader.host, port: topic.leader.port, topic: o.topic, partitions: mine,
        produceVersion: apiVersions.Produce!, acks: o.acks, recordSize: o.recordSize, recordsPerBatch: perBatch,
        compression: o.compression, payloadFile: o.payloadFile, maxInFlight: o.maxInFlight,
        rate: o.rate === null ? null : o.rate / producerCount, stampValues: o.mode === 'e2e', statsIntervalMs, keys: o.keys,
        requestTimeoutMs: o.requestTimeoutMs, connectTimeoutMs: o.connectTimeoutMs,
      };
      if (data.rate !== null) {
        // Linger: at a target rate a batch leaves once it has waited lingerMs, so it holds only
        // the records that arrive in that time (never more than batch.size allows).
        const perPartitionRate = data.rate / mine.length;
        data.recordsPerBatch = Math.max(1, Math.min(perBatch, Math.ceil((perPartitionRate * Math.max(o.lingerMs, 1)) / 1000)));
      }
      handles.push(spawn(data, onStats));
    }
    for (let i = 0; i < consumerCount; i++) {
      const mine = consumerPartitions[i]!;
      const data: ConsumerWorkerData = {
        role: 'consumer', workerId: i, host: topic.leader.host, port: topic.leader.port, topic: o.topic, partitions: mine,
        fetchVersion: apiVersions.Fetch!, startOffsets: mine.map((p) => offsetOf(startOffsets, p)),
        endOffsets: endOffsets ? mine.map((p) => offsetOf(endOffsets!, p)) : null,
        fetchMaxBytes: o.fetchMaxBytes, partitionFetchMaxBytes: o.partitionFetchMaxBytes, readStamps: o.mode === 'e2e', statsIntervalMs,
        requestTimeoutMs: o.requestTimeoutMs, connectTimeoutMs: o.connectTimeoutMs,
      };
      handles.push(spawn(data, onStats));
    }
    await Promise.all(handles.map((h) => h.ready));

    const warmupMs = o.mode === 'consume' ? 0 : o.warmupMs;
    const startAt = epochMs() + 20;
    const measureFrom = startAt + warmupMs;
    const endAt = measureFrom + o.durationMs;
    measuredTicksFrom = Math.floor(warmupMs / statsIntervalMs);
    const producerLimits = o.records === null ? [] : shares(o.records, producerCount);
    const consumerLimits = o.records === null ? [] : shares(o.records, consumerCount);
    for (const h of handles) {
      const limits = h.data.role === 'producer' ? producerLimits : consumerLimits;
      // e2e consumers follow the producers; only --duration and the finish message end them.
      const recordLimit = o.mode === 'e2e' && h.data.role === 'consumer' ? null : (limits[h.data.workerId] ?? null);
      post(h, { kind: 'start', startAt, measureFrom, endAt: o.mode === 'e2e' && h.data.role === 'consumer' ? Infinity : endAt, recordLimit });
    }

    const mainLoad = new ThreadLoadMonitor();
    const cpuStart = process.cpuUsage();
    const wallStart = performance.now();
    let mainElu: number[] = [];
    let lastRecords = 0, lastBytes = 0, lastAt = epochMs();
    const progressTimer = o.progressIntervalMs > 0 ? setInterval(() => {
      const now = epochMs();
      const seconds = Math.max(0.001, (now - lastAt) / 1000);
      const snapshot: ProgressSnapshot = {
        what: o.mode, elapsedMs: now - startAt, warmingUp: now < measureFrom,
        remainingMs: o.records === null ? endAt - now : null,
        recordsPerSec: (cumulativeRecords - lastRecords) / seconds,
        mbPerSec: (cumulativeBytes - lastBytes) / MiB / seconds,
        p99Ms: cumulative.totalCount > 0 ? cumulative.getValueAtPercentile(99) / 1000 : null,
      };
      lastRecords = cumulativeRecords; lastBytes = cumulativeBytes; lastAt = now;
      mainElu.push(mainLoad.sample().eventLoopUtilization);
      hooks.onProgress?.(formatProgressLine(snapshot), snapshot);
    }, o.progressIntervalMs) : null;

    const producerHandles = handles.filter((h) => h.data.role === 'producer');
    const consumerHandles = handles.filter((h) => h.data.role === 'consumer');
    let producerDone: DoneMessage[] = [];
    let consumerDone: DoneMessage[] = [];
    try {
      producerDone = await Promise.all(producerHandles.map((h) => h.done));
      if (o.mode === 'e2e') {
        const ends = await listOffsets(admin, o.topic, partitions, LATEST);
        const deadline = epochMs() + 10_000;
        for (const h of consumerHandles) post(h, { kind: 'finish', endOffsets: (h.data as ConsumerWorkerData).partitions.map((p) => offsetOf(ends, p)), deadline });
      }
      consumerDone = await Promise.all(consumerHandles.map((h) => h.done));
    } finally {
      if (progressTimer) clearInterval(progressTimer);
    }
    const cpu = process.cpuUsage(cpuStart);
    const wallMs = performance.now() - wallStart;
    mainElu = mainElu.slice(measuredTicksFrom);
    mainLoad.close();

    const summarize = (done: DoneMessage[], role: 'producer' | 'consumer'): ThroughputSummary | null => {
      if (done.length === 0) return null;
      const records = done.reduce((a, d) => a + d.measuredRecords, 0);
      const bytes = done.reduce((a, d) => a + d.measuredBytes, 0);
      const firsts = done.map((d) => d.firstMeasuredAt).filter((x): x is number => x !== null);
      const lasts = done.map((d) => d.lastMeasuredAt).filter((x): x is number => x !== null);
      // The window runs from when measuring began (or, for catch-up, the first read) to the last
      // completion, so the tail of in-flight requests is inside it.
      const from = role === 'consumer' && o.mode === 'consume' ? startAt : measureFrom;
      const durationMs = lasts.length > 0 ? Math.max(1, Math.max(...lasts) - Math.min(from, ...firsts)) : 0;
      const perPartition: Record<string, number> = {};
      for (const d of done) for (const [p, n] of Object.entries(d.perPartition)) perPartition[p] = (perPartition[p] ?? 0) + n;
      return {
        records, bytes, durationMs,
        recordsPerSec: durationMs > 0 ? records / (durationMs / 1000) : 0,
        mbPerSec: durationMs > 0 ? bytes / MiB / (durationMs / 1000) : 0,
        requests: done.reduce((a, d) => a + d.requests, 0),
        errors: done.reduce((a, d) => a + d.errors, 0),
        errorSamples: done.flatMap((d) => d.errorSamples).slice(0, 5),
        totalRecords: done.reduce((a, d) => a + d.records, 0),
        perPartition,
      };
    };
    const merge = (texts: (string | null)[]) => {
      const h = newLatencyHistogram();
      for (const t of texts) if (t) h.add(decodeHistogram(t));
      return h;
    };

    const produceSummary = summarize(producerDone, 'producer');
    const consumeSummary = summarize(consumerDone, 'consumer');
    const produceHistogram = merge(producerDone.map((d) => d.histogram));
    const fetchHistogram = merge(consumerDone.map((d) => d.histogram));
    const e2eHistogram = o.mode === 'e2e' ? merge(consumerDone.map((d) => d.endToEndHistogram)) : null;

    const tickSeconds = statsIntervalMs / 1000;
    // A duration run's last tick is cut short by the end: shown per second it would look like a drop.
    const lastFullTick = o.records === null ? Math.floor((warmupMs + o.durationMs) / statsIntervalMs) - 1 : Infinity;
    const timeSeries: TimePoint[] = [...ticks.entries()].filter(([tick]) => tick <= lastFullTick).sort((a, b) => a[0] - b[0]).map(([tick, t]) => ({
      t: Math.round(((tick + 1) * statsIntervalMs - warmupMs)) / 1000,
      producedRecordsPerSec: t.produced / tickSeconds,
      producedMbPerSec: t.producedBytes / MiB / tickSeconds,
      consumedRecordsPerSec: t.consumed / tickSeconds,
      consumedMbPerSec: t.consumedBytes / MiB / tickSeconds,
      p50Ms: t.histogram ? t.histogram.getValueAtPercentile(50) / 1000 : null,
      p99Ms: t.histogram ? t.histogram.getValueAtPercentile(99) / 1000 : null,
    }));

    const warnings: string[] = [];
    let maxElu = 0, maxDelay = 0;
    for (const [key, l] of loads) {
      // The final, partial tick says little about load; leave it out.
      const elu = l.elu.slice(0, Math.max(1, l.elu.length - 1));
      const meanElu = elu.reduce((a, x) => a + x, 0) / Math.max(1, elu.length);
      const busyTicks = elu.filter((x) => x >= SATURATED_EVENT_LOOP).length;
      maxElu = Math.max(maxElu, meanElu);
      maxDelay = Math.max(maxDelay, ...l.delay);
      if (busyTicks >= 2 && busyTicks >= elu.length / 2) {
        warnings.push(`generator saturated: ${key}'s event loop was ≥${SATURATED_EVENT_LOOP * 100}% busy in ${busyTicks} of ${elu.length} s; add --producers/--consumers or the figures measure the generator`);
      }
    }
    if (maxDelay > SATURATED_LOOP_DELAY_MS) warnings.push(`a worker's event loop was delayed ${maxDelay.toFixed(0)} ms (p99 of a second): the generator stalled (CPU shared with the broker, or GC), latencies include it`);
    if (mainElu.length > 2 && mainElu.reduce((a, x) => a + x, 0) / mainElu.length >= SATURATED_EVENT_LOOP) warnings.push('the main thread was saturated adding up stats');
    const cpuCores = (cpu.user + cpu.system) / 1000 / Math.max(1, wallMs);
    const cores = availableParallelism();
    if (cpuCores >= 0.9 * cores) warnings.push(`the generator used ${cpuCores.toFixed(2)} of ${cores} cores: the broker had little CPU left`);
    if (o.rate !== null && producerDone.some((d) => d.scheduleLagMs > 1000)) warnings.push(`producers fell behind the target rate by ${Math.max(...producerDone.map((d) => d.scheduleLagMs)).toFixed(0)} ms: the rate was not reached`);
    const backlog = producerDone.reduce((n, d) => n + (d.warmupBacklogRecords ?? 0), 0);
    if (backlog > 0) warnings.push(`the warm-up ended ${backlog.toLocaleString('en-US')} records behind the target rate; they were dropped from the schedule, not counted in the measured latency (a longer --warmup, or a lower --rate)`);
    const cleanup = await cleanUp(admin, o, topic.created, partitions);
    for (const w of warnings) hooks.onWarning?.(w);

    const result: BenchResult = {
      formatVersion: RESULT_FORMAT_VERSION,
      tool: 'highwater bench',
      label: o.label,
      mode: o.mode,
      startedAt,
      options: o,
      target: { bootstrap: o.bootstrap, apiVersions },
      produce: produceSummary ? {
        ...produceSummary,
        latency: summarizeLatency(produceHistogram),
        percentiles: percentileCurve(produceHistogram),
        scheduleLagMs: Math.max(0, ...producerDone.map((d) => d.scheduleLagMs)),
      } : null,
      consume: consumeSummary ? { ...consumeSummary, fetchLatency: summarizeLatency(fetchHistogram) } : null,
      endToEnd: e2eHistogram ? { latency: summarizeLatency(e2eHistogram), percentiles: percentileCurve(e2eHistogram) } : null,
      timeSeries,
      cleanup,
      generator: {
        threads: handles.length,
        maxEventLoopUtilization: Math.round(maxElu * 1000) / 1000,
        maxEventLoopDelayP99Ms: Math.round(maxDelay * 10) / 10,
        cpuCores: Math.round(cpuCores * 100) / 100,
        availableCores: cores,
        saturated: warnings.some((w) => w.startsWith('generator saturated')),
        warnings,
      },
    };
    writeReports(result);
    return result;
  } finally {
    for (const h of handles) void h.worker.terminate();
    admin.close();
  }
}

/**
 * After the run: deletes the topic when asked to, or when the run created it and no later run
 * needs its records (an e2e run's); otherwise says how much it leaves on the broker.
 */
async function cleanUp(admin: Awaited<ReturnType<typeof connectAdmin>>, o: BenchOptions, created: boolean, partitions: number[]): Promise<BenchCleanup> {
  const out: BenchCleanup = { topic: o.topic, created, deleted: false, leftRecords: null, leftBytes: null, note: null };
  const remove = o.cleanup === 'delete' || (o.cleanup === 'auto' && created && o.mode === 'e2e');
  if (remove && admin.brokerVersions.has(ApiKey.DeleteTopics)) {
    const error = await deleteTopic(admin, o.topic).catch((err: Error) => err.message);
    if (error === null) {
      out.deleted = true;
      return out;
    }
    out.note = `could not delete topic ${o.topic}: ${error}`;
  }
  if (!admin.brokerVersions.has(ApiKey.ListOffsets)) return out;
  const [start, end] = await Promise.all([listOffsets(admin, o.topic, partitions, EARLIEST), listOffsets(admin, o.topic, partitions, LATEST)]);
  const records = end.reduce((n, e, i) => n + Number(e - start[i]!), 0);
  out.leftRecords = records;
  out.leftBytes = records * o.recordSize;
  if (o.mode !== 'consume' && !out.note) {
    out.note = `left topic ${o.topic} on the broker with ${records.toLocaleString('en-US')} records (about ${(out.leftBytes / MiB).toFixed(1)} MiB of values)` +
      `${o.mode === 'produce' ? ' for `highwater bench consume`' : ''}; remove it with: highwater topics delete ${o.topic} (or pass --delete-topic)`;
  }
  return out;
}

export function writeReports(result: BenchResult): void {
  const o = result.options;
  if (o.jsonOut) {
    mkdirSync(path.dirname(path.resolve(o.jsonOut)), { recursive: true });
    writeFileSync(o.jsonOut, `${JSON.stringify(result, null, 2)}\n`);
  }
  if (o.htmlOut) {
    mkdirSync(path.dirname(path.resolve(o.htmlOut)), { recursive: true });
    writeFileSync(o.htmlOut, renderHtmlReport([result], `highwater bench: ${result.label || result.mode}`));
  }
}
