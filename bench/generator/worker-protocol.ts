// Messages between `highwater bench`'s main thread and its producer/consumer worker threads, and
// the per-thread load monitor every one of them runs. Stats travel once per tick, never per record.
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import * as hdr from 'hdr-histogram-js';
import type { CompressionCodec } from '../../src/protocol/compression.ts';

/** Latencies are recorded in microseconds; 10 minutes is the most a histogram tracks. */
export const LATENCY_UNIT_PER_MS = 1000;
export const HIGHEST_TRACKABLE_LATENCY_US = 600_000_000;

export function newLatencyHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: HIGHEST_TRACKABLE_LATENCY_US, numberOfSignificantValueDigits: 3 });
}

export function recordLatencyUs(h: hdr.Histogram, us: number, count = 1): void {
  const v = Math.min(HIGHEST_TRACKABLE_LATENCY_US, Math.max(1, Math.round(us)));
  if (count === 1) h.recordValue(v);
  else h.recordValueWithCount(v, count);
}

export interface ProducerWorkerData {
  role: 'producer';
  workerId: number;
  host: string;
  port: number;
  topic: string;
  partitions: number[];
  produceVersion: number;
  acks: number;
  recordSize: number;
  recordsPerBatch: number;
  compression: CompressionCodec;
  payloadFile: string | null;
  maxInFlight: number;
  /** Records per second for this worker; null: unthrottled. */
  rate: number | null;
  stampValues: boolean;
  statsIntervalMs: number;
  /** Keyed records (bench/compaction-produce.ts); absent: keyless. */
  keys?: number;
  /** A request unanswered this long fails the connection (--request-timeout). */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export interface ConsumerWorkerData {
  role: 'consumer';
  workerId: number;
  host: string;
  port: number;
  topic: string;
  partitions: number[];
  fetchVersion: number;
  /** Where each partition starts (same order as partitions). */
  startOffsets: string[];
  /** Where catch-up reading stops; null: read live until told to finish (e2e). */
  endOffsets: string[] | null;
  fetchMaxBytes: number;
  partitionFetchMaxBytes: number;
  /** Decode values and take their send time (e2e). */
  readStamps: boolean;
  statsIntervalMs: number;
  /** A request unanswered this long fails the connection (--request-timeout). */
  requestTimeoutMs?: number;
  connectTimeoutMs?: number;
}

export type WorkerData = ProducerWorkerData | ConsumerWorkerData;

/** Main → worker. Times are epoch milliseconds (see epochMs), the same clock in every thread. */
export type ControlMessage =
  | { kind: 'start'; startAt: number; measureFrom: number; endAt: number; recordLimit: number | null }
  /** e2e consumers: stop once these offsets (per partition, worker order) are read, or at deadline. */
  | { kind: 'finish'; endOffsets: string[]; deadline: number }
  | { kind: 'stop' };

export interface ThreadLoad {
  /** Share of the interval the event loop was busy (0..1). */
  eventLoopUtilization: number;
  eventLoopDelayP99Ms: number;
  /** CPU time this thread used in the interval. */
  cpuMs: number;
}

export interface StatsMessage {
  kind: 'stats';
  workerId: number;
  role: 'producer' | 'consumer';
  /** Which tick of statsIntervalMs since startAt this covers. */
  tick: number;
  records: number;
  bytes: number;
  measuredRecords: number;
  measuredBytes: number;
  requests: number;
  errors: number;
  /** Interval latencies (µs) of what counts: produce acks, fetches, or produce→consume. */
  histogram: string | null;
  load: ThreadLoad;
}

export interface DoneMessage {
  kind: 'done';
  workerId: number;
  role: 'producer' | 'consumer';
  records: number;
  bytes: number;
  measuredRecords: number;
  measuredBytes: number;
  requests: number;
  errors: number;
  errorSamples: string[];
  /** Records acknowledged (producer) or read (consumer), per partition. */
  perPartition: Record<number, number>;
  /** Epoch ms of the first and last measured completion. */
  firstMeasuredAt: number | null;
  lastMeasuredAt: number | null;
  histogram: string;
  /** consumer, e2e: produce→consume latencies (µs) of measured records. */
  endToEndHistogram: string | null;
  /** Throttled producers: how far behind schedule the last send was, ms. */
  scheduleLagMs: number;
  /** Throttled producers: records still unsent when the warm-up ended, dropped from the schedule rather than measured. */
  warmupBacklogRecords?: number;
}

export type WorkerMessage = { kind: 'ready'; workerId: number } | StatsMessage | DoneMessage | { kind: 'error'; workerId: number; message: string };

export function encodeHistogram(h: hdr.Histogram): string {
  return hdr.encodeIntoCompressedBase64(h);
}

export function decodeHistogram(text: string): hdr.Histogram {
  return hdr.decodeFromCompressedBase64(text);
}

/** Event-loop utilization, event-loop delay and CPU of the calling thread, per interval. */
export class ThreadLoadMonitor {
  #elu = performance.eventLoopUtilization();
  readonly #delay = monitorEventLoopDelay({ resolution: 10 });
  #cpu = process.threadCpuUsage();

  constructor() {
    this.#delay.enable();
  }

  sample(): ThreadLoad {
    const elu = performance.eventLoopUtilization(this.#elu);
    this.#elu = performance.eventLoopUtilization();
    const cpu = process.threadCpuUsage(this.#cpu);
    this.#cpu = process.threadCpuUsage();
    const delayP99Ms = this.#delay.count > 0 ? this.#delay.percentile(99) / 1e6 : 0;
    this.#delay.reset();
    return { eventLoopUtilization: elu.utilization, eventLoopDelayP99Ms: delayP99Ms, cpuMs: (cpu.user + cpu.system) / 1000 };
  }

  close(): void {
    this.#delay.disable();
  }
}
