// Test helpers for transactions on the shard side (issue 13): a raw transactional produce over our
// own client (real TCP), a marker written through the running broker's shard pool, and
// read_committed Fetch / ListOffsets that report what Kafka's fields say.
import type { KafkaConnection } from '../../src/client/kafka-connection.ts';
import type { RunningBroker } from '../../src/acceptor/start.ts';
import { ApiKey } from '../../src/protocol/generated/index.ts';
import type { FetchResponse } from '../../src/protocol/generated/fetch-response.ts';
import type { ListOffsetsResponse } from '../../src/protocol/generated/list-offsets-response.ts';
import type { ProduceResponse } from '../../src/protocol/generated/produce-response.ts';
import { ATTRIBUTE_CONTROL, forEachBatch, readAttributes } from '../../src/protocol/record-batch.ts';
import { buildRecordBatch, decodeRecordBatch, type DecodedRecord } from '../../src/protocol/records.ts';

export interface TxnProducer {
  producerId: bigint;
  producerEpoch: number;
  transactionalId: string;
  /** Next sequence per partition. */
  sequences: Map<number, number>;
}

export function txnProducer(producerId: bigint, transactionalId = `tx-${producerId}`, producerEpoch = 0): TxnProducer {
  return { producerId, producerEpoch, transactionalId, sequences: new Map() };
}

/** Produces `values` as one transactional batch (or a plain one with `transactional: false`); returns the base offset. */
export async function produceTxn(c: KafkaConnection, p: TxnProducer, topic: string, partition: number, values: string[], options: { transactional?: boolean; timestamp?: bigint } = {}): Promise<{ errorCode: number; baseOffset: bigint }> {
  const transactional = options.transactional ?? true;
  const seq = p.sequences.get(partition) ?? 0;
  const records = buildRecordBatch({
    baseTimestamp: options.timestamp ?? BigInt(Date.now()), producerId: p.producerId, producerEpoch: p.producerEpoch, baseSequence: seq, transactional,
    records: values.map((v) => ({ key: Buffer.from(v), value: Buffer.from(v) })),
  });
  const res = await c.request<ProduceResponse>(ApiKey.Produce, 9, {
    transactionalId: transactional ? p.transactionalId : null, acks: -1, timeoutMs: 5000,
    topicData: [{ name: topic, partitionData: [{ index: partition, records }] }],
  });
  const r = res.responses[0]!.partitionResponses[0]!;
  if (r.errorCode === 0) p.sequences.set(partition, seq + values.length);
  return { errorCode: r.errorCode, baseOffset: r.baseOffset };
}

/** Writes a marker through the broker's shard pool, as the transaction coordinator does. */
export async function writeMarker(b: RunningBroker, p: TxnProducer, topic: string, partition: number, commit: boolean, coordinatorEpoch = 0): Promise<{ errorCode: number; errorMessage: string }> {
  const handle = b.partitions(topic)![partition]!;
  return b.shards.writeMarker(handle.shard, handle.slot, { producerId: p.producerId, producerEpoch: p.producerEpoch, coordinatorEpoch, commit });
}

export interface CommittedFetch {
  errorCode: number;
  highWatermark: bigint;
  lastStableOffset: bigint;
  abortedTransactions: { producerId: bigint; firstOffset: bigint }[] | null;
  /** Data records (control batches left out), with their producer id. */
  records: (DecodedRecord & { producerId: bigint })[];
  /** Offsets of control batches returned. */
  markers: bigint[];
  /** The offset after the last batch returned. */
  nextOffset: bigint;
  bytes: number;
  /** The record set as served. */
  raw: Buffer;
}

export async function fetchIsolated(c: KafkaConnection, topic: string, partition: number, offset: bigint, options: { isolationLevel?: number; maxWaitMs?: number; minBytes?: number; maxBytes?: number; version?: number } = {}): Promise<CommittedFetch> {
  const maxBytes = options.maxBytes ?? 16 * 1024 * 1024;
  const res = await c.request<FetchResponse>(ApiKey.Fetch, options.version ?? 12, {
    maxWaitMs: options.maxWaitMs ?? 0, minBytes: options.minBytes ?? 0, maxBytes, isolationLevel: options.isolationLevel ?? 1,
    topics: [{ topic, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: maxBytes }] }],
  });
  const p = res.responses[0]!.partitions[0]!;
  const out: CommittedFetch = {
    errorCode: p.errorCode, highWatermark: p.highWatermark, lastStableOffset: p.lastStableOffset,
    abortedTransactions: p.abortedTransactions?.map((a) => ({ producerId: a.producerId, firstOffset: a.firstOffset })) ?? null,
    records: [], markers: [], nextOffset: offset, bytes: p.records?.length ?? 0, raw: p.records ?? Buffer.alloc(0),
  };
  if (p.records && p.records.length > 0) {
    forEachBatch(p.records, (at, size) => {
      const frame = p.records!.subarray(at, at + size);
      const batch = decodeRecordBatch(frame);
      out.nextOffset = batch.baseOffset + BigInt(batch.lastOffsetDelta) + 1n;
      if (readAttributes(frame, 0) & ATTRIBUTE_CONTROL) {
        out.markers.push(batch.baseOffset);
        return;
      }
      for (const r of batch.records) out.records.push({ ...r, producerId: batch.producerId });
    }, { origin: 'log' });
  }
  return out;
}

export async function listLatest(c: KafkaConnection, topic: string, partition: number, isolationLevel: number): Promise<bigint> {
  return (await listOffsetAt(c, topic, partition, -1n, isolationLevel)).offset;
}

/** ListOffsets v7 for one partition: latest (-1), earliest (-2), max timestamp (-3) or a timestamp. */
export async function listOffsetAt(c: KafkaConnection, topic: string, partition: number, timestamp: bigint, isolationLevel: number): Promise<{ errorCode: number; offset: bigint; timestamp: bigint }> {
  const res = await c.request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, {
    replicaId: -1, isolationLevel, topics: [{ name: topic, partitions: [{ partitionIndex: partition, timestamp }] }],
  });
  const p = res.topics[0]!.partitions[0]!;
  return { errorCode: p.errorCode, offset: p.offset, timestamp: p.timestamp };
}

/**
 * What a read_committed consumer shows, as Kafka's clients compute it: the records of a batch are
 * dropped when their producer has an aborted transaction open at that point (from
 * aborted_transactions, entered at firstOffset, left at that producer's ABORT marker).
 */
export function committedView(f: CommittedFetch): string[] {
  const frames = f.raw;
  const aborted = [...(f.abortedTransactions ?? [])].sort((a, b) => (a.firstOffset < b.firstOffset ? -1 : 1));
  const skipping = new Set<bigint>();
  const out: string[] = [];
  forEachBatch(frames, (at, size) => {
    const frame = frames.subarray(at, at + size);
    const batch = decodeRecordBatch(frame);
    while (aborted.length > 0 && aborted[0]!.firstOffset <= batch.baseOffset + BigInt(batch.lastOffsetDelta)) skipping.add(aborted.shift()!.producerId);
    if (readAttributes(frame, 0) & ATTRIBUTE_CONTROL) {
      skipping.delete(batch.producerId);
      return;
    }
    if (skipping.has(batch.producerId)) return;
    for (const r of batch.records) out.push(r.value!.toString());
  }, { origin: 'log' });
  return out;
}
