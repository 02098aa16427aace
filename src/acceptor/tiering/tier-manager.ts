// The tier manager (MAIN thread): every task interval it asks the owning shard of each
// remote-enabled partition what may be uploaded and which remote objects are to be deleted, then
// does that object-store I/O, all asynchronous, with bounded concurrency, a byte rate, and retry
// with backoff; the shard records each result (docs/notes/tiered-storage.md). Also works off the
// durable list of deleted topics whose objects are still in the bucket.
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { Logger } from 'pino';
import { ObjectStoreError, type ObjectStore } from '../../object-store/object-store.ts';
import {
  REMOTE_MANIFEST_VERSION, partitionKeyPrefix, segmentObjectKey, segmentObjectKeys, tierCrashPoint, type RemoteFileEntry, type RemoteManifest,
} from '../../segments/remote-record.ts';
import type { TierAction, TierCandidateJson, TierStatusBody } from '../../shared-mem/shard-messages.ts';
import type { RemoteDeletions } from './remote-deletions.ts';
import type { TierMetrics } from './tier-metrics.ts';

export interface TieredPartition {
  topic: string;
  topicId: string;
  partition: number;
  shard: number;
  slot: number;
}

export interface TierManagerOptions {
  store: ObjectStore;
  shards: { tier(shard: number, slot: number, action: TierAction): Promise<TierStatusBody> };
  /** The remote-enabled partitions now. */
  partitions: () => TieredPartition[];
  deletions: RemoteDeletions;
  intervalMs: number;
  concurrency: number;
  /** 0: no limit. */
  maxBytesPerSecond: number;
  metrics: TierMetrics;
  log: Logger;
}

const MIN_BACKOFF_MS = 1_000;
const MAX_BACKOFF_MS = 60_000;
/** A partition that keeps failing is logged at most this often. */
const FAILURE_LOG_INTERVAL_MS = 30_000;

interface PartitionState {
  running: boolean;
  retryAtMs: number;
  backoffMs: number;
  lastLoggedMs: number;
  failures: number;
  /** From the last status: how far behind uploads are. */
  lagBytes: number;
  lagOffsets: string;
  /** Whether the manifests were looked at for a record to rebuild (once per partition per start). */
  manifestsChecked: boolean;
}

