// A producer thread of `highwater bench`: one connection, pre-encoded Produce frames patched and
// re-sent, up to maxInFlight unanswered at once, unthrottled or paced to a rate.
import { parentPort, workerData } from 'node:worker_threads';
import type * as hdr from 'hdr-histogram-js';
import { errorName } from '../../src/protocol/errors.ts';
import { ApiKey } from '../../src/protocol/generated/index.ts';
import type { ProduceResponse } from '../../src/protocol/generated/produce-response.ts';
import { PipelinedConnection } from './wire.ts';
import { RateSchedule } from './schedule.ts';
import { atEpoch, buildProduceFrame, epochMs, makePayloads, refreshProduceFrame, splitRecords, type ProduceFrame, type ProduceFrameSpec } from './produce-frames.ts';
import {
  LATENCY_UNIT_PER_MS, ThreadLoadMonitor, encodeHistogram, newLatencyHistogram, recordLatencyUs,
  type ControlMessage, type DoneMessage, type ProducerWorkerData, type StatsMessage, type WorkerMessage,
} from './worker-protocol.ts';

const data = workerData as ProducerWorkerData;
const port = parentPort!;
const post = (m: WorkerMessage) => port.postMessage(m);

const spec: ProduceFrameSpec = {
  produceVersion: data.produceVersion,
  topic: data.topic,
  partitions: data.partitions,
  recordsPerBatch: data.recordsPerBatch,
  acks: data.acks,
  timeoutMs: 30_000,
  compression: data.compression,
  payloads: makePayloads(data.recordSize, Math.max(1, data.recordsPerBatch * data.partitions.length), data.payloadFile, data.workerId + 1),
  stampValues: data.stampValues,
  keys: data.keys,
};

const template = buildProduceFrame(spec);
// One frame per request that can be on the wire at once, plus one being patched: a frame is
// reused only after its answer (or, for acks=0, its write) says the socket is done with it.
const freeFrames: InFlightFrame[] = [];
for (let i = 0; i <= data.maxInFlight; i++) freeFrames.push({ ...template, frame: Buffer.from(template.frame), reusable: true });

const monitor = new ThreadLoadMonitor();
let connection: PipelinedConnection;

// Totals since the start, then what the current tick and the measured window saw.
let records = 0, bytes = 0, requests = 0, errors = 0;
let measuredRecords = 0, measuredBytes = 0;
let tickRecords = 0, tickBytes = 0, tickMeasuredRecords = 0, tickMeasuredBytes = 0, tickRequests = 0, tickErrors = 0;
let firstMeasuredAt: number | null = null, lastMeasuredAt: number | null = null;
const histogram = newLatencyHistogram();
let tickHistogram: hdr.Histogram = newLatencyHistogram();
const perPartition: Record<number, number> = {};
const errorSamples: string[] = [];
for (const p of data.partitions) perPartition[p] = 0;

let startAt = 0, measureFrom = 0, endAt = 0;
let recordLimit: number | null = null;
let sentRecords = 0, sentRequests = 0, inFlight = 0;
let stopping = false, finished = false;
let pumpTimer: NodeJS.Timeout | null = null;
let scheduleLagMs = 0;
// At a target rate each request has a due time; latency counts from it, not from the actual
// send, so a stalled broker cannot hide its stall by holding the generator back.
const requestIntervalMs = data.rate === null ? 0 : (template.records / data.rate) * 1000;
let schedule: RateSchedule | null = null;

function noteError(message: string): void {
  errors++;
  tickErrors++;
  if (errorSamples.length < 5) errorSamples.push(message);
}

interface InFlightFrame extends ProduceFrame {
  /** Back to the pool once answered; false for frames built for one send. */
  reusable: boolean;
}

function complete(pf: InFlightFrame, origin: number, response: ProduceResponse | null, error: Error | null): void {
  inFlight--;
  if (pf.reusable) freeFrames.push(pf);
  const now = epochMs();
  if (error) {
    noteError(error.message);
    stopping = true;
    pump();
    return;
  }
  let okRecords = 0;
  if (response) {
    for (const t of response.responses) {
      for (const p of t.partitionResponses) {
        const count = pf.counts[pf.partitions.indexOf(p.index)] ?? 0;
        if (p.errorCode !== 0) {
          noteError(`partition ${p.index}: ${errorName(p.errorCode)}${p.errorMessage ? ` ${p.errorMessage}` : ''}`);
          continue;
        }
        okRecords += count;
        perPartition[p.index] = (perPartition[p.index] ?? 0) + count;
      }
    }
  } else {
    // acks=0: nothing comes back, so "done" means written to the socket.
    okRecords = pf.records;
    pf.partitions.forEach((p, i) => { perPartition[p] = (perPartition[p] ?? 0) + pf.counts[i]!; });
  }
  const okBytes = okRecords * data.recordSize;
  records += okRecords; bytes += okBytes; requests++;
  tickRecords += okRecords; tickBytes += okBytes; tickRequests++;
  if (origin >= measureFrom) {
    measuredRecords += okRecords; measuredBytes += okBytes;
    tickMeasuredRecords += okRecords; tickMeasuredBytes += okBytes;
    firstMeasuredAt ??= now;
    lastMeasuredAt = now;
    // Weighted by records, so percentiles are per record as in kafka-producer-perf-test.
    if (response && okRecords > 0) {
      const us = (now - origin) * LATENCY_UNIT_PER_MS;
      recordLatencyUs(histogram, us, okRecords);
      recordLatencyUs(tickHistogram, us, okRecords);
    }
  }
  pump();
}

