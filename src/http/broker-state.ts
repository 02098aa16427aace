// What the operator surface reads from a running broker: the partition table straight from the
// watermark slots, per-shard ring and event-loop figures, and a once-a-second sampler that turns
// the byte/record counters into rates (the dashboard's chart history and its SSE ticks).
import type { EventLoopUtilization } from 'node:perf_hooks';
import type { HttpBrokerView } from './broker-view.ts';
import type { GroupView } from './group-view.ts';

export interface PartitionRow {
  topic: string;
  partition: number;
  shard: number;
  highWatermark: bigint;
  /** The read_committed limit: the first offset of the oldest open transaction, else the HWM. */
  lastStableOffset: bigint;
  logStartOffset: bigint;
  /** Tiered storage: the first offset in local files; offsets below it are in the object store. */
  localLogStartOffset: bigint;
  sizeBytes: bigint;
  /** The cleaner's dirty ratio (0..1) of a compacted partition, -1 for one that is not compacted. */
  dirtyRatio: number;
  /** Wall-clock ms of the cleaner's last swap, -1 before the first. */
  lastCleanMs: number;
}

export interface ShardRow {
  shard: number;
  partitions: number;
  ringUsedBytes: number;
  ringCapacityBytes: number;
  waitingMessages: number;
  pausedConnections: number;
  /** Cumulative since the shard thread started; a restart begins again at zero. */
  eventLoopActiveMs: number;
  eventLoopIdleMs: number;
  restarts: number;
}

/** Every partition of every topic, internal ones included, read from the one place (DESIGN.md §2). */
export function partitionRows(broker: HttpBrokerView): PartitionRow[] {
  const rows: PartitionRow[] = [];
  for (const topic of broker.metadata.topics) {
    for (const handle of broker.partitions(topic.name) ?? []) {
      if (!handle) continue;
      rows.push({
        topic: topic.name,
        partition: handle.partition,
        shard: handle.shard,
        highWatermark: broker.watermarks.highWatermark(handle.slot),
        lastStableOffset: broker.watermarks.lastStableOffset(handle.slot),
        logStartOffset: broker.watermarks.logStartOffset(handle.slot),
        localLogStartOffset: broker.watermarks.localLogStartOffset(handle.slot),
        sizeBytes: broker.watermarks.logEndBytes(handle.slot),
        dirtyRatio: broker.watermarks.dirtyRatio(handle.slot),
        lastCleanMs: broker.watermarks.lastCleanMs(handle.slot),
      });
    }
  }
  return rows;
}

export function shardRows(broker: HttpBrokerView, partitions: PartitionRow[] = partitionRows(broker)): ShardRow[] {
  const owned = new Array<number>(broker.shards.size).fill(0);
  for (const p of partitions) owned[p.shard] = (owned[p.shard] ?? 0) + 1;
  return owned.map((count, shard) => {
    const ring = broker.shards.ringUsage(shard);
    const elu: EventLoopUtilization | undefined = broker.shards.eventLoopUtilization(shard);
    return {
      shard,
      partitions: count,
      ringUsedBytes: ring.usedBytes,
      ringCapacityBytes: ring.capacityBytes,
      waitingMessages: ring.waitingMessages,
      pausedConnections: ring.pausedConnections,
      eventLoopActiveMs: elu?.active ?? 0,
      eventLoopIdleMs: elu?.idle ?? 0,
      restarts: broker.shards.restarts(shard),
    };
  });
}

export interface GroupLagRow {
  topic: string;
  partition: number;
  committedOffset: bigint;
  highWatermark: bigint;
  lag: bigint;
}

/**
 * Lag per committed partition: HWM minus the committed offset, never below zero (a commit past a
 * truncated log end is not negative lag). Partitions the broker no longer has are left out.
 */
export async function groupLag(broker: HttpBrokerView, groups: GroupView, groupId: string): Promise<GroupLagRow[]> {
  const rows: GroupLagRow[] = [];
  // A group committing through transactions reads read_committed (the broker cannot know a
  // consumer's isolation otherwise): its end is the LSO, which an open transaction holds back.
  const readCommitted = groups.readCommitted(groupId);
  for (const c of await groups.committedOffsets(groupId)) {
    if (c.offset < 0n) continue;
    const handle = broker.partition(c.topic, c.partition);
    if (!handle) continue;
    const highWatermark = broker.watermarks.highWatermark(handle.slot);
    const end = readCommitted ? broker.watermarks.lastStableOffset(handle.slot) : highWatermark;
    const lag = end > c.offset ? end - c.offset : 0n;
    rows.push({ topic: c.topic, partition: c.partition, committedOffset: c.offset, highWatermark, lag });
  }
  rows.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  return rows;
}

// ---- the sampler ----

export interface TopicRates {
  bytesIn: number;
  bytesOut: number;
  recordsIn: number;
}

