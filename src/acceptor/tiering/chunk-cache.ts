// The fetch path's bounded LRU cache of remote object bytes: fixed-size chunks of .log objects and
// whole small index objects, keyed by object key and chunk. Concurrent misses of one chunk share
// one GET. Bounded by bytes (--remote-log-chunk-cache-bytes); 0 caches nothing.
import type { TierMetrics } from './tier-metrics.ts';

/** Bytes per cached chunk of a .log object: one ranged GET each. */
export const REMOTE_CHUNK_BYTES = 1024 * 1024;

export class ChunkCache {
  readonly #maxBytes: number;
  readonly #metrics: TierMetrics | undefined;
  // Map iteration order is insertion order: re-inserting on a hit makes the first key the least recent.
  readonly #entries = new Map<string, Buffer>();
  readonly #loading = new Map<string, Promise<Buffer>>();
  #bytes = 0;

  constructor(maxBytes: number, metrics?: TierMetrics) {
    this.#maxBytes = maxBytes;
    this.#metrics = metrics;
  }

  get bytes(): number { return this.#bytes; }
  get size(): number { return this.#entries.size; }

  async get(key: string, load: () => Promise<Buffer>): Promise<Buffer> {
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      this.#metrics?.cacheHits.inc();
      return hit;
    }
    const pending = this.#loading.get(key);
    if (pending !== undefined) return pending;
    this.#metrics?.cacheMisses.inc();
    const loading = load().then((bytes) => {
      this.#put(key, bytes);
      return bytes;
    }).finally(() => this.#loading.delete(key));
    this.#loading.set(key, loading);
    return loading;
  }

  /** Drops every entry whose key starts with prefix (a deleted topic's objects). */
  forgetPrefix(prefix: string): void {
    for (const [key, value] of this.#entries) {
      if (!key.startsWith(prefix)) continue;
      this.#entries.delete(key);
      this.#bytes -= value.length;
    }
  }

  #put(key: string, bytes: Buffer): void {
    if (bytes.length > this.#maxBytes) return;
    this.#entries.set(key, bytes);
    this.#bytes += bytes.length;
    for (const [oldest, value] of this.#entries) {
      if (this.#bytes <= this.#maxBytes) break;
      this.#entries.delete(oldest);
      this.#bytes -= value.length;
    }
  }
}
