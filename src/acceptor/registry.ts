// The handler registry: apiKey -> the handler that serves it and the versions it serves, and
// `HandlerServices`, the narrow services a handler is given instead of the broker. ApiVersions is
// built from this table, so only what is implemented is ever advertised (DESIGN.md §7 item 9).
import type { Logger } from 'pino';
import type { BrokerConfig } from '../config.ts';
import type { RemoteLogReader } from './tiering/remote-reader.ts';
import type { MetadataRecord, ScramCredential, ScramMechanismName, TopicInfo } from '../metadata/cluster-metadata.ts';
import type { PartitionReader } from '../segments/reader.ts';
import type { PartitionOffsets } from '../shared-mem/watermarks.ts';
import type { ActiveProducer, AppendCompletion } from '../shared-mem/shard-messages.ts';
import type { Backpressure } from './shards.ts';
import type { GroupCoordinator } from '../coordinator/coordinator.ts';
import type { TransactionCoordinator } from '../coordinator/transaction-coordinator.ts';
import type { Authorizer } from './authorized-operations.ts';
import type { LogDirsService } from './log-dirs.ts';
import type { AclAdmin } from './acl/standard-authorizer.ts';
import type { ClientQuotas } from './quotas/client-quotas.ts';
import type { FetchSessionCache } from './fetch-sessions.ts';

/** Returned by a handler when the protocol says no response is sent (Produce with acks=0). */
export const NO_RESPONSE = Symbol('no-response');

/** What a handler may know of the connection its request came on. */
export interface ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  /** Stops reading this socket until every reason given is released (backpressure); idempotent per reason. */
  pause(reason: string): void;
  resume(reason: string): void;
  readonly closed: boolean;
  /** The authenticated principal; absent means User:ANONYMOUS (no SASL yet). */
  readonly principal?: string;
  /** The listener's address as this connection's clients are told it; absent: `services.node`. */
  readonly advertised?: BrokerEndpoint;
  /** The SASL exchange of a SASL listener's connection; null or absent on other listeners. */
  readonly sasl?: SaslExchange | null;
  /** Fetch may answer with FileRange record sets (the connection writes them with sendfile); absent: no. */
  readonly sendsFileRanges?: boolean;
}

/** The SASL exchange a connection runs, which SaslHandshake and SaslAuthenticate drive. */
export interface SaslExchange {
  /** Answers a SaslHandshake; a refused mechanism closes the connection after the answer. */
  handshake(mechanism: string, apiVersion: number): { errorCode: number; mechanisms: string[] };
  /** Answers a SaslAuthenticate; a failure closes the connection after the answer. */
  authenticate(authBytes: Buffer, apiVersion: number): Promise<{ errorCode: number; errorMessage: string | null; authBytes: Buffer; sessionLifetimeMs: bigint }>;
}

/** The endpoint clients of this connection are told to use (Metadata, FindCoordinator, DescribeCluster). */
export function advertisedEndpoint(ctx: { services: { node: BrokerEndpoint }; connection: ConnectionInfo }): BrokerEndpoint {
  return ctx.connection.advertised ?? ctx.services.node;
}

// ---- the services a handler is given ----

/** Everything the main thread knows about one partition at run time. */
export interface PartitionHandle {
  topic: TopicInfo;
  partition: number;
  shard: number;
  /** Index into the shared watermark table; a run-time number, not stored. */
  slot: number;
  reader: PartitionLogReader;
  /** Tiered storage: the reader of the partition's remote segments; absent without an object store. */
  remote?: RemoteSegmentsReader;
}

/** The fetch-side reads of a partition's remote segments (src/acceptor/tiering/remote-reader.ts). */
export type RemoteSegmentsReader = Pick<RemoteLogReader, 'read' | 'abortedTransactions' | 'offsetForTimestamp'>;

/** The fetch-side reads of a partition's segment files. */
export type PartitionLogReader = Pick<PartitionReader, 'read' | 'maxTimestamp' | 'offsetForTimestamp' | 'abortedTransactions'>
  & Partial<Pick<PartitionReader, 'readFileRange'>>;

export interface PartitionLookup {
  partition(topicName: string, partition: number): PartitionHandle | undefined;
}

/** Appends and DeleteRecords, handed to the partition's owning shard. */
export interface ShardAppend {
  /** The most record bytes one append may carry. */
  readonly maxAppendBytes: number;
  /**
   * Synchronous up to the shard's ring write, so calls made in order reach the shard in order.
   * A full ring pauses `backpressure` (the connection) until there is room again.
   */
  append(shard: number, slot: number, records: Buffer, options: { backpressure?: Backpressure }): Promise<AppendCompletion>;
  deleteRecords(shard: number, slot: number, offset: bigint): Promise<{ errorCode: number; lowWatermark: bigint }>;
}

