// A consumer thread of `highwater bench`: fetches its assigned partitions over one connection,
// either catching up from given offsets to a fixed end (consume) or following the log live and
// timing each record from its send time in the value (e2e).
import { parentPort, workerData } from 'node:worker_threads';
import type * as hdr from 'hdr-histogram-js';
import { errorName } from '../../src/protocol/errors.ts';
import { ApiKey } from '../../src/protocol/generated/index.ts';
import type { FetchResponse } from '../../src/protocol/generated/fetch-response.ts';
import {
  LAST_OFFSET_DELTA_POSITION, LOG_OVERHEAD, readBaseOffset, readBatchSize, readRecordCount,
} from '../../src/protocol/record-batch.ts';
import { decodeRecordBatch } from '../../src/protocol/records.ts';
import { PipelinedConnection, encodeRequestFrame } from './wire.ts';
import { atEpoch, epochMs } from './produce-frames.ts';
import {
  LATENCY_UNIT_PER_MS, ThreadLoadMonitor, encodeHistogram, newLatencyHistogram, recordLatencyUs,
  type ConsumerWorkerData, type ControlMessage, type DoneMessage, type StatsMessage, type WorkerMessage,
} from './worker-protocol.ts';

const data = workerData as ConsumerWorkerData;
const port = parentPort!;
const post = (m: WorkerMessage) => port.postMessage(m);

const monitor = new ThreadLoadMonitor();
let connection: PipelinedConnection;

const fetchOffsets = new Map<number, bigint>();
let endOffsets: Map<number, bigint> | null = null;
data.partitions.forEach((p, i) => fetchOffsets.set(p, BigInt(data.startOffsets[i]!)));
if (data.endOffsets) endOffsets = new Map(data.partitions.map((p, i) => [p, BigInt(data.endOffsets![i]!)]));

let records = 0, bytes = 0, requests = 0, errors = 0;
let measuredRecords = 0, measuredBytes = 0;
let tickRecords = 0, tickBytes = 0, tickMeasuredRecords = 0, tickMeasuredBytes = 0, tickRequests = 0, tickErrors = 0;
let firstMeasuredAt: number | null = null, lastMeasuredAt: number | null = null;
// Fetch latencies (request to answer) for every mode; e2e adds produce→consume latencies.
const fetchHistogram = newLatencyHistogram();
let tickHistogram: hdr.Histogram = newLatencyHistogram();
const endToEndHistogram = data.readStamps ? newLatencyHistogram() : null;
const perPartition: Record<number, number> = {};
const errorSamples: string[] = [];
for (const p of data.partitions) perPartition[p] = 0;

let measureFrom = 0, endAt = Infinity;
let recordLimit: number | null = null;
let finishDeadline = Infinity;
let stopping = false, finished = false;

function noteError(message: string): void {
  errors++;
  tickErrors++;
  if (errorSamples.length < 5) errorSamples.push(message);
}

function caughtUp(p: number): boolean {
  return endOffsets !== null && fetchOffsets.get(p)! >= endOffsets.get(p)!;
}

function fetchBody(partitions: number[]) {
  return {
    replicaId: -1,
    maxWaitMs: endOffsets === null || data.readStamps ? 500 : 100,
    minBytes: 1,
    maxBytes: data.fetchMaxBytes,
    isolationLevel: 0,
    sessionId: 0,
    sessionEpoch: -1,
    topics: [{
      topic: data.topic,
      partitions: partitions.map((partition) => ({
        partition, currentLeaderEpoch: -1, fetchOffset: fetchOffsets.get(partition)!, lastFetchedEpoch: -1,
        logStartOffset: -1n, partitionMaxBytes: data.partitionFetchMaxBytes,
      })),
    }],
    forgottenTopicsData: [],
    rackId: '',
  };
}

