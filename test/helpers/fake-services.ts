// In-memory HandlerServices for handler unit tests: no shards, no disk, no sockets. Topics live in a
// real ClusterMetadata; each partition has a watermark slot and a log of real RecordBatch bytes in
// memory; groups go to a real GroupCoordinator over an in-memory offsets store.
import pino from 'pino';
import { ClusterMetadata, newTopicId, type MetadataRecord, type TopicInfo } from '../../src/metadata/cluster-metadata.ts';
import { GroupCoordinator } from '../../src/coordinator/coordinator.ts';
import { TransactionCoordinator } from '../../src/coordinator/transaction-coordinator.ts';
import type { TxnLogEntry, TxnStore } from '../../src/coordinator/transaction-log.ts';
import type { TxnMarker } from '../../src/shared-mem/txn-marker.ts';
import type { OffsetLogEntry, OffsetsStore } from '../../src/coordinator/offsets-log.ts';
import type { ActiveProducer, AppendCompletion } from '../../src/shared-mem/shard-messages.ts';
import type { Backpressure } from '../../src/acceptor/shards.ts';
import type { PartitionOffsets } from '../../src/shared-mem/watermarks.ts';
import { FetchSessionCache } from '../../src/acceptor/fetch-sessions.ts';
import type { OffsetAndTimestamp, PartitionVisibility, ReadResult } from '../../src/segments/reader.ts';
import { buildRecordBatch } from '../../src/protocol/records.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { loadConfig } from '../../src/config.ts';
import { HandlerRegistry, NO_RESPONSE, type ApiHandler, type ConnectionInfo, type HandlerServices, type PartitionHandle, type PartitionLogReader, type RequestContext } from '../../src/acceptor/registry.ts';
import { allHandlers } from '../../src/acceptor/handlers/index.ts';
import type { Authorizer } from '../../src/acceptor/authorized-operations.ts';
import type { AclAdmin } from '../../src/acceptor/acl/standard-authorizer.ts';
import { ClientQuotas } from '../../src/acceptor/quotas/client-quotas.ts';

/** One partition's in-memory log and slot group. */
export interface FakePartition {
  handle: PartitionHandle;
  offsets: PartitionOffsets;
  segmentEpoch: number;
  /** As the owning shard marks a log it took offline after a write failure. */
  offline: boolean;
  batches: { baseOffset: bigint; lastOffset: bigint; bytes: Buffer; timestamp: bigint }[];
  /** What the segments' .txnindex would hold (marker offset as lastOffset). */
  abortedTxns?: { producerId: bigint; firstOffset: bigint; lastOffset: bigint; lastStableOffset: bigint }[];
}

export interface AppendCall {
  shard: number;
  slot: number;
  records: Buffer;
  backpressure: Backpressure | undefined;
}

export interface FakeServices extends HandlerServices {
  /** What DescribeProducers finds per slot (the shard's producer state, set by a test). */
  readonly activeProducers: Map<number, ActiveProducer[]>;
  /** Settable, so a test can put an authorizer in. */
  authorizer: Authorizer | null;
  /** Settable with the authorizer (a StandardAuthorizer is both). */
  acls: AclAdmin | null;
  /** Client quotas over the fake cluster's metadata. */
  quotas: ClientQuotas;
  readonly cluster: ClusterMetadata;
  readonly groups: GroupCoordinator;
  /** A real transaction coordinator over an in-memory transaction log and the marker fake below. */
  readonly txns: TransactionCoordinator;
  /** Every transaction-log entry written, in order. */
  readonly txnLog: TxnLogEntry[];
  /** Every marker the coordinator had written, in order. */
  readonly markers: { shard: number; slot: number; marker: TxnMarker }[];
  /** Every metadata write, in order. */
  readonly metadataWrites: MetadataRecord[][];
  readonly appends: AppendCall[];
  /** What the next appends answer (default: success at the partition's HWM). */
  appendResult: ((call: AppendCall) => Partial<AppendCompletion>) | undefined;
  readonly deleteRecordsCalls: { shard: number; slot: number; offset: bigint }[];
  readonly counted: { bytesIn: number; recordsIn: number; fetchServed: { topic: string; partition: number; bytes: number }[] };
  /** What waitForPartitions answers; default 'timeout' at once. */
  waitResult: () => Promise<'changed' | 'timeout' | 'shutdown'>;
  /** Creates a topic directly in the metadata (no write recorded). */
  addTopic(name: string, partitions: number, configs?: Record<string, string>): TopicInfo;
  fakePartition(topic: string, partition: number): FakePartition;
  /** Appends a batch of `count` records to the in-memory log and moves the HWM past it. */
  appendRecords(topic: string, partition: number, count: number, timestamp?: bigint): Buffer;
  close(): Promise<void>;
}

