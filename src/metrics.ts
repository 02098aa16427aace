// Broker metrics in Prometheus form (prom-client). Counters are bumped once per request or per
// partition result, never per record. Gauges that mirror state (watermarks) are computed at scrape
// time from the same sources the protocol reads, so they cannot drift.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { apiCodecs } from './protocol/generated/index.ts';
import { errorName } from './protocol/errors.ts';
import { RECORD_BATCH_HEADER_SIZE, readBatchSize, readRecordCount } from './protocol/record-batch.ts';
import { VERSION } from './version.ts';

const apiName = (apiKey: number): string => apiCodecs.get(apiKey)?.name ?? String(apiKey);

export class BrokerMetrics {
  readonly registry = new Registry();
  readonly #requests: Counter<'api'>;
  readonly #requestErrors: Counter<'api'>;
  readonly #requestSeconds: Histogram<'api'>;
  readonly #errorCodes: Counter<'api' | 'error'>;
  readonly bytesIn: Counter<'topic' | 'partition'>;
  readonly recordsIn: Counter<'topic' | 'partition'>;
  readonly bytesOut: Counter<'topic' | 'partition'>;
  readonly recordsOut: Counter<'topic' | 'partition'>;
  readonly connections: Gauge;
  readonly connectionsTotal: Counter;
  readonly backpressurePauses: Counter<'shard'>;
  readonly backpressureSeconds: Counter<'shard'>;
  readonly shardRestarts: Counter<'shard'>;
  readonly scrubbedBytes: Counter;
  readonly damagedBatches: Counter<'topic' | 'partition'>;
  readonly fetchSessionEvictions: Counter;
  readonly incrementalFetches: Counter;
  /** The fetch session cache's sessions and cached partitions; set at start. */
  fetchSessionCache: () => { sessions: number; partitions: number } = () => ({ sessions: 0, partitions: 0 });
  /** Bytes of requests being received or queued (queued.max.request.bytes); set by the listener. */
  queuedRequestBytes: () => number = () => 0;
  readonly authorizationDenials: Counter<'operation' | 'resource_type'>;
  readonly throttles: Counter<'quota'>;
  readonly authentications: Counter<'listener' | 'mechanism' | 'result'>;
  readonly connectionsRejected: Counter<'listener' | 'reason'>;
  /** Per-API label values cached so the hot path does not build label objects. */
  readonly #apiLabels = new Map<number, string>();