/** The idempotent-producer state each partition's owning shard keeps (DescribeProducers). */
export interface ProducerStateService {
  describeProducers(shard: number, slot: number): Promise<{ errorCode: number; producers: ActiveProducer[] }>;
}

/** The read side of the partitions' watermark slots (DESIGN.md §2), and the long-poll wait on them. */
export interface PartitionWatermarks {
  readOffsets(slot: number): PartitionOffsets;
  highWatermark(slot: number): bigint;
  logStartOffset(slot: number): bigint;
  /** Tiered storage: offsets below it (and at or above logStartOffset) are served from the object store. */
  localLogStartOffset(slot: number): bigint;
  lastStableOffset(slot: number): bigint;
  segmentEpoch(slot: number): number;
  /** The owning shard took the partition's log offline after a write failure. */
  isOffline(slot: number): boolean;
  /** Resolves after `timeoutMs`, when a watched slot's wake word moves on, or when the broker stops. */
  waitForPartitions(slots: readonly number[], seenWakeWords: ArrayLike<number>, timeoutMs: number): Promise<'changed' | 'timeout' | 'shutdown'>;
}

/** The cluster metadata, and the durable writes that change it (the metadata store). */
export interface MetadataService {
  readonly clusterId: string;
  readonly topics: Iterable<TopicInfo>;
  topicByName(name: string): TopicInfo | undefined;
  topicById(topicId: string): TopicInfo | undefined;
  /** The dynamic broker configs of a node id, or of "" (the cluster-wide default). */
  brokerConfigs(resourceName: string): Readonly<Record<string, string>>;
  /** A user's SCRAM credentials (salted and hashed) by mechanism; undefined when none. */
  scramCredentials(name: string): ReadonlyMap<ScramMechanismName, ScramCredential> | undefined;
  /** Every user with a SCRAM credential. */
  scramUsers(): string[];
  /** The first producer id never handed out. */
  readonly producerIdBlockEnd: bigint;
  /** Owning shards for `count` new partitions, balanced by partition count. */
  assignShards(count: number): number[];
  /** Durable first, then applied (partitions opened, configs pushed, files deleted); one at a time. */
  write(records: MetadataRecord[]): Promise<void>;
  /** A producer id no earlier or later run of this broker hands out again. */
  allocateProducerId(): Promise<bigint>;
}

