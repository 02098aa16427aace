// Pre-encoded Produce request frames for the load generator: encoded once, then per send only the
// correlation id, each batch's timestamps (and, for e2e, each value's send time) and its CRC-32C are
// patched in place. No records are encoded or compressed on the hot path.
import { readFileSync } from 'node:fs';
import { ApiKey } from '../../src/protocol/generated/index.ts';
import { buildRecordBatch } from '../../src/protocol/records.ts';
import type { CompressionCodec } from '../../src/protocol/compression.ts';
import {
  BASE_TIMESTAMP_POSITION,
  CRC_POSITION,
  MAX_TIMESTAMP_POSITION,
  computeBatchCrc,
} from '../../src/protocol/record-batch.ts';
import { encodeRequestFrame } from './wire.ts';

/**
 * Values like kafka-producer-perf-test's: random upper-case letters, so compression sees text
 * that shrinks about as much as it does for Kafka's own tool. With a payload file, its bytes are cut
 * into recordSize slices, used in turn (the last slice wraps to the start).
 */
export function makePayloads(recordSize: number, count: number, payloadFile: string | null, seed = 1): Buffer[] {
  if (payloadFile !== null) {
    const source = readFileSync(payloadFile);
    if (source.length === 0) throw new Error(`payload file ${payloadFile} is empty`);
    const slices: Buffer[] = [];
    for (let i = 0; i < count; i++) {
      const value = Buffer.allocUnsafe(recordSize);
      for (let filled = 0, from = (i * recordSize) % source.length; filled < recordSize;) {
        const n = source.copy(value, filled, from, Math.min(source.length, from + recordSize - filled));
        filled += n;
        from = 0;
      }
      slices.push(value);
    }
    return slices;
  }
  // A fixed seed keeps payloads (and so compressed sizes) the same from run to run.
  let state = seed >>> 0 || 1;
  const payloads: Buffer[] = [];
  for (let i = 0; i < count; i++) {
    const value = Buffer.allocUnsafe(recordSize);
    for (let j = 0; j < recordSize; j++) {
      state ^= state << 13; state >>>= 0;
      state ^= state >>> 17;
      state ^= state << 5; state >>>= 0;
      value[j] = 65 + (state % 26);
    }
    payloads.push(value);
  }
  return payloads;
}

/** A tag no A-Z payload byte can form: marks where each value starts in the encoded batch. */
function valueMarker(index: number): Buffer {
  const marker = Buffer.alloc(8);
  marker.writeUInt32BE(0xfffefdfc, 0);
  marker.writeUInt32BE(index, 4);
  return marker;
}

export interface ProduceFrameSpec {
  produceVersion: number;
  topic: string;
  partitions: readonly number[];
  recordsPerBatch: number;
  acks: number;
  timeoutMs: number;
  compression: CompressionCodec;
  payloads: readonly Buffer[];
  /** Records per partition when they differ (the last request of a --records run). */
  recordCounts?: readonly number[];
  /** Put the send time (epoch ms, float64) in the first 8 bytes of every value, for e2e latency. */
  stampValues: boolean;
  /** Give records keys, `key-<i mod keys>` by their place in the batch (a compacted topic refuses keyless ones); absent: no keys. */
  keys?: number;
}

export interface ProduceFrame {
  frame: Buffer;
  partitions: readonly number[];
  /** Records in each partition's batch, in the order of partitions. */
  counts: readonly number[];
  /** Start of each partition's batch in the frame (its base offset field). */
  batchPositions: number[];
  /** Per batch, where each value starts in the frame; empty unless values are stamped in place. */
  valuePositions: number[][];
  records: number;
  payloadBytes: number;
}

/**
 * One Produce request: a batch of recordsPerBatch records (or recordCounts[i]) for every partition
 * in the spec. When
 * values must be stamped and the batch is compressed, patching is impossible, so `rebuild` is true
 * and the caller asks for a new frame per send (e2e at a moderate rate only).
 */
