// Reads a partition back over the Kafka protocol with our own client (real TCP), decoding every
// record, so tests can check exactly-once and contiguity without a consumer group.
import { KafkaConnection, parseHostPort } from '../../src/client/kafka-connection.ts';
import { ApiKey } from '../../src/protocol/generated/index.ts';
import type { FetchResponse } from '../../src/protocol/generated/fetch-response.ts';
import type { ListOffsetsResponse } from '../../src/protocol/generated/list-offsets-response.ts';
import { decodeRecordBatch, type DecodedRecord } from '../../src/protocol/records.ts';
import { forEachBatch } from '../../src/protocol/record-batch.ts';

export async function connect(bootstrap: string): Promise<KafkaConnection> {
  const { host, port } = parseHostPort(bootstrap);
  return KafkaConnection.connect(host, port, { clientId: 'highwater-test-reader' });
}

export interface FetchedPartition {
  records: DecodedRecord[];
  highWatermark: bigint;
  errorCode: number;
}

/** One Fetch of one partition (topic by name, Fetch v12). */
export async function fetchOnce(c: KafkaConnection, topic: string, partition: number, offset: bigint, options: { maxWaitMs?: number; minBytes?: number; maxBytes?: number } = {}): Promise<FetchedPartition> {
  const res = await c.request<FetchResponse>(ApiKey.Fetch, 12, {
    maxWaitMs: options.maxWaitMs ?? 0, minBytes: options.minBytes ?? 0, maxBytes: options.maxBytes ?? 16 * 1024 * 1024, isolationLevel: 0,
    topics: [{ topic, partitions: [{ partition, fetchOffset: offset, partitionMaxBytes: options.maxBytes ?? 16 * 1024 * 1024 }] }],
  });
  const p = res.responses[0]!.partitions[0]!;
  const records: DecodedRecord[] = [];
  if (p.records && p.records.length > 0) {
    const walk = forEachBatch(p.records, (at, size) => {
      for (const r of decodeRecordBatch(p.records!.subarray(at, at + size)).records) records.push(r);
    }, { origin: 'log' });
    if (walk.status !== 'complete') throw new Error(`fetch returned a ${walk.status} batch sequence`);
  }
  return { records, highWatermark: p.highWatermark, errorCode: p.errorCode };
}

/** Every record from `from` to the high watermark; fails on any error. */
export async function readAll(bootstrap: string, topic: string, partition: number, from = 0n): Promise<DecodedRecord[]> {
  const c = await connect(bootstrap);
  try {
    const out: DecodedRecord[] = [];
    let offset = from;
    for (;;) {
      const f = await fetchOnce(c, topic, partition, offset);
      if (f.errorCode !== 0) throw new Error(`fetch error ${f.errorCode} at ${offset}`);
      for (const r of f.records) {
        if (r.offset < offset) continue;
        if (r.offset >= f.highWatermark) throw new Error(`record ${r.offset} at or past the HWM ${f.highWatermark}`);
        out.push(r);
        offset = r.offset + 1n;
      }
      if (offset >= f.highWatermark) return out;
      if (f.records.length === 0) throw new Error(`empty fetch below the HWM at ${offset}`);
    }
  } finally {
    c.close();
  }
}

export async function listOffset(c: KafkaConnection, topic: string, partition: number, timestamp: bigint): Promise<{ offset: bigint; timestamp: bigint; errorCode: number }> {
  const res = await c.request<ListOffsetsResponse>(ApiKey.ListOffsets, 7, {
    replicaId: -1, isolationLevel: 0, topics: [{ name: topic, partitions: [{ partitionIndex: partition, timestamp }] }],
  });
  const p = res.topics[0]!.partitions[0]!;
  return { offset: p.offset, timestamp: p.timestamp, errorCode: p.errorCode };
}