/** Where clients are told to find this broker (Metadata, FindCoordinator, DescribeCluster). */
export interface BrokerEndpoint {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

/** The settings handlers read. */
export type HandlerConfig = Pick<BrokerConfig, 'autoCreateTopics' | 'numPartitions' | 'topicDefaults' | 'maxFrameBytes' | 'fsync' | 'shards'
  | 'retentionCheckMs' | 'groupMinSessionTimeoutMs' | 'groupMaxSessionTimeoutMs' | 'groupInitialRebalanceDelayMs' | 'offsetsRetentionMs'
  | 'offsetsRetentionCheckIntervalMs' | 'offsetMetadataMaxBytes' | 'partitionBudget' | 'transactionPartitionVerificationEnable' | 'remoteStorageBucket'
  | 'remoteStorageEndpoint' | 'remoteStorageRegion' | 'remoteStoragePrefix' | 'remoteLogUploadConcurrency' | 'remoteLogUploadMaxBytesPerSecond'
  | 'remoteLogChunkCacheBytes' | 'remoteLogManagerTaskIntervalMs'>;

/** The parts of the group coordinator (src/coordinator/) the group and offset APIs call. */
export type GroupCoordinatorService = Pick<GroupCoordinator,
  'loading' | 'ownsGroup' | 'joinGroup' | 'syncGroup' | 'heartbeat' | 'leaveGroup' | 'commitOffsets' | 'fetchOffsets'
  | 'describeGroup' | 'listGroups' | 'deleteGroups' | 'deleteOffsets' | 'consumerGroupHeartbeat' | 'consumerGroupDescribe'
  | 'checkTransactionalCommit'>;

/** The transaction coordinator (src/coordinator/transaction-coordinator.ts) the transactional APIs call. */
export type TransactionCoordinatorService = Pick<TransactionCoordinator,
  'loading' | 'settings' | 'initProducerId' | 'addPartitions' | 'verifyPartitions' | 'verifyProduce' | 'addOffsets' | 'addPendingOffsets'
  | 'hasPendingOffsets' | 'endTxn' | 'describe' | 'list'>;

/** The parts of the client quotas (src/acceptor/quotas/) the handlers call. */
export type ClientQuotaService = Pick<ClientQuotas, 'record' | 'unrecord' | 'hasQuotas' | 'describe' | 'alter' | 'maxRequestThrottleMs'>;

/** The fetch session cache, as Fetch uses it. */
export type FetchSessionService = Pick<FetchSessionCache, 'newContext' | 'createSession' | 'selectIncremental'>;

/** One topic's appended bytes and records, counted per partition (BrokerMetrics.producedTo). */
export interface ProducedCounter {
  add(partition: number, bytes: number, records: number): void;
}

/** The counters handlers bump: once per partition result, never per record. */
export interface HandlerMetrics {
  /** The counter of a topic's appends: looked up once per topic of a request, bumped per partition result. */
  producedTo(topic: string): ProducedCounter;
  /** `recordCount` given: the records are not walked (a FileRange holds no bytes; its count is the offsets it spans). */
  fetchServed(topic: string, partition: number, records: Uint8Array, recordCount?: number): void;
}

export interface ApiVersionRange {
  apiKey: number;
  minVersion: number;
  maxVersion: number;
}

/** What a handler may use: each a narrow interface, satisfied by the wiring (start.ts) or by test fakes. */
export interface HandlerServices {
  readonly partitions: PartitionLookup;
  readonly append: ShardAppend;
  readonly watermarks: PartitionWatermarks;
  readonly metadata: MetadataService;
  readonly node: BrokerEndpoint;
  readonly coordinator: GroupCoordinatorService;
  readonly transactions: TransactionCoordinatorService;
  readonly config: HandlerConfig;
  readonly metrics: HandlerMetrics;
  readonly log: Logger;
  readonly producers: ProducerStateService;
  /** The data dir as a log dir, for DescribeLogDirs. */
  readonly logDirs: LogDirsService;
  /** Decides authorized operations; null: no authorizer, so every operation is allowed (as Kafka). */
  readonly authorizer: Authorizer | null;
  /** The ACLs behind the authorizer (CreateAcls, DescribeAcls, DeleteAcls); null with no authorizer. */
  readonly acls: AclAdmin | null;
  /** Client quotas: their store (Describe/AlterClientQuotas) and their enforcement. */
  readonly quotas: ClientQuotaService;
  /** KIP-227 incremental fetch sessions (src/acceptor/fetch-sessions.ts). */
  readonly fetchSessions: FetchSessionService;
  /** The APIs this broker serves, as ApiVersions lists them. */
  apiVersions(): ApiVersionRange[];
}

// ---- handlers ----

export interface RequestContext {
  apiKey: number;
  apiVersion: number;
  correlationId: number;
  clientId: string | null;
  services: HandlerServices;
  connection: ConnectionInfo;
}

export interface ApiHandler<Req = unknown, Res = unknown> {
  apiKey: number;
  name: string;
  minVersion: number;
  maxVersion: number;
  /**
   * Decode, check, route, await, encode: the handler gets the decoded request and returns the
   * response object for the generated encoder. It must start every per-partition side effect
   * before its first await, so that requests on one connection reach the shards in order.
   */
  handle(ctx: RequestContext, request: Req): Res | typeof NO_RESPONSE | Promise<Res | typeof NO_RESPONSE>;
  /**
   * The answer when `handle` threw: `errorCode` in every error field the response has (top level,
   * per topic, per partition), as Kafka's AbstractRequest.getErrorResponse builds it. null where
   * Kafka closes the connection instead (Produce with acks=0, which has no response to carry it).
   */
  errorResponse(ctx: RequestContext, request: Req, errorCode: number): Res | null;
}

/** Typed helper for handler files; the registry stores them type-erased. */
export function defineHandler<Req, Res>(handler: ApiHandler<Req, Res>): ApiHandler {
  return handler as unknown as ApiHandler;
}

export class HandlerRegistry {
  readonly #handlers = new Map<number, ApiHandler>();

  constructor(handlers: ApiHandler[]) {
    for (const h of handlers) {
      if (this.#handlers.has(h.apiKey)) throw new Error(`two handlers for api key ${h.apiKey}`);
      this.#handlers.set(h.apiKey, h);
    }
  }

  get(apiKey: number): ApiHandler | undefined {
    return this.#handlers.get(apiKey);
  }

  /** Sorted by key, as ApiVersions lists them. */
  get all(): ApiHandler[] {
    return [...this.#handlers.values()].sort((a, b) => a.apiKey - b.apiKey);
  }

  apiVersions(): ApiVersionRange[] {
    return this.all.map((h) => ({ apiKey: h.apiKey, minVersion: h.minVersion, maxVersion: h.maxVersion }));
  }
}