  constructor() {
    collectDefaultMetrics({ register: this.registry, prefix: 'highwater_' });
    const registers = [this.registry];
    this.#requests = new Counter({ name: 'highwater_requests_total', help: 'Requests handled, by API', labelNames: ['api'], registers });
    this.#requestErrors = new Counter({ name: 'highwater_request_failures_total', help: 'Requests whose handler failed (answered with an error response, or the connection closed), by API', labelNames: ['api'], registers });
    this.#requestSeconds = new Histogram({
      name: 'highwater_request_duration_seconds', help: 'Time from decoded request to encoded response, by API', labelNames: ['api'], registers,
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    });
    // Summed per partition on the produce path (producedTo) and added here when read, so a produce
    // result costs an array add instead of a label hash and check per counter (issue 18: at 1,000
    // partitions the per-partition work on this thread doubled its CPU per MB).
    const flushProduced = () => this.#flushProduced();
    this.bytesIn = new Counter({ name: 'highwater_partition_bytes_in_total', help: 'Record batch bytes appended', labelNames: ['topic', 'partition'], registers, collect: flushProduced });
    this.recordsIn = new Counter({ name: 'highwater_partition_records_in_total', help: 'Records appended', labelNames: ['topic', 'partition'], registers, collect: flushProduced });
    this.bytesOut = new Counter({ name: 'highwater_partition_bytes_out_total', help: 'Record batch bytes served by Fetch', labelNames: ['topic', 'partition'], registers });
    this.recordsOut = new Counter({ name: 'highwater_partition_records_out_total', help: 'Records in the batches served by Fetch (whole batches, so it can include records before the fetch offset)', labelNames: ['topic', 'partition'], registers });
    // Not `highwater_connections`: under OpenMetrics that is the family of the counter below.
    this.connections = new Gauge({ name: 'highwater_open_connections', help: 'Open client connections', registers });
    this.connectionsTotal = new Counter({ name: 'highwater_connections_total', help: 'Client connections accepted', registers });
    this.#errorCodes = new Counter({
      name: 'highwater_kafka_errors_total', help: 'Kafka error codes answered, by API and error name (each partition or topic result with an error counts once)', labelNames: ['api', 'error'], registers,
    });
    this.scrubbedBytes = new Counter({ name: 'highwater_scrubber_verified_bytes_total', help: 'Bytes of closed segments whose batch CRCs the scrubber verified', registers });
    this.damagedBatches = new Counter({ name: 'highwater_scrubber_damaged_batches_total', help: 'Damaged batches found in closed segments by the scrubber (each counted once)', labelNames: ['topic', 'partition'], registers });
    const buildInfo = new Gauge({ name: 'highwater_build_info', help: 'Always 1; carries the broker version and the Node.js version', labelNames: ['version', 'node'], registers });
    buildInfo.set({ version: VERSION, node: process.versions.node }, 1);
    const queuedNow = () => this.queuedRequestBytes();
    new Gauge({
      name: 'highwater_queued_request_bytes', help: 'Bytes of requests being received or waiting to be handled, all connections (bounded by queued.max.request.bytes)', registers,
      collect(this: Gauge) {
        this.set(queuedNow());
      },
    });
    const sessionsNow = () => this.fetchSessionCache();
    new Gauge({
      name: 'highwater_fetch_sessions', help: 'KIP-227 incremental fetch sessions in the session cache (Kafka\'s NumIncrementalFetchSessions)', registers,
      collect(this: Gauge) {
        this.set(sessionsNow().sessions);
      },
    });
    new Gauge({
      name: 'highwater_fetch_session_partitions', help: 'Partitions cached by all fetch sessions (Kafka\'s NumIncrementalFetchPartitionsCached)', registers,
      collect(this: Gauge) {
        this.set(sessionsNow().partitions);
      },
    });
    this.fetchSessionEvictions = new Counter({ name: 'highwater_fetch_session_evictions_total', help: 'Fetch sessions evicted from the cache to make room for a new one', registers });
    this.incrementalFetches = new Counter({ name: 'highwater_incremental_fetches_total', help: 'Fetch requests served as incremental fetches of a session (KIP-227)', registers });
    this.backpressurePauses = new Counter({ name: 'highwater_backpressure_pauses_total', help: 'Times a full shard ring paused a client socket', labelNames: ['shard'], registers });
    this.backpressureSeconds = new Counter({ name: 'highwater_backpressure_paused_seconds_total', help: 'Time a shard had sockets paused because its ring was full', labelNames: ['shard'], registers });
    this.authorizationDenials = new Counter({ name: 'highwater_authorization_denials_total', help: 'Operations the ACL authorizer denied, by operation and resource type', labelNames: ['operation', 'resource_type'], registers });
    this.throttles = new Counter({ name: 'highwater_quota_throttles_total', help: 'Responses throttled by a client quota, by quota', labelNames: ['quota'], registers });
    this.authentications = new Counter({ name: 'highwater_authentications_total', help: 'SASL authentications by listener, mechanism and result (success, failure), as Kafka\'s successful-/failed-authentication-total', labelNames: ['listener', 'mechanism', 'result'], registers });
    this.connectionsRejected = new Counter({ name: 'highwater_connections_rejected_total', help: 'Connections closed before serving a request: over a connection limit, failed TLS handshake, untrusted client certificate, expired SASL session', labelNames: ['listener', 'reason'], registers });
    this.shardRestarts = new Counter({ name: 'highwater_shard_restarts_total', help: 'Shard worker restarts after a crash', labelNames: ['shard'], registers });
  }

  /** Per topic, appends counted since the counters were last read (kept, like prom-client's own label sets, after a topic goes). */
  readonly #produced = new Map<string, ProducedCounts>();

  /** A topic's append counter; bytesIn and recordsIn include what it counted whenever they are read. */
  producedTo(topic: string): ProducedCounts {
    let counts = this.#produced.get(topic);
    if (counts === undefined) {
      counts = new ProducedCounts();
      this.#produced.set(topic, counts);
    }
    return counts;
  }

  #flushProduced(): void {
    for (const [topic, counts] of this.#produced) {
      counts.drain((partition, bytes, records) => {
        const labels = { topic, partition: String(partition) };
        this.bytesIn.inc(labels, bytes);
        this.recordsIn.inc(labels, records);
      });
    }
  }

  #label(apiKey: number): string {
    let label = this.#apiLabels.get(apiKey);
    if (label === undefined) {
      label = apiName(apiKey);
      this.#apiLabels.set(apiKey, label);
    }
    return label;
  }

  requestStarted(_apiKey: number): bigint {
    return process.hrtime.bigint();
  }

  requestFinished(apiKey: number, started: bigint): void {
    const api = this.#label(apiKey);
    this.#requests.inc({ api });
    this.#requestSeconds.observe({ api }, Number(process.hrtime.bigint() - started) / 1e9);
  }

  /**
   * Counts what one Fetch partition result served: its bytes, and the records of its whole batches
   * read from the batch headers (no CRC, no decompression; a partial trailing batch adds bytes only).
   */
  fetchServed(topic: string, partition: number, records: Uint8Array, recordCount?: number): void {
    const labels = { topic, partition: String(partition) };
    this.bytesOut.inc(labels, records.length);
    if (recordCount !== undefined) {
      if (recordCount > 0) this.recordsOut.inc(labels, recordCount);
      return;
    }
    const bytes = Buffer.isBuffer(records) ? records : Buffer.from(records.buffer, records.byteOffset, records.byteLength);
    let count = 0;
    for (let at = 0; at + RECORD_BATCH_HEADER_SIZE <= bytes.length;) {
      const size = readBatchSize(bytes, at);
      if (size < RECORD_BATCH_HEADER_SIZE || at + size > bytes.length) break;
      count += Math.max(0, readRecordCount(bytes, at));
      at += size;
    }
    if (count > 0) this.recordsOut.inc(labels, count);
  }

  /**
   * Counts the error codes a response carries: every `errorCode` field that is not 0, at any depth
   * of the response object (top level, per topic, per partition). Record bytes are not walked.
   */
  responseErrors(apiKey: number, response: unknown): void {
    let api: string | undefined;
    const visit = (value: unknown, depth: number): void => {
      if (depth > 6 || value === null || typeof value !== 'object' || ArrayBuffer.isView(value)) return;
      if (Array.isArray(value)) {
        for (const item of value) visit(item, depth + 1);
        return;
      }
      const record = value as Record<string, unknown>;
      const code = record.errorCode;
      if (typeof code === 'number' && code !== 0) this.#errorCodes.inc({ api: (api ??= this.#label(apiKey)), error: errorName(code) });
      for (const key in record) {
        const child = record[key];
        if (child !== null && typeof child === 'object') visit(child, depth + 1);
      }
    };
    visit(response, 0);
  }

  requestFailed(apiKey: number): void {
    this.#requestErrors.inc({ api: this.#label(apiKey) });
  }
}

/** One topic's appended bytes and records per partition, since they were last drained into the counters. */
export class ProducedCounts {
  readonly #bytes: number[] = [];
  readonly #records: number[] = [];
  /** Partitions with counts waiting, each listed once. */
  readonly #waiting: number[] = [];

  add(partition: number, bytes: number, records: number): void {
    const before = this.#bytes[partition];
    if (before === undefined || before < 0) {
      this.#waiting.push(partition);
      this.#bytes[partition] = bytes;
      this.#records[partition] = records;
      return;
    }
    this.#bytes[partition] = before + bytes;
    this.#records[partition]! += records;
  }

  /** Hands out every partition's counts and clears them (-1 marks a partition with none waiting). */
  drain(visit: (partition: number, bytes: number, records: number) => void): void {
    for (const partition of this.#waiting) {
      visit(partition, this.#bytes[partition]!, this.#records[partition]!);
      this.#bytes[partition] = -1;
      this.#records[partition] = 0;
    }
    this.#waiting.length = 0;
  }
}