export function buildProduceFrame(spec: ProduceFrameSpec, nowMs = Date.now()): ProduceFrame & { rebuild: boolean } {
  if (spec.recordCounts && spec.recordCounts.length !== spec.partitions.length) throw new RangeError('one record count per partition');
  const stampInPlace = spec.stampValues && spec.compression === 'none';
  const batches: Buffer[] = [];
  let payloadIndex = 0;
  for (let b = 0; b < spec.partitions.length; b++) {
    const records = [];
    const count = spec.recordCounts?.[b] ?? spec.recordsPerBatch;
    for (let i = 0; i < count; i++) {
      const value = Buffer.from(spec.payloads[payloadIndex++ % spec.payloads.length]!);
      if (stampInPlace) valueMarker(i).copy(value, 0);
      else if (spec.stampValues) value.writeDoubleBE(epochMs(), 0);
      records.push({ key: spec.keys ? Buffer.from(`key-${i % spec.keys}`) : null, value });
    }
    batches.push(buildRecordBatch({ baseTimestamp: BigInt(nowMs), records, compression: spec.compression }));
  }
  const frame = encodeRequestFrame(ApiKey.Produce, spec.produceVersion, {
    transactionalId: null,
    acks: spec.acks,
    timeoutMs: spec.timeoutMs,
    topicData: [{ name: spec.topic, partitionData: spec.partitions.map((index, b) => ({ index, records: batches[b] })) }],
  });
  const batchPositions: number[] = [];
  const valuePositions: number[][] = [];
  let from = 0;
  const counts = batches.map((_, b) => spec.recordCounts?.[b] ?? spec.recordsPerBatch);
  for (let b = 0; b < batches.length; b++) {
    const batch = batches[b]!;
    const at = frame.indexOf(batch, from);
    if (at < 0) throw new Error('bench bug: a batch is missing from its encoded request');
    batchPositions.push(at);
    from = at + batch.length;
    const positions: number[] = [];
    if (stampInPlace) {
      let search = at;
      for (let i = 0; i < counts[b]!; i++) {
        const v = frame.indexOf(valueMarker(i), search);
        if (v < 0 || v >= at + batch.length) throw new Error('bench bug: a value marker is missing');
        positions.push(v);
        search = v + 8;
      }
    }
    valuePositions.push(positions);
  }
  const records = counts.reduce((a, c) => a + c, 0);
  return {
    frame, partitions: spec.partitions, counts, batchPositions, valuePositions, records,
    payloadBytes: records * spec.payloads[0]!.length, rebuild: spec.stampValues && !stampInPlace,
  };
}

/** Epoch milliseconds with sub-millisecond resolution, comparable between threads. */
export function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Runs `run` once epochMs() has reached `at`: timers may fire a little early, so check again. */
export function atEpoch(at: number, run: () => void): void {
  const wait = at - epochMs();
  if (wait <= 0) run();
  else setTimeout(() => atEpoch(at, run), Math.ceil(wait));
}

/**
 * Makes a sent copy of the template fresh: timestamps of now, send time in each value, new CRCs.
 * Kafka (and Highwater) check the CRC, so every patch must be followed by a recomputation.
 */
export function refreshProduceFrame(pf: ProduceFrame, nowMs: number, stampMs: number): void {
  const { frame } = pf;
  const timestamp = BigInt(Math.floor(nowMs));
  for (let b = 0; b < pf.batchPositions.length; b++) {
    const at = pf.batchPositions[b]!;
    const shift = timestamp - frame.readBigInt64BE(at + BASE_TIMESTAMP_POSITION);
    frame.writeBigInt64BE(timestamp, at + BASE_TIMESTAMP_POSITION);
    frame.writeBigInt64BE(frame.readBigInt64BE(at + MAX_TIMESTAMP_POSITION) + shift, at + MAX_TIMESTAMP_POSITION);
    const values = pf.valuePositions[b]!;
    for (let i = 0; i < values.length; i++) frame.writeDoubleBE(stampMs, values[i]!);
    frame.writeUInt32BE(computeBatchCrc(frame, at), at + CRC_POSITION);
  }
}

/** Spreads `total` records over partitions as evenly as whole numbers allow, dropping empty ones. */
export function splitRecords(total: number, partitions: readonly number[]): { partitions: number[]; counts: number[] } {
  const base = Math.floor(total / partitions.length);
  const extra = total % partitions.length;
  const out = { partitions: [] as number[], counts: [] as number[] };
  partitions.forEach((p, i) => {
    const n = base + (i < extra ? 1 : 0);
    if (n > 0) { out.partitions.push(p); out.counts.push(n); }
  });
  return out;
}