class MemoryOffsetsStore implements OffsetsStore {
  readonly entries: OffsetLogEntry[] = [];
  async append(entries: OffsetLogEntry[]): Promise<void> {
    this.entries.push(...entries);
  }
}

function fakeReader(p: () => FakePartition): PartitionLogReader {
  return {
    async read(fetchOffset: bigint, maxBytes: number, visible: PartitionVisibility): Promise<ReadResult> {
      if (fetchOffset < visible.logStartOffset || fetchOffset > visible.highWatermark) return { error: 'OFFSET_OUT_OF_RANGE' };
      const out: Buffer[] = [];
      let bytes = 0;
      let nextOffset = fetchOffset;
      for (const b of p().batches) {
        if (b.lastOffset < fetchOffset || b.baseOffset >= visible.highWatermark) continue;
        if (out.length > 0 && bytes + b.bytes.length > maxBytes) break;
        out.push(b.bytes);
        bytes += b.bytes.length;
        nextOffset = b.lastOffset + 1n;
      }
      return { records: Buffer.concat(out), firstOffset: fetchOffset, nextOffset };
    },
    async abortedTransactions(fetchOffset: bigint, _servedEnd: bigint, logEnd: bigint): Promise<{ producerId: bigint; firstOffset: bigint }[]> {
      return (p().abortedTxns ?? []).filter((t) => t.lastOffset >= fetchOffset && t.firstOffset < logEnd).map((t) => ({ producerId: t.producerId, firstOffset: t.firstOffset }));
    },
    async maxTimestamp(visible: PartitionVisibility): Promise<OffsetAndTimestamp | null> {
      let best: OffsetAndTimestamp | null = null;
      for (const b of p().batches) {
        if (b.baseOffset >= visible.highWatermark) continue;
        if (!best || b.timestamp > best.timestamp) best = { offset: b.baseOffset, timestamp: b.timestamp };
      }
      return best;
    },
    async offsetForTimestamp(timestamp: bigint, visible: PartitionVisibility): Promise<OffsetAndTimestamp | null> {
      for (const b of p().batches) {
        if (b.baseOffset < visible.highWatermark && b.timestamp >= timestamp) return { offset: b.baseOffset, timestamp: b.timestamp };
      }
      return null;
    },
  };
}

