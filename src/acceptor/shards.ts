// The acceptor's side of the shards: starts the shard workers, hands them appends and control
// requests through their request rings, completes the awaiting handlers from the completion rings,
// pauses the sockets that feed a full ring, and restarts a shard that crashed.
import { Worker } from 'node:worker_threads';
import type { EventLoopUtilization } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { FsyncPolicy } from '../config.ts';
import type { WatermarkReader } from '../shared-mem/watermarks.ts';
import type { TxnMarker, TxnMarkerWriter } from '../shared-mem/txn-marker.ts';
import { COMPLETION_RING_BYTES, createShardRingBuffers, openAcceptorRings, type AcceptorRings } from '../shared-mem/ring.ts';
import { ErrorCode, KafkaError } from '../protocol/errors.ts';
import type { BrokerMetrics } from '../metrics.ts';
import { WaitingMessages } from './waiting-messages.ts';
import { ShardStats } from '../shared-mem/shard-stats.ts';
import {
  APPEND_FLAG_FORCE_SYNC, MESSAGE_APPEND, NO_OFFSET, SHARD_MESSAGE_FORMAT_VERSION, decodeCompletion, encodeAppendHeader,
  encodeControlRequest, type ActiveProducer, type AppendCompletion, type ControlCompletion, type ControlRequest, type OpenPartitionRequest, type TierAction, type TierStatusBody,
  type WorkerInit,
} from '../shared-mem/shard-messages.ts';

/**
 * What the pool needs of whoever sent an append: to stop reading from it while the shard's ring is
 * full, and to start again. A connection implements it; `reason` names the shard, so pauses
 * from several shards are counted apart.
 */
export interface Backpressure {
  pause(reason: string): void;
  resume(reason: string): void;
}

export interface ShardPoolOptions {
  shards: number;
  /** Partition logs holding descriptors at once per shard (src/wal/open-logs.ts); absent: no bound. */
  openLogsPerShard?: number;
  dataDir: string;
  fsync: FsyncPolicy;
  /** Most bytes a request ring grows to. */
  ringBytes: number;
  /** Bytes a request ring starts at (default: ringBytes, no growth); clamped to ringBytes. */
  ringInitialBytes?: number;
  /** The table the shards write; the pool only hands its buffer to each worker. */
  watermarks: WatermarkReader;
  log: Logger;
  /** Whether the broker logs pretty lines (--log-pretty): the shard threads then do too. */
  logPretty?: boolean;
  metrics: BrokerMetrics;
  /** Every partition a shard owns, to reopen after a restart. */
  partitionsOf: (shard: number) => OpenPartitionRequest[];
  retentionCheckMs?: number;
  cleaner?: { enabled: boolean; backoffMs: number; ioMaxBytesPerSecond: number };
}

type Pending =
  | { kind: 'append'; resolve: (c: AppendCompletion) => void }
  | { kind: 'control'; resolve: (c: ControlCompletion) => void };

function byteLength(parts: Uint8Array[]): number {
  let n = 0;
  for (const p of parts) n += p.byteLength;
  return n;
}

/** What an in-flight request hears when its shard dies: retriable, so clients retry. */
const SHARD_LOST = ErrorCode.NOT_LEADER_OR_FOLLOWER;

class Shard {
  readonly id: number;
  readonly #pool: ShardPool;
  worker!: Worker;
  rings!: AcceptorRings;
  readonly pending = new Map<number, Pending>();
  /** Messages that found the ring full, in arrival order; they go before anything newer. */
  readonly waiting = new WaitingMessages();
  readonly pausedConnections = new Set<Backpressure>();
  /** Kept across restarts, so the shard's counters never reset. */
  readonly stats = new ShardStats();
  #nextRequestId = 1;
  #running = false;
  #stopping = false;
  #spaceWaiterArmed = false;
  restarts = 0;

  constructor(id: number, pool: ShardPool) {
    this.id = id;
    this.#pool = pool;
  }

