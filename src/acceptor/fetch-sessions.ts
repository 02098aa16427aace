// KIP-227 incremental fetch sessions: the session cache and the per-request "fetch context" that
// decides which partitions a Fetch reads and which of them its response must carry. Main thread
// only. The rules follow Kafka's FetchSession/FetchManager (core FetchSession.scala, and the Java
// FetchSession/FetchSessionCacheShard/FetchManager of kafka-server 4.4, whose bytecode was read
// to confirm the rules did not change): see docs/notes/fetch-sessions.md.
//
//   FetchSessionCache
//   ├── shard 0 … shard 7   (Kafka's NumFetchSessionCacheShards = 8; new sessions round-robin;
//   │                        shard k hands out ids in [max(1, k·R), (k+1)·R), R = 2^31-1 / 8;
//   │                        each holds slots / 8 sessions; eviction looks within one shard)
//   │     └── sessions: id → FetchSession
//   │                          ├── epoch (the next one the client must send)
//   │                          └── partitions: key → CachedPartition, in fetch order; a
//   │                              partition that returned records moves to the back
//   └── cachedPartitions (all shards): bounded by MAX_CACHED_PARTITIONS (ours, see below)
//
// Sessions are not bound to connections (Kafka keeps them when a connection closes); they leave
// the cache when a full fetch or an emptied incremental fetch closes them, or by eviction.
import { ErrorCode } from '../protocol/errors.ts';

/** FetchMetadata.INVALID_SESSION_ID: "no session". */
export const INVALID_SESSION_ID = 0;
/** A full fetch that asks for a session. */
export const INITIAL_EPOCH = 0;
/** A full fetch that asks for no session (and closes the one it names). */
export const FINAL_EPOCH = -1;
/** Kafka's NumFetchSessionCacheShards. */
export const CACHE_SHARDS = 8;
/** Kafka's MIN_INCREMENTAL_FETCH_SESSION_EVICTION_MS: idle this long, a session is stale. */
export const EVICTION_MS = 120_000;
/**
 * Ours, not Kafka's: the most partitions all sessions together may cache. Kafka bounds only the
 * number of sessions, so one client could make the cache hold millions of (even unknown)
 * partitions. About 0.2 KB each (docs/notes/fetch-sessions.md), so at most ~50 MB. A full fetch
 * that would pass it gets no session (as with a full cache); an incremental fetch that would
 * pass it closes its session and is answered sessionless, which sends the client back to a full
 * fetch (both are answers Kafka also gives).
 */
export const MAX_CACHED_PARTITIONS = 250_000;

const { FETCH_SESSION_ID_NOT_FOUND, INVALID_FETCH_SESSION_EPOCH, FETCH_SESSION_TOPIC_ID_ERROR } = ErrorCode;
const SESSION_ID_RANGE = Math.floor(0x7fffffff / CACHE_SHARDS);
const ZERO_UUID = '00000000-0000-0000-0000-000000000000';

/** FetchMetadata.nextEpoch. */
export function nextEpoch(epoch: number): number {
  if (epoch < 0) return FINAL_EPOCH;
  return epoch === 0x7fffffff ? 1 : epoch + 1;
}

/** What a fetch request says about one partition (the fields a session caches). */
export interface RequestPartition {
  topicId: string;
  /** Resolved from the topic id for v13+; undefined while the id is unknown. */
  topic: string | undefined;
  partition: number;
  fetchOffset: bigint;
  logStartOffset: bigint;
  partitionMaxBytes: number;
  currentLeaderEpoch: number;
  lastFetchedEpoch: number;
}

/** The response fields the incremental-response rules look at. */
export interface PartitionAnswer {
  errorCode: number;
  highWatermark: bigint;
  logStartOffset: bigint;
  recordBytes: number;
  /** Always -1 here (one broker), kept so the rule reads as Kafka's. */
  preferredReadReplica: number;
}

/**
 * Kafka's CachedPartition equality: by topic id and partition when the id is set (v13+), else by
 * name and partition.
 */
export function partitionKey(p: { topicId: string; topic: string | undefined; partition: number }): string {
  return p.topicId !== ZERO_UUID && p.topicId !== '' ? `i${p.topicId}:${p.partition}` : `n${p.topic ?? ''}:${p.partition}`;
}

export class CachedPartition {
  readonly key: string;
  request: RequestPartition;
  /** The high watermark last sent; -1 after an error, so the partition is sent again once it clears. */
  highWatermark = -1n;
  /** The broker's log start offset last sent. */
  localLogStartOffset = -1n;