export function fakeServices(options: { shards?: number; nodeId?: number; port?: number } = {}): FakeServices {
  const shardCount = options.shards ?? 2;
  const cluster = new ClusterMetadata(shardCount);
  cluster.apply({ type: 'cluster', clusterId: 'fake-cluster-id' });
  const byKey = new Map<string, FakePartition>();
  let nextSlot = 0;
  const fakePartitionOf = (topic: TopicInfo, partition: number): FakePartition | undefined => {
    if (partition < 0 || partition >= topic.partitions.length) return undefined;
    const key = `${topic.topicId}\0${partition}`;
    let p = byKey.get(key);
    if (!p) {
      const created: FakePartition = {
        handle: { topic, partition, shard: cluster.effectiveShard(topic.partitions[partition]!), slot: nextSlot++, reader: fakeReader(() => created) },
        offsets: { wakeWord: 0, logStartOffset: 0n, lastStableOffset: 0n, highWatermark: 0n },
        segmentEpoch: 0,
        offline: false,
        batches: [],
      };
      byKey.set(key, created);
      p = created;
    }
    return p;
  };
  const bySlot = (slot: number): FakePartition => {
    for (const p of byKey.values()) if (p.handle.slot === slot) return p;
    throw new Error(`no fake partition in slot ${slot}`);
  };
  const partitions = {
    partition(topicName: string, partition: number) {
      const topic = cluster.topicByName(topicName);
      return topic ? fakePartitionOf(topic, partition)?.handle : undefined;
    },
  };
  const groups = new GroupCoordinator({
    store: new MemoryOffsetsStore(),
    partitionExists: (topic, partition) => partitions.partition(topic, partition) !== undefined,
    log: pino({ level: 'silent' }),
    settings: { groupMinSessionTimeoutMs: 10, groupInitialRebalanceDelayMs: 0 },
    topics: () => [...cluster.topics].map((t) => ({ name: t.name, topicId: t.topicId, partitions: t.partitions.length, internal: t.internal })),
  });
  groups.markLoaded();
  const txnLog: TxnLogEntry[] = [];
  const markers: { shard: number; slot: number; marker: TxnMarker }[] = [];
  const txnStore: TxnStore = { async append(entries) { txnLog.push(...entries); } };
  const txns = new TransactionCoordinator({
    store: txnStore,
    markers: { async writeMarker(shard, slot, marker) { markers.push({ shard, slot, marker }); return { errorCode: ErrorCode.NONE, errorMessage: '' }; } },
    partition: (topic, partition) => partitions.partition(topic, partition),
    allocateProducerId: () => services.metadata.allocateProducerId(),
    commitOffsets: (group, offsets) => groups.commitTransactionalOffsets(group, offsets),
    log: pino({ level: 'silent' }),
  });
  void txns.load(async () => {});
  const registry = new HandlerRegistry(allHandlers);
  let nextProducerId = 0n;

  const services: FakeServices = {
    cluster,
    groups,
    txns,
    txnLog,
    markers,
    transactions: txns,
    metadataWrites: [],
    appends: [],
    appendResult: undefined,
    deleteRecordsCalls: [],
    counted: { bytesIn: 0, recordsIn: 0, fetchServed: [] },
    waitResult: async () => 'timeout',
    partitions,
    append: {
      maxAppendBytes: 1024 * 1024,
      async append(shard, slot, records, appendOptions) {
        const call = { shard, slot, records, backpressure: appendOptions.backpressure };
        services.appends.push(call);
        const p = bySlot(slot);
        return {
          requestId: services.appends.length, errorCode: ErrorCode.NONE, baseOffset: p.offsets.highWatermark, logAppendTime: -1n,
          logStartOffset: p.offsets.logStartOffset, recordCount: 1, bytes: records.length, errorMessage: '',
          ...services.appendResult?.(call),
        };
      },
      async deleteRecords(shard, slot, offset) {
        services.deleteRecordsCalls.push({ shard, slot, offset });
        const p = bySlot(slot);
        const target = offset === -1n ? p.offsets.highWatermark : offset;
        if (target > p.offsets.highWatermark) return { errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, lowWatermark: -1n };
        if (target > p.offsets.logStartOffset) p.offsets.logStartOffset = target;
        return { errorCode: ErrorCode.NONE, lowWatermark: p.offsets.logStartOffset };
      },
    },
    watermarks: {
      readOffsets: (slot) => ({ ...bySlot(slot).offsets }),
      highWatermark: (slot) => bySlot(slot).offsets.highWatermark,
      logStartOffset: (slot) => bySlot(slot).offsets.logStartOffset,
      localLogStartOffset: (slot) => bySlot(slot).offsets.logStartOffset,
      lastStableOffset: (slot) => bySlot(slot).offsets.lastStableOffset,
      segmentEpoch: (slot) => bySlot(slot).segmentEpoch,
      isOffline: (slot) => bySlot(slot).offline,
      waitForPartitions: () => services.waitResult(),
    },
    metadata: {
      get clusterId() { return cluster.clusterId; },
      get topics() { return cluster.topics; },
      topicByName: (name) => cluster.topicByName(name),
      topicById: (id) => cluster.topicById(id),
      brokerConfigs: (name) => cluster.brokerConfigs(name),
      scramCredentials: (name) => cluster.scramCredentials(name),
      scramUsers: () => cluster.scramUsers(),
      get producerIdBlockEnd() { return cluster.producerIdBlockEnd; },
      assignShards: (count) => cluster.assignShards(count),
      async write(records) {
        services.metadataWrites.push(records);
        for (const r of records) cluster.apply(r);
      },
      async allocateProducerId() {
        if (nextProducerId >= cluster.producerIdBlockEnd) await services.metadata.write([{ type: 'producer-id-block', end: String(cluster.producerIdBlockEnd + 1000n) }]);
        return nextProducerId++;
      },
    },
    node: { nodeId: options.nodeId ?? 1, host: 'broker.test', port: options.port ?? 19092 },
    coordinator: groups,
    config: loadConfig({}, {}),
    metrics: {
      producedTo: () => ({ add: (_partition, bytes, records) => { services.counted.bytesIn += bytes; services.counted.recordsIn += records; } }),
      fetchServed: (topic, partition, records) => { services.counted.fetchServed.push({ topic, partition, bytes: records.length }); },
    },
    log: pino({ level: 'silent' }),
    activeProducers: new Map(),
    producers: {
      describeProducers: async (_shard, slot) => ({ errorCode: ErrorCode.NONE, producers: services.activeProducers.get(slot) ?? [] }),
    },
    logDirs: {
      describe: async () => ({ logDir: '/fake/data', totalBytes: 1000n, usableBytes: 400n }),
      partitionSize: async (topic, partition) => BigInt(services.fakePartition(topic, partition).batches.reduce((n, b) => n + b.bytes.length, 0)),
    },
    authorizer: null,
    acls: null,
    quotas: new ClientQuotas({
      store: { get clientQuotas() { return cluster.clientQuotas; }, write: (records) => services.metadata.write(records) },
      settings: { quotaWindowNum: 11, quotaWindowSizeSeconds: 1 },
    }),
    fetchSessions: new FetchSessionCache({ slots: 1000 }),
    apiVersions: () => registry.apiVersions(),
    addTopic(name, count, configs = {}) {
      cluster.apply({ type: 'create-topic', name, topicId: newTopicId(), configs, shards: cluster.assignShards(count) });
      return cluster.topicByName(name)!;
    },
    fakePartition(topic, partition) {
      const info = cluster.topicByName(topic);
      const p = info && fakePartitionOf(info, partition);
      if (!p) throw new Error(`no partition ${topic}-${partition}`);
      return p;
    },
    appendRecords(topic, partition, count, timestamp = 1_000n) {
      const p = services.fakePartition(topic, partition);
      const bytes = buildRecordBatch({ baseTimestamp: timestamp, records: Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.from(`v${i}`) })) });
      const baseOffset = p.offsets.highWatermark;
      bytes.writeBigInt64BE(baseOffset, 0);
      p.batches.push({ baseOffset, lastOffset: baseOffset + BigInt(count - 1), bytes, timestamp });
      p.offsets.highWatermark = baseOffset + BigInt(count);
      p.offsets.lastStableOffset = p.offsets.highWatermark;
      return bytes;
    },
    close: async () => { await txns.close(); await groups.close(); },
  };
  return services;
}