  async start(): Promise<void> {
    const o = this.#pool.options;
    const buffers = createShardRingBuffers(o.ringBytes, COMPLETION_RING_BYTES, o.ringInitialBytes ?? o.ringBytes);
    this.rings = openAcceptorRings(buffers);
    this.rings.requests.onGrow = (fromBytes, toBytes) => {
      o.log.info({ shard: this.id, fromBytes, toBytes, maxBytes: o.ringBytes }, 'shard request ring grew');
    };
    const init: WorkerInit = {
      messageFormatVersion: SHARD_MESSAGE_FORMAT_VERSION,
      shardId: this.id,
      rings: buffers,
      watermarks: o.watermarks.buffer,
      fsync: o.fsync,
      logLevel: o.log.level,
      logPretty: o.logPretty ?? false,
      logTty: Boolean(process.stdout.isTTY),
      retentionCheckMs: o.retentionCheckMs ?? 30_000,
      cleaner: o.cleaner,
      dataDir: o.dataDir,
      stats: this.stats.buffer,
      openLogsPerShard: o.openLogsPerShard,
    };
    this.worker = new Worker(new URL('../shard-worker/worker.ts', import.meta.url), { workerData: init, name: `highwater-shard-${this.id}` });
    this.#running = true;
    const ready = new Promise<void>((resolve, reject) => {
      this.worker.once('message', (m) => (m === 'ready' ? resolve() : reject(new Error(String(m)))));
      this.worker.once('error', reject);
    });
    this.worker.on('error', (err) => this.#pool.options.log.error({ shard: this.id, err }, 'shard worker failed'));
    this.worker.on('exit', (code) => this.#onExit(code));
    await ready;
    void this.#completionLoop(this.rings);
  }

  get running(): boolean {
    return this.#running;
  }

  nextRequestId(): number {
    const id = this.#nextRequestId;
    this.#nextRequestId = id === 0xffffffff ? 1 : id + 1;
    return id;
  }

  /** Sends a message, or queues it behind a full ring and pauses the connection that sent it. */
  send(parts: Uint8Array[], backpressure: Backpressure | undefined): void {
    if (this.waiting.length === 0 && this.rings.requests.tryWriteParts(parts)) return;
    if (this.waiting.length === 0 && this.#episodeStartedAt === undefined) {
      // One line per backpressure episode, not per request (STYLE.md rule 7).
      this.#episodeStartedAt = performance.now();
      const requests = this.rings.requests;
      const requestBytes = byteLength(parts);
      this.#episodeIsGrow = requests.needsGrowth(requestBytes);
      if (this.#episodeIsGrow) {
        // Not a full ring: a request larger than the ring waits for it to empty, then grows it.
        this.#pool.options.log.info({ shard: this.id, requestBytes, ringCapacityBytes: requests.capacity, ringUsedBytes: requests.usedBytes() },
          'shard ring smaller than a request: pausing the sockets that feed it until the ring drains and grows');
      } else {
        this.#pool.options.log.warn({ shard: this.id, ringUsedBytes: requests.usedBytes() }, 'backpressure: shard ring full, pausing the sockets that feed it');
      }
    }
    // Copied: the caller's bytes may live in memory reused once it returns (FrameSplitter.pushTransient).
    this.waiting.push(parts);
    if (backpressure && !this.pausedConnections.has(backpressure)) {
      this.pausedConnections.add(backpressure);
      backpressure.pause(`shard-${this.id}`);
      this.#pool.options.metrics.backpressurePauses.inc({ shard: String(this.id) });
    }
    this.#armSpaceWaiter();
  }

  #episodeStartedAt: number | undefined;
  /** Whether the episode began with a request waiting for the ring to grow rather than a full ring. */
  #episodeIsGrow = false;

  #endEpisode(pausedConnections: number): void {
    if (this.#episodeStartedAt === undefined) return;
    const seconds = (performance.now() - this.#episodeStartedAt) / 1000;
    this.#episodeStartedAt = undefined;
    this.#pool.options.metrics.backpressureSeconds.inc({ shard: String(this.id) }, seconds);
    const log = this.#pool.options.log;
    if (this.#episodeIsGrow) log.info({ shard: this.id, pausedMs: Math.round(seconds * 1000), pausedConnections, ringCapacityBytes: this.rings.requests.capacity }, 'shard ring grown: sockets resumed');
    else log.warn({ shard: this.id, pausedMs: Math.round(seconds * 1000), pausedConnections }, 'backpressure over: sockets resumed');
  }

  #armSpaceWaiter(): void {
    if (this.#spaceWaiterArmed) return;
    this.#spaceWaiterArmed = true;
    const rings = this.rings;
    void (async () => {
      while (this.waiting.length > 0 && rings === this.rings && this.#running) {
        while (this.waiting.length > 0 && rings.requests.tryWriteParts([this.waiting.peek()!])) this.waiting.shift();
        if (this.waiting.length > 0) await rings.requests.waitForSpaceAsync(this.waiting.peek()!.byteLength, 1000);
      }
      this.#spaceWaiterArmed = false;
      if (this.waiting.length === 0) {
        const paused = this.pausedConnections.size;
        for (const c of this.pausedConnections) c.resume(`shard-${this.id}`);
        this.pausedConnections.clear();
        this.#endEpisode(paused);
      }
    })();
  }

  async #completionLoop(rings: AcceptorRings): Promise<void> {
    while (this.#running && rings === this.rings) {
      const n = rings.completions.drain((message) => this.#complete(message));
      if (n === 0) await rings.completions.waitForDataAsync(1000);
    }
  }

  #complete(message: Uint8Array): void {
    const c = decodeCompletion(message);
    const pending = this.pending.get(c.requestId);
    if (!pending) return;
    this.pending.delete(c.requestId);
    if (c.type === MESSAGE_APPEND && pending.kind === 'append') pending.resolve(c);
    else if (pending.kind === 'control') pending.resolve(c as ControlCompletion);
  }

  #onExit(code: number): void {
    this.#running = false;
    if (this.#stopping) return;
    const log = this.#pool.options.log;
    log.warn({ shard: this.id, exitCode: code, inFlight: this.pending.size }, 'shard worker exited unexpectedly; restarting it');
    this.#pool.options.metrics.shardRestarts.inc({ shard: String(this.id) });
    this.#failAll('shard restarted');
    this.restarts += 1;
    void this.#restart();
  }

  #failAll(reason: string): void {
    for (const [requestId, p] of this.pending) {
      if (p.kind === 'append') {
        p.resolve({ requestId, errorCode: SHARD_LOST, baseOffset: -1n, logAppendTime: -1n, logStartOffset: -1n, recordCount: 0, bytes: 0, errorMessage: reason });
      } else {
        p.resolve({ requestId, errorCode: SHARD_LOST, offset: NO_OFFSET, body: { error: reason } });
      }
    }
    this.pending.clear();
    this.waiting.clear();
    for (const c of this.pausedConnections) c.resume(`shard-${this.id}`);
    this.pausedConnections.clear();
  }

  async #restart(): Promise<void> {
    const log = this.#pool.options.log;
    try {
      await this.start();
      const reopen = this.#pool.options.partitionsOf(this.id);
      await Promise.all(reopen.map((r) => this.#pool.openPartition(this.id, r)));
      log.warn({ shard: this.id, partitions: reopen.length }, 'shard restarted and recovered its partitions');
    } catch (err) {
      log.error({ shard: this.id, err }, 'shard restart failed');
    }
  }

  async stop(): Promise<void> {
    if (!this.#running) return;
    const requestId = this.nextRequestId();
    const done = new Promise<void>((resolve) => {
      this.pending.set(requestId, { kind: 'control', resolve: () => resolve() });
    });
    this.#stopping = true;
    this.send([encodeControlRequest(requestId, { op: 'shutdown' })], undefined);
    const exited = new Promise<void>((resolve) => this.worker.once('exit', () => resolve()));
    await Promise.race([done.then(() => exited), new Promise((r) => setTimeout(r, 10_000))]);
    this.#running = false;
    await this.worker.terminate();
  }
}

export class ShardPool implements TxnMarkerWriter {
  readonly options: ShardPoolOptions;
  readonly #shards: Shard[];

  constructor(options: ShardPoolOptions) {
    this.options = options;
    this.#shards = Array.from({ length: options.shards }, (_, i) => new Shard(i, this));
  }

  get size(): number {
    return this.#shards.length;
  }

  /** The most record bytes one append may carry: half a ring, so one message never waits for a whole ring. */
  get maxAppendBytes(): number {
    return Math.floor(this.options.ringBytes / 2) - 64;
  }

  async start(): Promise<void> {
    await Promise.all(this.#shards.map((s) => s.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.#shards.map((s) => s.stop()));
  }

  /**
   * Hands one partition's record batches to its shard. Synchronous up to the ring write, so calls
   * made in order reach the shard in order (per-connection ordering, idempotent sequences).
   */
  append(shard: number, slot: number, records: Buffer, options: { forceSync?: boolean; backpressure?: Backpressure } = {}): Promise<AppendCompletion> {
    const s = this.#shards[shard]!;
    const requestId = s.nextRequestId();
    const header = encodeAppendHeader(requestId, slot, records.length, options.forceSync ? APPEND_FLAG_FORCE_SYNC : 0);
    const result = new Promise<AppendCompletion>((resolve) => s.pending.set(requestId, { kind: 'append', resolve }));
    s.send([header, records], options.backpressure);
    return result;
  }

  control(shard: number, request: ControlRequest): Promise<ControlCompletion> {
    const s = this.#shards[shard]!;
    const requestId = s.nextRequestId();
    const result = new Promise<ControlCompletion>((resolve) => s.pending.set(requestId, { kind: 'control', resolve }));
    s.send([encodeControlRequest(requestId, request)], undefined);
    return result;
  }

  /** Throws a KafkaError carrying the shard's error code, so errorCodeFor gives it back. */
  async #controlOrThrow(shard: number, request: ControlRequest): Promise<ControlCompletion> {
    const c = await this.control(shard, request);
    if (c.errorCode !== ErrorCode.NONE) {
      const detail = c.body?.error ?? `error ${c.errorCode}`;
      throw new KafkaError(c.errorCode, `shard ${shard} ${request.op}: ${detail}`);
    }
    return c;
  }

  async openPartition(shard: number, r: OpenPartitionRequest): Promise<void> {
    await this.#controlOrThrow(shard, { op: 'open', ...r });
  }

  async closePartition(shard: number, slot: number, options: { deleteFiles: boolean }): Promise<void> {
    await this.#controlOrThrow(shard, { op: 'close', slot, deleteFiles: options.deleteFiles });
  }

  async updateConfig(shard: number, slot: number, config: Record<string, string>): Promise<void> {
    await this.#controlOrThrow(shard, { op: 'update-config', slot, config });
  }

  /** DeleteRecords: returns the new log start offset, or a Kafka error code. */
  async deleteRecords(shard: number, slot: number, offset: bigint): Promise<{ errorCode: number; lowWatermark: bigint }> {
    const c = await this.control(shard, { op: 'delete-records', slot, offset });
    return { errorCode: c.errorCode, lowWatermark: c.errorCode === ErrorCode.NONE ? c.offset : -1n };
  }

  /** Tiered storage: one tier manager action on a partition's owning shard; its status after it (docs/notes/tiered-storage.md). */
  async tier(shard: number, slot: number, action: TierAction): Promise<TierStatusBody> {
    const c = await this.#controlOrThrow(shard, { op: 'tier', slot, action });
    return c.body!.tier!;
  }

  /** DescribeProducers: the partition's active idempotent producers, from the shard that owns their state. */
  async describeProducers(shard: number, slot: number): Promise<{ errorCode: number; producers: ActiveProducer[] }> {
    const c = await this.control(shard, { op: 'describe-producers', slot });
    const producers = (c.body?.producers ?? []).map((p) => ({
      producerId: BigInt(p.producerId), producerEpoch: p.producerEpoch, lastSequence: p.lastSequence, lastTimestamp: BigInt(p.lastTimestamp),
      coordinatorEpoch: p.coordinatorEpoch ?? -1, currentTxnStartOffset: BigInt(p.currentTxnStartOffset ?? '-1'),
    }));
    return { errorCode: c.errorCode, producers };
  }

  /**
   * Has the owning shard write a COMMIT or ABORT marker into one partition (TxnMarkerWriter).
   * Resolves once the marker is fsynced and the HWM and LSO past it are published; a shard
   * restart meanwhile answers NOT_LEADER_OR_FOLLOWER, which the coordinator retries.
   */
  async writeMarker(shard: number, slot: number, marker: TxnMarker): Promise<{ errorCode: number; errorMessage: string }> {
    const c = await this.control(shard, { op: 'write-marker', slot, ...marker });
    return { errorCode: c.errorCode, errorMessage: c.errorCode === ErrorCode.NONE ? '' : c.body?.error ?? '' };
  }

  /** Test hook: kill a shard's thread as a crash would. */
  async crashShardForTest(shard: number): Promise<void> {
    await this.#shards[shard]!.worker.terminate();
  }

  stats(shard: number): ShardStats {
    return this.#shards[shard]!.stats;
  }

  restarts(shard: number): number {
    return this.#shards[shard]!.restarts;
  }

  // ---- read-only views for metrics and the dashboard (src/http/) ----

  /** How full a shard's request ring is, and what waits behind it, read at scrape time. */
  ringUsage(shard: number): { usedBytes: number; capacityBytes: number; waitingMessages: number; pausedConnections: number } {
    const s = this.#shards[shard]!;
    const ring = s.rings?.requests;
    return {
      usedBytes: ring ? ring.usedBytes() : 0,
      capacityBytes: ring ? ring.capacity : 0,
      waitingMessages: s.waiting.length,
      pausedConnections: s.pausedConnections.size,
    };
  }

  /** False while a crashed shard is being restarted, and after stop(). */
  isRunning(shard: number): boolean {
    return this.#shards[shard]!.running;
  }

  /**
   * The shard thread's V8 heap (total, used, external), asked of the thread itself: a message to its
   * isolate, answered between two of its turns. Undefined while it is being restarted.
   */
  async heapStatistics(shard: number): Promise<{ totalBytes: number; usedBytes: number; externalBytes: number } | undefined> {
    const s = this.#shards[shard]!;
    if (!s.running) return undefined;
    try {
      const h = await s.worker.getHeapStatistics();
      return { totalBytes: h.total_heap_size, usedBytes: h.used_heap_size, externalBytes: h.external_memory ?? 0 };
    } catch {
      return undefined;
    }
  }

  /** The shard thread's event-loop utilisation, cumulative since that thread started (a restart begins again at zero). */
  eventLoopUtilization(shard: number): EventLoopUtilization | undefined {
    return this.#shards[shard]!.worker?.performance.eventLoopUtilization();
  }
}