/** Counts (and for e2e, times) the whole batches in one partition's records; returns records read. */
function readPartition(partition: number, buf: Buffer, now: number): number {
  let from = fetchOffsets.get(partition)!;
  const end = endOffsets?.get(partition) ?? null;
  let read = 0;
  let readBytes = 0;
  // e2e counts a record as measured by its send time, so warm-up records read late do not count.
  let stampedMeasured = 0, stampedMeasuredBytes = 0;
  let position = 0;
  // A fetch may end in the middle of a batch (Kafka cuts at max bytes): only whole ones count.
  while (buf.length - position >= LOG_OVERHEAD + 49) {
    const size = readBatchSize(buf, position);
    if (size > buf.length - position) break;
    const baseOffset = readBaseOffset(buf, position);
    const lastOffset = baseOffset + BigInt(buf.readInt32BE(position + LAST_OFFSET_DELTA_POSITION));
    if (lastOffset >= from) {
      const firstWanted = baseOffset > from ? baseOffset : from;
      const lastWanted = end !== null && lastOffset >= end ? end - 1n : lastOffset;
      // Offsets in a batch are contiguous unless compacted, which a bench topic never is.
      const count = lastWanted >= firstWanted ? Number(lastWanted - firstWanted + 1n) : 0;
      const inBatch = readRecordCount(buf, position);
      read += count;
      readBytes += inBatch > 0 ? Math.round((size * count) / inBatch) : 0;
      if (endToEndHistogram && count > 0) {
        for (const r of decodeRecordBatch(buf, position).records) {
          if (r.offset < firstWanted || r.offset > lastWanted || r.value === null || r.value.length < 8) continue;
          const sentAt = r.value.readDoubleBE(0);
          if (sentAt < measureFrom) continue;
          stampedMeasured++;
          stampedMeasuredBytes += Math.round(size / inBatch);
          const us = (now - sentAt) * LATENCY_UNIT_PER_MS;
          recordLatencyUs(endToEndHistogram, us);
          recordLatencyUs(tickHistogram, us);
        }
      }
      from = lastOffset + 1n;
    }
    position += size;
  }
  fetchOffsets.set(partition, from);
  records += read; bytes += readBytes;
  tickRecords += read; tickBytes += readBytes;
  perPartition[partition] = (perPartition[partition] ?? 0) + read;
  const measured = endToEndHistogram ? stampedMeasured : now >= measureFrom ? read : 0;
  const measuredReadBytes = endToEndHistogram ? stampedMeasuredBytes : now >= measureFrom ? readBytes : 0;
  if (measured > 0) {
    measuredRecords += measured; measuredBytes += measuredReadBytes;
    tickMeasuredRecords += measured; tickMeasuredBytes += measuredReadBytes;
    firstMeasuredAt ??= now;
    lastMeasuredAt = now;
  }
  return read;
}

function shouldStop(now: number): boolean {
  if (stopping) return true;
  if (now >= endAt || now >= finishDeadline) return true;
  if (recordLimit !== null && records >= recordLimit) return true;
  return endOffsets !== null && data.partitions.every(caughtUp);
}

function fetchLoop(): void {
  if (finished) return;
  const now = epochMs();
  if (shouldStop(now)) {
    finish();
    return;
  }
  const wanted = data.partitions.filter((p) => !caughtUp(p));
  const sentAt = epochMs();
  const errorsBefore = errors;
  const frame = encodeRequestFrame(ApiKey.Fetch, data.fetchVersion, fetchBody(wanted));
  connection.sendFrame(frame, ApiKey.Fetch, data.fetchVersion, (response, error) => {
    const at = epochMs();
    requests++;
    tickRequests++;
    if (error) {
      noteError(error.message);
      finish();
      return;
    }
    const res = response as FetchResponse;
    if (res.errorCode !== 0) noteError(`fetch: ${errorName(res.errorCode)}`);
    for (const t of res.responses) {
      for (const p of t.partitions) {
        if (p.errorCode !== 0) {
          noteError(`partition ${p.partitionIndex}: ${errorName(p.errorCode)}`);
          continue;
        }
        if (p.records && p.records.length > 0) readPartition(p.partitionIndex, p.records, at);
      }
    }
    if (at >= measureFrom) {
      recordLatencyUs(fetchHistogram, (at - sentAt) * LATENCY_UNIT_PER_MS);
      // e2e ticks carry produce→consume latencies instead (readPartition records them).
      if (!data.readStamps) recordLatencyUs(tickHistogram, (at - sentAt) * LATENCY_UNIT_PER_MS);
    }
    // An error answer comes back at once; pausing keeps a broken partition from spinning a core.
    if (res.errorCode !== 0 || errorsBefore !== errors) setTimeout(fetchLoop, 50);
    else fetchLoop();
  });
}

function tick(index: number): StatsMessage {
  const m: StatsMessage = {
    kind: 'stats', workerId: data.workerId, role: 'consumer', tick: index,
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
  post(tick(tickIndex));
  const done: DoneMessage = {
    kind: 'done', workerId: data.workerId, role: 'consumer',
    records, bytes, measuredRecords, measuredBytes, requests, errors, errorSamples, perPartition,
    firstMeasuredAt, lastMeasuredAt, histogram: encodeHistogram(fetchHistogram),
    endToEndHistogram: endToEndHistogram ? encodeHistogram(endToEndHistogram) : null, scheduleLagMs: 0,
  };
  post(done);
  monitor.close();
  connection.close();
}

port.on('message', (m: ControlMessage) => {
  if (m.kind === 'start') {
    measureFrom = m.measureFrom;
    endAt = m.endAt;
    recordLimit = m.recordLimit;
    atEpoch(m.startAt, () => {
      ticker = setInterval(() => post(tick(tickIndex++)), data.statsIntervalMs);
      fetchLoop();
    });
  } else if (m.kind === 'finish') {
    endOffsets = new Map(data.partitions.map((p, i) => [p, BigInt(m.endOffsets[i]!)]));
    finishDeadline = m.deadline;
    // The fetch in flight is a long poll; when it returns, fetchLoop sees the new end.
  } else if (m.kind === 'stop') {
    stopping = true;
  }
});

try {
  connection = await PipelinedConnection.connect(data.host, data.port, data.requestTimeoutMs, data.connectTimeoutMs);
  post({ kind: 'ready', workerId: data.workerId });
} catch (err) {
  post({ kind: 'error', workerId: data.workerId, message: (err as Error).message });
}