  constructor(key: string, request: RequestPartition) {
    this.key = key;
    this.request = { ...request };
  }

  /**
   * Kafka's CachedPartition.maybeUpdateResponseData: a partition is in an incremental response
   * when it has records, a new high watermark or log start offset, a preferred replica, or an
   * error. The last stable offset is not among them, in Kafka either.
   */
  mustRespond(answer: PartitionAnswer, update: boolean): boolean {
    let must = answer.recordBytes > 0;
    if (this.highWatermark !== answer.highWatermark) {
      must = true;
      if (update) this.highWatermark = answer.highWatermark;
    }
    if (this.localLogStartOffset !== answer.logStartOffset) {
      must = true;
      if (update) this.localLogStartOffset = answer.logStartOffset;
    }
    if (answer.preferredReadReplica !== -1) must = true;
    if (answer.errorCode !== 0) {
      if (update) this.highWatermark = -1n;
      must = true;
    }
    return must;
  }
}

export class FetchSession {
  readonly id: number;
  readonly privileged: boolean;
  readonly usesTopicIds: boolean;
  readonly creationMs: number;
  lastUsedMs: number;
  epoch: number;
  readonly partitions = new Map<string, CachedPartition>();
  /** The size the cache last accounted for; -1 while not in the cache. */
  cachedSize = -1;
  /** Where the last touch placed it among Kafka's evictable sets. */
  evictableByAll = false;
  evictableByPrivileged = false;

  constructor(id: number, privileged: boolean, usesTopicIds: boolean, now: number) {
    this.id = id;
    this.privileged = privileged;
    this.usesTopicIds = usesTopicIds;
    this.creationMs = now;
    this.lastUsedMs = now;
    this.epoch = nextEpoch(INITIAL_EPOCH);
  }

  /** Adds and updates the partitions a request names, removes the forgotten ones (FetchSession.update). */
  update(fetchData: readonly RequestPartition[], toForget: readonly { topicId: string; topic: string | undefined; partition: number }[]): void {
    for (const p of fetchData) {
      const key = partitionKey(p);
      const cached = this.partitions.get(key);
      if (cached) cached.request = { ...p, topic: p.topic ?? cached.request.topic };
      else this.partitions.set(key, new CachedPartition(key, p));
    }
    for (const p of toForget) this.partitions.delete(partitionKey(p));
  }
}

class CacheShard {
  readonly sessions = new Map<number, FetchSession>();
  readonly shardNum: number;
  readonly maxEntries: number;

  constructor(shardNum: number, maxEntries: number) {
    this.shardNum = shardNum;
    this.maxEntries = maxEntries;
  }

  newSessionId(): number {
    const low = Math.max(1, this.shardNum * SESSION_ID_RANGE);
    const high = (this.shardNum + 1) * SESSION_ID_RANGE;
    for (;;) {
      const id = low + Math.floor(Math.random() * (high - low));
      if (id !== INVALID_SESSION_ID && !this.sessions.has(id)) return id;
    }
  }
}

export interface FetchSessionCacheOptions {
  /** max.incremental.fetch.session.cache.slots */
  slots: number;
  evictionMs?: number;
  maxCachedPartitions?: number;
  now?: () => number;
  onEviction?: () => void;
  /** Called for every incremental fetch served through a session. */
  onIncrementalFetch?: () => void;
}

/** What a Fetch request gets to work with (Kafka's FetchContext kinds). */
export type FetchContext =
  /** The session named could not be used: answered with this error, session id 0, no partitions. */
  | { kind: 'error'; errorCode: number }
  /** No session: every partition of the request, answered in full, session id 0. */
  | { kind: 'sessionless'; partitions: RequestPartition[] }
  /** Epoch 0: every partition of the request, answered in full; a session is created for them. */
  | { kind: 'full'; partitions: RequestPartition[]; usesTopicIds: boolean; privileged: boolean }
  /** An incremental fetch: the session's partitions, in its order; the answer carries only what changed. */
  | { kind: 'incremental'; partitions: RequestPartition[]; cached: CachedPartition[]; session: FetchSession; expectedEpoch: number };

export class FetchSessionCache {
  readonly #shards: CacheShard[];
  readonly #evictionMs: number;
  readonly #maxCachedPartitions: number;
  readonly #now: () => number;
  readonly #onEviction: () => void;
  readonly #onIncrementalFetch: () => void;
  #nextShard = 0;
  #cachedPartitions = 0;