/** A connection that records the pauses a handler asks for. */
export function fakeConnection(remoteAddress = '10.0.0.7:51234'): ConnectionInfo & { pauses: string[] } {
  const pauses: string[] = [];
  return { id: 1, remoteAddress, closed: false, pauses, pause: (reason) => { pauses.push(reason); }, resume: () => undefined };
}

/** Calls a handler as a connection would, at `apiVersion`; NO_RESPONSE comes back as null. */
export async function call<Res = Record<string, unknown>>(handler: ApiHandler, services: HandlerServices, apiVersion: number, request: unknown, clientId = 'test-client'): Promise<Res | null> {
  const ctx: RequestContext = { apiKey: handler.apiKey, apiVersion, correlationId: 1, clientId, services, connection: fakeConnection() };
  const result = await handler.handle(ctx, request);
  return result === NO_RESPONSE ? null : result as Res;
}

/** The handler's error response, as the connection builds it when `handle` throws. */
export function errorResponseOf<Res = Record<string, unknown>>(handler: ApiHandler, services: HandlerServices, apiVersion: number, request: unknown, errorCode: number = ErrorCode.UNKNOWN_SERVER_ERROR): Res | null {
  const ctx: RequestContext = { apiKey: handler.apiKey, apiVersion, correlationId: 1, clientId: 'test-client', services, connection: fakeConnection() };
  return handler.errorResponse(ctx, request, errorCode) as Res | null;
}