/** Waits until `bytes` fit the byte rate (the average over time; one file may burst). */
class ByteRate {
  readonly #bytesPerSecond: number;
  #nextFreeMs = 0;
  constructor(bytesPerSecond: number) { this.#bytesPerSecond = bytesPerSecond; }
  async take(bytes: number, signal: AbortSignal): Promise<void> {
    if (this.#bytesPerSecond <= 0) return;
    const now = performance.now();
    const start = Math.max(now, this.#nextFreeMs);
    this.#nextFreeMs = start + (bytes / this.#bytesPerSecond) * 1000;
    if (start > now) await sleep(start - now, signal);
  }
}

/** At most `limit` holders at once. */
class Semaphore {
  #free: number;
  readonly #waiting: (() => void)[] = [];
  constructor(limit: number) { this.#free = limit; }
  async acquire(): Promise<void> {
    if (this.#free > 0) {
      this.#free--;
      return;
    }
    await new Promise<void>((resolve) => this.#waiting.push(resolve));
  }
  release(): void {
    const next = this.#waiting.shift();
    if (next) next();
    else this.#free++;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

async function sha256OfFile(path: string, signal: AbortSignal): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path, { signal })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export class TierManager {
  readonly #o: TierManagerOptions;
  readonly #states = new Map<string, PartitionState>();
  readonly #uploads: Semaphore;
  readonly #rate: ByteRate;
  readonly #abort = new AbortController();
  #timer: NodeJS.Timeout | undefined;
  #pass: Promise<void> | null = null;
  #stopped = false;

  constructor(options: TierManagerOptions) {
    this.#o = options;
    this.#uploads = new Semaphore(options.concurrency);
    this.#rate = new ByteRate(options.maxBytesPerSecond);
  }

  start(): void {
    this.#schedule(0);
  }

  /** Runs a pass now (tests, and after a topic becomes remote-enabled). */
  async runOnce(): Promise<void> {
    if (this.#pass === null) this.#pass = this.#runPass().finally(() => { this.#pass = null; });
    await this.#pass;
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#abort.abort();
    await this.#pass?.catch(() => undefined);
  }

  #schedule(ms: number): void {
    if (this.#stopped) return;
    this.#timer = setTimeout(() => {
      this.runOnce().catch((err: unknown) => this.#o.log.error({ err }, 'tier manager pass failed')).finally(() => this.#schedule(this.#o.intervalMs));
    }, ms);
    this.#timer.unref();
  }

  async #runPass(): Promise<void> {
    const now = performance.now();
    const work: Promise<void>[] = [this.#o.deletions.workOff(this.#o.store, this.#abort.signal).catch((err: unknown) => {
      this.#o.log.warn({ err }, 'deleting the objects of deleted topics failed; it will be retried');
    })];
    for (const p of this.#o.partitions()) {
      const id = `${p.topicId}/${p.partition}`;
      let state = this.#states.get(id);
      if (state === undefined) {
        state = { running: false, retryAtMs: 0, backoffMs: 0, lastLoggedMs: -Infinity, failures: 0, lagBytes: 0, lagOffsets: '0', manifestsChecked: false };
        this.#states.set(id, state);
      }
      if (state.running || now < state.retryAtMs) continue;
      state.running = true;
      const s = state;
      work.push(this.#partitionTask(p).then(
        () => { s.backoffMs = 0; s.failures = 0; },
        (err: unknown) => this.#failed(p, s, err),
      ).finally(() => { s.running = false; }));
    }
    await Promise.all(work);
  }

  #failed(p: TieredPartition, state: PartitionState, err: unknown): void {
    if (this.#stopped) return;
    const kind = err instanceof ObjectStoreError ? err.kind : 'local';
    state.failures++;
    state.backoffMs = Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, state.backoffMs * 2));
    // A store that refuses for good (denied, invalid) is retried slowly too: an operator may fix it.
    state.retryAtMs = performance.now() + state.backoffMs;
    const now = performance.now();
    if (now - state.lastLoggedMs >= FAILURE_LOG_INTERVAL_MS) {
      state.lastLoggedMs = now;
      this.#o.log.warn({ err, kind, topic: p.topic, partition: p.partition, failures: state.failures, retryInMs: state.backoffMs, lagBytes: state.lagBytes, lagOffsets: state.lagOffsets },
        'tiered storage: object store operation failed; segments stay local until it succeeds');
    }
  }

  async #partitionTask(p: TieredPartition): Promise<void> {
    let status = await this.#o.shards.tier(p.shard, p.slot, { kind: 'status' });
    this.#noteLag(p, status);
    const state = this.#states.get(`${p.topicId}/${p.partition}`)!;
    if (!state.manifestsChecked) {
      try {
        if (status.remoteSegments === 0) status = await this.#adoptManifests(p, status);
        state.manifestsChecked = true;
      } catch (err) {
        // Looked at again next pass; uploads go on meanwhile (they fail too if the store is down).
        this.#o.metrics.errors.inc({ operation: 'list', kind: err instanceof ObjectStoreError ? err.kind : 'local' });
        this.#o.log.debug({ err, topic: p.topic, partition: p.partition }, 'listing manifests failed');
      }
    }
    if (status.pendingDeletes.length > 0) {
      const keys = status.pendingDeletes.flatMap((s) => segmentObjectKeys(p.topicId, p.partition, { baseOffset: BigInt(s.baseOffset) }));
      try {
        await this.#o.store.delete(keys, this.#abort.signal);
      } catch (err) {
        this.#o.metrics.errors.inc({ operation: 'delete', kind: err instanceof ObjectStoreError ? err.kind : 'local' });
        throw err;
      }
      tierCrashPoint('after-remote-delete');
      this.#o.metrics.deletedSegments.inc(status.pendingDeletes.length);
      status = await this.#o.shards.tier(p.shard, p.slot, { kind: 'deleted', baseOffsets: status.pendingDeletes.map((s) => s.baseOffset) });
    }
    while (status.candidates.length > 0 && !this.#stopped) {
      const candidate = status.candidates[0]!;
      await this.#uploads.acquire();
      let txnIndex: boolean;
      try {
        txnIndex = await this.#upload(p, candidate);
      } catch (err) {
        this.#o.metrics.errors.inc({ operation: 'upload', kind: err instanceof ObjectStoreError ? err.kind : 'local' });
        throw err;
      } finally {
        this.#uploads.release();
      }
      const { files: _files, ...segment } = candidate;
      status = await this.#o.shards.tier(p.shard, p.slot, { kind: 'recorded', segment: { ...segment, txnIndex } });
      this.#o.metrics.uploadedSegments.inc();
      this.#noteLag(p, status);
    }
  }

  /**
   * Start-up with an empty record (lost, or a partition whose record was never written): the
   * chain of uploaded manifests below the local log start, if any, is handed to the shard, which
   * rebuilds the record from it (tiering.ts 'adopt').
   */
  async #adoptManifests(p: TieredPartition, status: TierStatusBody): Promise<TierStatusBody> {
    const localStart = BigInt(status.localLogStartOffset);
    const segments: TierAction & { kind: 'adopt' } = { kind: 'adopt', segments: [] };
    for await (const info of this.#o.store.list(partitionKeyPrefix(p.topicId, p.partition), this.#abort.signal)) {
      if (!info.key.endsWith('.manifest.json')) continue;
      if (BigInt(info.key.slice(-'.manifest.json'.length - 20, -'.manifest.json'.length)) >= localStart) continue;
      const bytes = await this.#o.store.get(info.key, this.#abort.signal);
      if (bytes === null) continue;
      const m = JSON.parse(bytes.toString('utf8')) as { baseOffset: string; nextOffset: string; maxTimestamp: string; size: number; txnIndex: boolean };
      segments.segments.push({ baseOffset: m.baseOffset, nextOffset: m.nextOffset, maxTimestamp: m.maxTimestamp, size: m.size, txnIndex: m.txnIndex });
    }
    if (segments.segments.length === 0) return status;
    segments.segments.sort((a, b) => (BigInt(a.baseOffset) < BigInt(b.baseOffset) ? -1 : 1));
    // Only the chain that ends at the local log start: older manifests not joined to it are not served.
    const chain = [];
    let expected = localStart;
    for (let i = segments.segments.length - 1; i >= 0; i--) {
      const s = segments.segments[i]!;
      if (chain.length > 0 ? BigInt(s.nextOffset) !== expected : BigInt(s.nextOffset) < expected) break;
      chain.unshift(s);
      expected = BigInt(s.baseOffset);
    }
    if (chain.length === 0) return status;
    return this.#o.shards.tier(p.shard, p.slot, { kind: 'adopt', segments: chain });
  }

  #noteLag(p: TieredPartition, status: TierStatusBody): void {
    const labels = { topic: p.topic, partition: String(p.partition) };
    this.#o.metrics.uploadLagBytes.set(labels, status.lagBytes);
    this.#o.metrics.uploadLagOffsets.set(labels, Number(status.lagOffsets));
    const state = this.#states.get(`${p.topicId}/${p.partition}`);
    if (state) {
      state.lagBytes = status.lagBytes;
      state.lagOffsets = status.lagOffsets;
    }
  }

  /** Uploads a segment's files, then its manifest (last). Returns whether a .txnindex went up. */
  async #upload(p: TieredPartition, c: TierCandidateJson): Promise<boolean> {
    const signal = this.#abort.signal;
    const base = BigInt(c.baseOffset);
    const put = async (path: string, object: 'log' | 'index' | 'timeindex' | 'txnindex', size: number): Promise<RemoteFileEntry> => {
      const key = segmentObjectKey(p.topicId, p.partition, base, object);
      const sha256 = await sha256OfFile(path, signal);
      await this.#rate.take(size, signal);
      await this.#o.store.putFile(key, path, size, signal);
      this.#o.metrics.uploadedBytes.inc(size);
      return { key, size, sha256 };
    };
    const sizeOf = async (path: string): Promise<number | null> => {
      try {
        return (await stat(path)).size;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
        throw err;
      }
    };
    const log = await put(c.files.log, 'log', c.size);
    tierCrashPoint('after-log-upload');
    const index = await put(c.files.offsetIndex, 'index', (await sizeOf(c.files.offsetIndex)) ?? 0);
    const timeindex = await put(c.files.timeIndex, 'timeindex', (await sizeOf(c.files.timeIndex)) ?? 0);
    const txnSize = await sizeOf(c.files.txnIndex);
    const txnindex = txnSize !== null && txnSize > 0 ? await put(c.files.txnIndex, 'txnindex', txnSize) : undefined;
    const manifest: RemoteManifest = {
      topic: p.topic, topicId: p.topicId, partition: p.partition, leaderEpoch: 0,
      baseOffset: base, nextOffset: BigInt(c.nextOffset), maxTimestamp: BigInt(c.maxTimestamp), size: c.size, txnIndex: txnindex !== undefined,
      files: { log, index, timeindex, ...(txnindex ? { txnindex } : {}) },
    };
    const json = JSON.stringify({ version: REMOTE_MANIFEST_VERSION, ...manifest }, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
    await this.#o.store.putBytes(segmentObjectKey(p.topicId, p.partition, base, 'manifest'), Buffer.from(json), signal);
    tierCrashPoint('after-manifest');
    return txnindex !== undefined;
  }
}