  constructor(options: FetchSessionCacheOptions) {
    const perShard = Math.floor(Math.max(0, options.slots) / CACHE_SHARDS);
    this.#shards = Array.from({ length: CACHE_SHARDS }, (_, k) => new CacheShard(k, perShard));
    this.#evictionMs = options.evictionMs ?? EVICTION_MS;
    this.#maxCachedPartitions = options.maxCachedPartitions ?? MAX_CACHED_PARTITIONS;
    this.#now = options.now ?? Date.now;
    this.#onEviction = options.onEviction ?? (() => undefined);
    this.#onIncrementalFetch = options.onIncrementalFetch ?? (() => undefined);
  }

  /** Sessions in the cache (Kafka's NumIncrementalFetchSessions). */
  get size(): number {
    let n = 0;
    for (const s of this.#shards) n += s.sessions.size;
    return n;
  }

  /** Partitions cached by all sessions (Kafka's NumIncrementalFetchPartitionsCached). */
  get cachedPartitions(): number {
    return this.#cachedPartitions;
  }

  get(sessionId: number): FetchSession | undefined {
    return this.#shardOf(sessionId)?.sessions.get(sessionId);
  }

  #shardOf(sessionId: number): CacheShard | undefined {
    return sessionId > 0 ? this.#shards[Math.floor(sessionId / SESSION_ID_RANGE)] : undefined;
  }

  /**
   * FetchManager.newContext: what this request reads. A full fetch closes the session it names;
   * epoch -1 then stays sessionless, epoch 0 asks for a new session. An incremental fetch must
   * name a cached session, at its epoch, with topic ids exactly when the version has them; its
   * partitions are added, updated and forgotten, and its epoch moves on. A session left with no
   * partition is closed and the request answered sessionless.
   */
  newContext(request: {
    version: number; sessionId: number; sessionEpoch: number; privileged: boolean;
    partitions: RequestPartition[]; forgotten: { topicId: string; topic: string | undefined; partition: number }[];
  }): FetchContext {
    const { version, sessionId, sessionEpoch } = request;
    if (sessionEpoch === INITIAL_EPOCH || sessionEpoch === FINAL_EPOCH) {
      if (sessionId !== INVALID_SESSION_ID) this.remove(sessionId);
      if (sessionEpoch === FINAL_EPOCH) return { kind: 'sessionless', partitions: request.partitions };
      return { kind: 'full', partitions: request.partitions, usesTopicIds: version >= 13, privileged: request.privileged };
    }
    const session = this.get(sessionId);
    if (!session) return { kind: 'error', errorCode: FETCH_SESSION_ID_NOT_FOUND };
    if (session.epoch !== sessionEpoch) return { kind: 'error', errorCode: INVALID_FETCH_SESSION_EPOCH };
    if (session.usesTopicIds !== (version >= 13)) return { kind: 'error', errorCode: FETCH_SESSION_TOPIC_ID_ERROR };
    session.update(request.partitions, request.forgotten);
    if (session.partitions.size === 0 || this.#cachedPartitions - Math.max(0, session.cachedSize) + session.partitions.size > this.#maxCachedPartitions) {
      const partitions = session.partitions.size === 0 ? request.partitions : [...session.partitions.values()].map((c) => c.request);
      this.#removeSession(session);
      return { kind: 'sessionless', partitions };
    }
    this.#touch(session, this.#now());
    session.epoch = nextEpoch(session.epoch);
    this.#onIncrementalFetch();
    const cached = [...session.partitions.values()];
    return { kind: 'incremental', partitions: cached.map((c) => c.request), cached, session, expectedEpoch: session.epoch };
  }