function takeFrame(recordsLeft: number | null): InFlightFrame | null {
  if (recordsLeft !== null && recordsLeft < template.records) {
    // The last request of a --records run carries exactly what is left, encoded once.
    const { partitions, counts } = splitRecords(recordsLeft, data.partitions);
    return { ...buildProduceFrame({ ...spec, partitions, recordCounts: counts }), reusable: false };
  }
  if (template.rebuild) return { ...buildProduceFrame(spec), reusable: false };
  return freeFrames.pop() ?? null;
}

function pump(): void {
  if (finished) return;
  while (!stopping) {
    const now = epochMs();
    if (now >= endAt) { stopping = true; break; }
    if (recordLimit !== null && sentRecords >= recordLimit) { stopping = true; break; }
    if (inFlight >= data.maxInFlight) return;
    let origin = now;
    if (requestIntervalMs > 0) {
      schedule ??= new RateSchedule(startAt, requestIntervalMs);
      const dropped = schedule.droppedRequests;
      const due = schedule.due(sentRequests, now, measureFrom);
      // The lag the report shows is the measured window's, not the warm-up's.
      if (schedule.droppedRequests !== dropped) scheduleLagMs = 0;
      if (due > now) {
        if (pumpTimer === null) pumpTimer = setTimeout(() => { pumpTimer = null; pump(); }, Math.max(0, due - now));
        return;
      }
      origin = due;
      scheduleLagMs = now - due;
    }
    const pf = takeFrame(recordLimit === null ? null : recordLimit - sentRecords);
    if (pf === null) return;
    // The e2e stamp is the due time too, so produce→consume latency counts the same waiting as
    // the produce latency does and is never below it.
    refreshProduceFrame(pf, now, origin);
    sentRecords += pf.records;
    sentRequests++;
    inFlight++;
    if (data.acks === 0) {
      connection.sendFrame(pf.frame, ApiKey.Produce, data.produceVersion, null, () => complete(pf, origin, null, null));
    } else {
      connection.sendFrame(pf.frame, ApiKey.Produce, data.produceVersion, (response, error) => {
        complete(pf, origin, response as ProduceResponse | null, error);
      });
    }
  }
  if (stopping && inFlight === 0) finish();
}

function tick(index: number): StatsMessage {
  const m: StatsMessage = {
    kind: 'stats', workerId: data.workerId, role: 'producer', tick: index,
    records: tickRecords, bytes: tickBytes, measuredRecords: tickMeasuredRecords, measuredBytes: tickMeasuredBytes,
    requests: tickRequests, errors: tickErrors,
    histogram: tickHistogram.totalCount > 0 ? encodeHistogram(tickHistogram) : null,
    load: monitor.sample(),
  };
  tickRecords = tickBytes = tickMeasuredRecords = tickMeasuredBytes = tickRequests = tickErrors = 0;
  tickHistogram = newLatencyHistogram();
  return m;
}

let ticker: NodeJS.Timeout | null = null;
let tickIndex = 0;

function finish(): void {
  if (finished) return;
  finished = true;
  if (ticker) clearInterval(ticker);
  if (pumpTimer) clearTimeout(pumpTimer);
  post(tick(tickIndex));
  const done: DoneMessage = {
    kind: 'done', workerId: data.workerId, role: 'producer',
    records, bytes, measuredRecords, measuredBytes, requests, errors, errorSamples, perPartition,
    firstMeasuredAt, lastMeasuredAt, histogram: encodeHistogram(histogram), endToEndHistogram: null, scheduleLagMs,
    warmupBacklogRecords: (schedule?.droppedRequests ?? 0) * template.records,
  };
  post(done);
  monitor.close();
  connection.close();
}

port.on('message', (m: ControlMessage) => {
  if (m.kind === 'start') {
    startAt = m.startAt;
    measureFrom = m.measureFrom;
    endAt = m.endAt;
    recordLimit = m.recordLimit;
    const begin = () => {
      // Ticks are aligned to startAt so the main thread can add up every worker's tick n.
      ticker = setInterval(() => post(tick(tickIndex++)), data.statsIntervalMs);
      pump();
    };
    atEpoch(startAt, begin);
  } else if (m.kind === 'stop') {
    stopping = true;
    if (inFlight === 0) finish();
  }
});

try {
  connection = await PipelinedConnection.connect(data.host, data.port, data.requestTimeoutMs, data.connectTimeoutMs);
  connection.onClose = (err) => {
    if (!finished && !stopping) noteError(err.message);
    stopping = true;
  };
  post({ kind: 'ready', workerId: data.workerId });
} catch (err) {
  post({ kind: 'error', workerId: data.workerId, message: (err as Error).message });
}
