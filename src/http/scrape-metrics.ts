// Metrics computed at scrape time from the broker's own state: watermarks and sizes from the shared
// slots, partition -> shard placement, shard rings and event loops, consumer-group lag. Nothing here
// keeps a second copy that could drift; each collect() reads the source and rebuilds its series.
import { statfs } from 'node:fs/promises';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { HttpBrokerView } from './broker-view.ts';
import { groupLag, partitionRows, shardRows, type BrokerSampler } from './broker-state.ts';
import type { GroupView } from './group-view.ts';
import { APPENDED_BATCHES, CLEANER_BYTES, CLEANER_RUNS, DUPLICATE_BATCHES, FDATASYNCS, GROUP_SYNCS, SYNC_BUCKETS, SYNC_BUCKET_BOUNDS_SECONDS, SYNC_NANOS_TOTAL, type ShardStats } from '../shared-mem/shard-stats.ts';

/** Registers the scrape-time metrics on the broker's registry; returns a function that removes them. */
export function registerScrapeTimeMetrics(broker: HttpBrokerView, sampler: BrokerSampler, groups: () => GroupView, dataDir?: string): () => void {
  const registry: Registry = broker.metrics.registry;
  const registers = [registry];
  const names: string[] = [];
  const track = <T>(name: string, metric: T): T => {
    names.push(name);
    return metric;
  };
  const partitionLabels = ['topic', 'partition'] as const;

  // Each family is filled by one refresh, so its series agree with each other within a scrape.
  // prom-client calls collect() once per metric, all from one registry.metrics() call in the same
  // turn of the event loop: the first call refreshes, the others in that turn reuse the result.
  let partitionsFresh = false;
  const refreshPartitions = () => {
    if (partitionsFresh) return;
    partitionsFresh = true;
    setImmediate(() => { partitionsFresh = false; });
    for (const m of [highWatermark, lastStableOffset, logStartOffset, localLogStartOffset, sizeBytes, dirtyRatio, lastClean, partitionInfo, shardPartitions, ringUsed, ringCapacity, waiting, paused, utilization, activeSeconds, topicPartitions, topicSizeBytes]) m.reset();
    const partitions = partitionRows(broker);
    for (const p of partitions) {
      const labels = { topic: p.topic, partition: String(p.partition) };
      topicPartitions.inc({ topic: p.topic });
      topicSizeBytes.inc({ topic: p.topic }, Number(p.sizeBytes));
      // Offsets beyond 2^53 lose precision here; Prometheus samples are float64 anyway.
      highWatermark.set(labels, Number(p.highWatermark));
      lastStableOffset.set(labels, Number(p.lastStableOffset));
      logStartOffset.set(labels, Number(p.logStartOffset));
      localLogStartOffset.set(labels, Number(p.localLogStartOffset));
      sizeBytes.set(labels, Number(p.sizeBytes));
      if (p.dirtyRatio >= 0) dirtyRatio.set(labels, p.dirtyRatio);
      if (p.lastCleanMs >= 0) lastClean.set(labels, p.lastCleanMs / 1000);
      partitionInfo.set({ ...labels, shard: String(p.shard) }, 1);
    }
    const elu = sampler.latestShardUtilization;
    for (const s of shardRows(broker, partitions)) {
      const shard = String(s.shard);
      shardPartitions.set({ shard }, s.partitions);
      ringUsed.set({ shard }, s.ringUsedBytes);
      ringCapacity.set({ shard }, s.ringCapacityBytes);
      waiting.set({ shard }, s.waitingMessages);
      paused.set({ shard }, s.pausedConnections);
      utilization.set({ shard }, elu[s.shard] ?? 0);
      activeSeconds.inc({ shard }, s.eventLoopActiveMs / 1000);
    }
  };

  let groupsRefresh: Promise<void> | undefined;
  const fillGroups = async () => {
    const view = groups();
    const committed: [Record<string, string>, number, number][] = [];
    const members: [string, number][] = [];
    try {
      for (const group of view.available ? await view.groups() : []) {
        members.push([group.groupId, group.members.length]);
        for (const row of await groupLag(broker, view, group.groupId)) {
          committed.push([{ group: group.groupId, topic: row.topic, partition: String(row.partition) }, Number(row.committedOffset), Number(row.lag)]);
        }
      }
    } catch (err) {
      // A coordinator that fails must not take /metrics down with it: the group series go empty.
      broker.log.warn({ err }, 'metrics: reading consumer groups failed');
      members.length = 0;
      committed.length = 0;
    }
    // Reset only once the new figures are in hand, so a concurrent scrape never sees a half-filled family.
    for (const m of [groupCommitted, groupLagGauge, groupMembers]) m.reset();
    for (const [group, count] of members) groupMembers.set({ group }, count);
    for (const [labels, offset, lag] of committed) {
      groupCommitted.set(labels, offset);
      groupLagGauge.set(labels, lag);
    }
  };
  const refreshGroups = () => (groupsRefresh ??= fillGroups().finally(() => { groupsRefresh = undefined; }));

  const highWatermark = track('highwater_partition_high_watermark', new Gauge({
    name: 'highwater_partition_high_watermark', collect: refreshPartitions, help: 'High watermark: the first offset not yet visible to consumers', labelNames: partitionLabels, registers,
  }));
  const lastStableOffset = track('highwater_partition_last_stable_offset', new Gauge({
    name: 'highwater_partition_last_stable_offset', collect: refreshPartitions, help: 'Last stable offset: the first offset read_committed consumers may not see yet (an open transaction\'s start, else the high watermark)', labelNames: partitionLabels, registers,
  }));
  const logStartOffset = track('highwater_partition_log_start_offset', new Gauge({
    name: 'highwater_partition_log_start_offset', collect: refreshPartitions, help: 'First offset still in the log (after retention and DeleteRecords)', labelNames: partitionLabels, registers,
  }));
  const localLogStartOffset = track('highwater_partition_local_log_start_offset', new Gauge({
    name: 'highwater_partition_local_log_start_offset', collect: refreshPartitions, help: 'Tiered storage: first offset in local files (below it the object store serves the log); the log start offset without tiering', labelNames: partitionLabels, registers,
  }));
  const sizeBytes = track('highwater_partition_size_bytes', new Gauge({
    name: 'highwater_partition_size_bytes', collect: refreshPartitions, help: 'Bytes of log on disk, as the owning shard last published', labelNames: partitionLabels, registers,
  }));
  const dirtyRatio = track('highwater_partition_cleaner_dirty_ratio', new Gauge({
    name: 'highwater_partition_cleaner_dirty_ratio', collect: refreshPartitions, help: 'Compacted partitions: share of the cleanable log not yet cleaned, at the cleaner\'s last check (0..1)', labelNames: partitionLabels, registers,
  }));
  const lastClean = track('highwater_partition_cleaner_last_clean_timestamp_seconds', new Gauge({
    name: 'highwater_partition_cleaner_last_clean_timestamp_seconds', collect: refreshPartitions, help: 'Compacted partitions: when the cleaner last swapped cleaned segments in (Unix seconds)', labelNames: partitionLabels, registers,
  }));
  const partitionInfo = track('highwater_partition_info', new Gauge({
    name: 'highwater_partition_info', collect: refreshPartitions,
    help: 'Always 1; carries the owning shard of each partition, to join per-partition counters by shard: ... * on(topic, partition) group_left(shard) highwater_partition_info',
    labelNames: ['topic', 'partition', 'shard'], registers,
  }));
  // Per-topic roll-ups beside the per-partition series: what dashboards and alerts usually want,
  // without a sum by (topic) in every query.
  const topicPartitions = track('highwater_topic_partitions', new Gauge({ name: 'highwater_topic_partitions', collect: refreshPartitions, help: 'Partitions of the topic', labelNames: ['topic'], registers }));
  const topicSizeBytes = track('highwater_topic_size_bytes', new Gauge({ name: 'highwater_topic_size_bytes', collect: refreshPartitions, help: 'Bytes of log on disk, all partitions of the topic', labelNames: ['topic'], registers }));
  // Counters summed per topic from the per-partition counters at scrape time. A topic's partitions
  // are never removed one by one (only added, or the whole topic deleted), so each sum only grows.
  const perTopicSum = (name: string, help: string, source: Counter<'topic' | 'partition'>) => {
    const counter: Counter<'topic'> = track(name, new Counter({
      name, help, labelNames: ['topic'], registers,
      async collect() {
        const sums = new Map<string, number>();
        for (const v of (await source.get()).values) {
          const topic = String(v.labels.topic);
          sums.set(topic, (sums.get(topic) ?? 0) + v.value);
        }
        counter.reset();
        for (const [topic, value] of sums) counter.inc({ topic }, value);
      },
    }));
  };
  perTopicSum('highwater_topic_bytes_in_total', 'Record batch bytes appended to the topic', broker.metrics.bytesIn);
  perTopicSum('highwater_topic_records_in_total', 'Records appended to the topic', broker.metrics.recordsIn);
  perTopicSum('highwater_topic_bytes_out_total', 'Record batch bytes of the topic served by Fetch', broker.metrics.bytesOut);
  perTopicSum('highwater_topic_records_out_total', 'Records in the batches of the topic served by Fetch', broker.metrics.recordsOut);

  if (dataDir !== undefined) {
    // One statfs per scrape serves both gauges (prom-client collects them concurrently).
    let volume: Promise<{ free: number; size: number } | undefined> | undefined;
    const readVolume = () => (volume ??= statfs(dataDir).then(
      (fs) => ({ free: fs.bavail * fs.bsize, size: fs.blocks * fs.bsize }),
      (err: unknown) => {
        broker.log.debug({ err }, 'metrics: statfs of the data dir failed');
        return undefined;
      },
    ).finally(() => setImmediate(() => { volume = undefined; })));
    const volumeGauge = (name: string, help: string, pick: (v: { free: number; size: number }) => number) => {
      const gauge: Gauge = track(name, new Gauge({
        name, help, registers,
        async collect() {
          const v = await readVolume();
          if (v) gauge.set(pick(v));
        },
      }));
    };
    volumeGauge('highwater_data_dir_free_bytes', 'Bytes available to the broker on the data dir\'s file system', (v) => v.free);
    volumeGauge('highwater_data_dir_size_bytes', 'Size of the data dir\'s file system', (v) => v.size);
  }

  const shardPartitions = track('highwater_shard_partitions', new Gauge({ name: 'highwater_shard_partitions', collect: refreshPartitions, help: 'Partitions owned by the shard', labelNames: ['shard'], registers }));
  const ringUsed = track('highwater_shard_ring_used_bytes', new Gauge({ name: 'highwater_shard_ring_used_bytes', collect: refreshPartitions, help: 'Bytes waiting in the shard\'s request ring', labelNames: ['shard'], registers }));
  const ringCapacity = track('highwater_shard_ring_capacity_bytes', new Gauge({ name: 'highwater_shard_ring_capacity_bytes', collect: refreshPartitions, help: 'Bytes the shard\'s request ring holds now; it doubles, up to --ring-bytes, when a request larger than it finds it empty', labelNames: ['shard'], registers }));
  const waiting = track('highwater_shard_waiting_messages', new Gauge({ name: 'highwater_shard_waiting_messages', collect: refreshPartitions, help: 'Messages queued on the main thread behind a full request ring', labelNames: ['shard'], registers }));
  const paused = track('highwater_shard_paused_connections', new Gauge({ name: 'highwater_shard_paused_connections', collect: refreshPartitions, help: 'Client connections paused because the shard\'s ring is full', labelNames: ['shard'], registers }));
  const utilization = track('highwater_shard_event_loop_utilization_ratio', new Gauge({
    name: 'highwater_shard_event_loop_utilization_ratio', collect: refreshPartitions, help: 'Share of time the shard thread\'s event loop was busy over the last sampling interval (0..1)', labelNames: ['shard'], registers,
  }));
  const activeSeconds = track('highwater_shard_event_loop_active_seconds_total', new Counter({
    name: 'highwater_shard_event_loop_active_seconds_total', collect: refreshPartitions, help: 'Time the shard thread\'s event loop was busy; rate() gives the utilisation (restarts reset it)', labelNames: ['shard'], registers,
  }));
  const groupCommitted = track('highwater_consumer_group_committed_offset', new Gauge({
    name: 'highwater_consumer_group_committed_offset', collect: refreshGroups, help: 'Offset committed by the consumer group', labelNames: ['group', 'topic', 'partition'], registers,
  }));
  const groupLagGauge = track('highwater_consumer_group_lag', new Gauge({
    name: 'highwater_consumer_group_lag', collect: refreshGroups, help: 'High watermark minus the group\'s committed offset (records not yet consumed)', labelNames: ['group', 'topic', 'partition'], registers,
  }));
  const groupMembers = track('highwater_consumer_group_members', new Gauge({ name: 'highwater_consumer_group_members', collect: refreshGroups, help: 'Members of the consumer group', labelNames: ['group'], registers }));

  // Shard counters live in each shard's stats buffer (src/shared-mem/shard-stats.ts); a scrape
  // copies them out, so the shard's hot path pays one Atomics.add and nothing else.
  const fromShardStats = (name: string, help: string, read: (stats: ShardStats) => bigint, scale = 1) => {
    const counter: Counter<'shard'> = track(name, new Counter({
      name, help, labelNames: ['shard'], registers,
      collect() {
        counter.reset();
        for (let shard = 0; shard < broker.shards.size; shard++) counter.inc({ shard: String(shard) }, Number(read(broker.shards.stats(shard))) * scale);
      },
    }));
  };
  fromShardStats('highwater_shard_fdatasyncs_total', 'Files fdatasynced by the shard (a group commit over 8 partitions counts 8)', (s) => s.read(FDATASYNCS));
  fromShardStats('highwater_shard_group_syncs_total', 'Group commits and interval flushes that synced at least one file', (s) => s.read(GROUP_SYNCS));
  fromShardStats('highwater_shard_appended_batches_total', 'Record batches appended', (s) => s.read(APPENDED_BATCHES));
  fromShardStats('highwater_log_cleaner_runs_total', 'Log cleaner runs swapped in on the shard\'s compacted partitions', (s) => s.read(CLEANER_RUNS));
  fromShardStats('highwater_log_cleaner_bytes_cleaned_total', 'Bytes of segments the log cleaner cleaned (Kafka\'s bytes cleaned)', (s) => s.read(CLEANER_BYTES));
  fromShardStats('highwater_shard_duplicate_batches_total', 'Idempotent retries answered with their original offsets', (s) => s.read(DUPLICATE_BATCHES));

  // Each shard thread's own V8 heap (the main thread's is prom-client's highwater_nodejs_heap_*):
  // asked of the thread at scrape time, so a busy shard answers between two of its turns.
  const shardHeap: Gauge<'shard' | 'kind'> = track('highwater_shard_heap_bytes', new Gauge({
    name: 'highwater_shard_heap_bytes', help: 'V8 heap of each shard thread: total (reserved by the heap), used, external (off-heap memory V8 accounts for, e.g. Buffers)', labelNames: ['shard', 'kind'], registers,
    async collect() {
      shardHeap.reset();
      const ask = broker.shards.heapStatistics?.bind(broker.shards);
      if (!ask) return;
      const all = await Promise.all(Array.from({ length: broker.shards.size }, (_, shard) => ask(shard)));
      all.forEach((h, shard) => {
        if (!h) return;
        shardHeap.set({ shard: String(shard), kind: 'total' }, h.totalBytes);
        shardHeap.set({ shard: String(shard), kind: 'used' }, h.usedBytes);
        shardHeap.set({ shard: String(shard), kind: 'external' }, h.externalBytes);
      });
    },
  }));

  // Group-commit sync durations as a histogram (a never-reset maximum said little after the first
  // slow disk moment). The shard counts into cumulative buckets in its stats buffer; prom-client
  // has no histogram fed from counts kept elsewhere, so this family is handed to the registry as
  // a metric object of its own that reads the buckets at scrape time.
  const syncName = 'highwater_shard_sync_duration_seconds';
  const SYNC_HELP = 'Wall time of group-commit syncs (one observation per group commit or interval flush that synced files)';
  registry.registerMetric({
    name: syncName,
    help: SYNC_HELP,
    type: 'histogram',
    aggregator: 'sum',
    get() {
      const values: { labels: Record<string, string | number>; value: number; metricName: string }[] = [];
      for (let shard = 0; shard < broker.shards.size; shard++) {
        const stats = broker.shards.stats(shard);
        SYNC_BUCKET_BOUNDS_SECONDS.forEach((bound, b) => values.push({ labels: { le: bound, shard }, value: Number(stats.read(SYNC_BUCKETS + b)), metricName: `${syncName}_bucket` }));
        const count = Number(stats.read(GROUP_SYNCS));
        values.push({ labels: { le: '+Inf', shard }, value: count, metricName: `${syncName}_bucket` });
        values.push({ labels: { shard }, value: Number(stats.read(SYNC_NANOS_TOTAL)) / 1e9, metricName: `${syncName}_sum` });
        values.push({ labels: { shard }, value: count, metricName: `${syncName}_count` });
      }
      return { name: syncName, help: SYNC_HELP, type: 'histogram', values, aggregator: 'sum' };
    },
  } as never);
  names.push(syncName);

  return () => {
    for (const name of names) registry.removeSingleMetric(name);
  };
}