export interface ThroughputSample {
  /** Unix ms at the end of the interval. */
  time: number;
  /** Per second over the interval, by topic. */
  topics: Record<string, TopicRates>;
  /** Shard event-loop utilisation over the interval, 0..1, by shard index. */
  shardUtilization: number[];
  /** Record bytes appended per second, by shard index. */
  shardBytesIn: number[];
}

type Totals = Map<string, { bytesIn: number; bytesOut: number; recordsIn: number; shard: number }>;

async function counterTotals(broker: HttpBrokerView): Promise<Totals> {
  const totals: Totals = new Map();
  const shardOf = new Map<string, number>();
  for (const topic of broker.metadata.topics) {
    for (const h of broker.partitions(topic.name) ?? []) if (h) shardOf.set(`${topic.name}\0${h.partition}`, h.shard);
  }
  const add = async (counter: { get(): Promise<{ values: { labels: Record<string, string | number>; value: number }[] }> }, field: 'bytesIn' | 'bytesOut' | 'recordsIn') => {
    for (const v of (await counter.get()).values) {
      const key = `${String(v.labels.topic)}\0${String(v.labels.partition)}`;
      let t = totals.get(key);
      if (!t) {
        t = { bytesIn: 0, bytesOut: 0, recordsIn: 0, shard: shardOf.get(key) ?? -1 };
        totals.set(key, t);
      }
      t[field] += v.value;
    }
  };
  await add(broker.metrics.bytesIn, 'bytesIn');
  await add(broker.metrics.bytesOut, 'bytesOut');
  await add(broker.metrics.recordsIn, 'recordsIn');
  return totals;
}

/**
 * Samples once per interval. Rates come from counter deltas between two samples, so they are exact
 * over the interval whatever the request pattern; a counter that went backwards (a topic deleted
 * and recreated keeps its label values) counts as zero for that interval.
 */
export class BrokerSampler {
  readonly #broker: HttpBrokerView;
  readonly #intervalMs: number;
  readonly #historyLength: number;
  readonly history: ThroughputSample[] = [];
  readonly #listeners = new Set<(sample: ThroughputSample) => void>();
  #timer: NodeJS.Timeout | undefined;
  #previous: { time: number; totals: Totals; elu: (EventLoopUtilization | undefined)[] } | undefined;
  #sampling = false;

  constructor(broker: HttpBrokerView, options: { intervalMs?: number; historyLength?: number } = {}) {
    this.#broker = broker;
    this.#intervalMs = options.intervalMs ?? 1000;
    this.#historyLength = options.historyLength ?? 300;
  }

  get intervalMs(): number {
    return this.#intervalMs;
  }

  start(): void {
    if (this.#timer) return;
    void this.sample();
    this.#timer = setInterval(() => void this.sample(), this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    this.#listeners.clear();
  }

  onSample(listener: (sample: ThroughputSample) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** The newest utilisation of each shard, 0 before the second sample. */
  get latestShardUtilization(): number[] {
    return this.history.at(-1)?.shardUtilization ?? new Array<number>(this.#broker.shards.size).fill(0);
  }

  async sample(): Promise<ThroughputSample | undefined> {
    if (this.#sampling) return undefined;
    this.#sampling = true;
    try {
      const time = Date.now();
      const totals = await counterTotals(this.#broker);
      const shards = this.#broker.shards.size;
      const elu = Array.from({ length: shards }, (_, s) => this.#broker.shards.eventLoopUtilization(s));
      const previous = this.#previous;
      this.#previous = { time, totals, elu };
      if (!previous) return undefined;
      const seconds = Math.max(0.001, (time - previous.time) / 1000);
      const topics: Record<string, TopicRates> = {};
      const shardBytesIn = new Array<number>(shards).fill(0);
      for (const [key, now] of totals) {
        const before = previous.totals.get(key) ?? { bytesIn: 0, bytesOut: 0, recordsIn: 0 };
        const delta = (f: 'bytesIn' | 'bytesOut' | 'recordsIn') => Math.max(0, now[f] - before[f]) / seconds;
        const topic = key.slice(0, key.indexOf('\0'));
        const t = (topics[topic] ??= { bytesIn: 0, bytesOut: 0, recordsIn: 0 });
        t.bytesIn += delta('bytesIn');
        t.bytesOut += delta('bytesOut');
        t.recordsIn += delta('recordsIn');
        if (now.shard >= 0 && now.shard < shards) shardBytesIn[now.shard]! += delta('bytesIn');
      }
      const shardUtilization = elu.map((current, s) => {
        const before = previous.elu[s];
        if (!current) return 0;
        // A restarted shard's counters begin again; its utilisation since start is the best figure.
        if (!before || current.active < before.active) return current.utilization;
        const active = current.active - before.active;
        const idle = current.idle - before.idle;
        return active + idle > 0 ? active / (active + idle) : 0;
      });
      const sample: ThroughputSample = { time, topics, shardUtilization, shardBytesIn };
      this.history.push(sample);
      if (this.history.length > this.#historyLength) this.history.shift();
      for (const listener of this.#listeners) listener(sample);
      return sample;
    } finally {
      this.#sampling = false;
    }
  }
}