  /**
   * FullFetchContext.updateAndGenerateResponseData: caches the partitions of a full fetch as a new
   * session and returns its id, or 0 when the cache has no room and evicts nothing.
   */
  createSession(context: Extract<FetchContext, { kind: 'full' }>, answers: readonly PartitionAnswer[]): number {
    const unique = new Map<string, { request: RequestPartition; answer: PartitionAnswer }>();
    context.partitions.forEach((request, i) => {
      const key = partitionKey(request);
      const seen = unique.get(key);
      // A LinkedHashMap in Kafka: a repeated partition keeps its first place and its last data.
      if (seen) { seen.request = request; seen.answer = answers[i]!; } else unique.set(key, { request, answer: answers[i]! });
    });
    const size = unique.size;
    if (this.#cachedPartitions + size > this.#maxCachedPartitions) return INVALID_SESSION_ID;
    const now = this.#now();
    const shard = this.#shards[this.#nextShard]!;
    this.#nextShard = (this.#nextShard + 1) % CACHE_SHARDS;
    if (shard.sessions.size >= shard.maxEntries && !this.#tryEvict(shard, context.privileged, size, now)) return INVALID_SESSION_ID;
    const session = new FetchSession(shard.newSessionId(), context.privileged, context.usesTopicIds, now);
    for (const [key, { request, answer }] of unique) {
      const cached = new CachedPartition(key, request);
      cached.highWatermark = answer.highWatermark;
      cached.localLogStartOffset = answer.logStartOffset;
      session.partitions.set(key, cached);
    }
    shard.sessions.set(session.id, session);
    this.#touch(session, now);
    return session.id;
  }

  /**
   * IncrementalFetchContext.updateAndGenerateResponseData: which answers the response carries
   * (true at their index), updating the cached state and moving partitions that returned records
   * to the back of the session, so the next fetch reads the others first. Undefined when the
   * session moved past this request's epoch meanwhile (a duplicate): INVALID_FETCH_SESSION_EPOCH.
   */
  selectIncremental(context: Extract<FetchContext, { kind: 'incremental' }>, answers: readonly PartitionAnswer[]): boolean[] | undefined {
    const { session } = context;
    if (session.epoch !== context.expectedEpoch) return undefined;
    return context.cached.map((cached, i) => {
      const answer = answers[i]!;
      // Forgotten by a later request of the same session meanwhile: answered as read.
      if (session.partitions.get(cached.key) !== cached) return true;
      const must = cached.mustRespond(answer, true);
      if (must && answer.recordBytes > 0) {
        session.partitions.delete(cached.key);
        session.partitions.set(cached.key, cached);
      }
      return must;
    });
  }

  /** Closes a session (a full fetch naming it); true when there was one. */
  remove(sessionId: number): boolean {
    const session = this.get(sessionId);
    if (!session) return false;
    this.#removeSession(session);
    return true;
  }

  #removeSession(session: FetchSession): void {
    const shard = this.#shardOf(session.id);
    if (!shard?.sessions.delete(session.id)) return;
    this.#cachedPartitions -= Math.max(0, session.cachedSize);
    session.cachedSize = -1;
  }

  /** FetchSessionCacheShard.touch: last use, size, and which evictable sets it is in, as of now. */
  #touch(session: FetchSession, now: number): void {
    session.lastUsedMs = now;
    if (session.cachedSize !== -1) this.#cachedPartitions -= session.cachedSize;
    session.cachedSize = session.partitions.size;
    this.#cachedPartitions += session.cachedSize;
    const old = now - session.creationMs > this.#evictionMs;
    session.evictableByPrivileged = !session.privileged || old;
    session.evictableByAll = old;
  }

  /**
   * FetchSessionCacheShard.tryEvict: a new session of `size` partitions may evict, in this shard,
   * the least recently used session if it is stale (unused for longer than the eviction time);
   * otherwise the least valuable evictable one — ordered by (privileged, size, id), unprivileged
   * and smaller first — when the new one is worth more: privileged over unprivileged, or more
   * partitions. Only sessions created longer ago than the eviction time are evictable by all;
   * unprivileged sessions are always evictable by a privileged one. One eviction at most.
   */
  #tryEvict(shard: CacheShard, privileged: boolean, size: number, now: number): boolean {
    let lru: FetchSession | undefined;
    for (const s of shard.sessions.values()) {
      if (!lru || s.lastUsedMs < lru.lastUsedMs || (s.lastUsedMs === lru.lastUsedMs && s.id < lru.id)) lru = s;
    }
    if (!lru) return false;
    if (now - lru.lastUsedMs > this.#evictionMs) {
      this.#removeSession(lru);
      this.#onEviction();
      return true;
    }
    let least: FetchSession | undefined;
    for (const s of shard.sessions.values()) {
      if (!(privileged ? s.evictableByPrivileged : s.evictableByAll)) continue;
      if (!least || compareEvictable(s, least) < 0) least = s;
    }
    if (!least) return false;
    // The new entry's key has id 0, below every real id: a tie in (privileged, size) keeps the old one.
    if (compareEvictable({ privileged, cachedSize: size, id: 0 }, least) < 0) return false;
    this.#removeSession(least);
    this.#onEviction();
    return true;
  }
}

function compareEvictable(a: { privileged: boolean; cachedSize: number; id: number }, b: { privileged: boolean; cachedSize: number; id: number }): number {
  if (a.privileged !== b.privileged) return a.privileged ? 1 : -1;
  if (a.cachedSize !== b.cachedSize) return a.cachedSize - b.cachedSize;
  return a.id - b.id;
}
