// The partition directory: topic/partition -> owning shard, watermark slot and fetch-side reader.
// It allocates the slots, opens and closes partitions on their shards, keeps the internal
// partitions (metadata, committed offsets), and says what a restarted shard must reopen.
import path from 'node:path';
import { PartitionReader } from '../segments/reader.ts';
import { partitionDirName } from '../segments/layout.ts';
import { effectiveConfig } from '../metadata/topic-configs.ts';
import { InternalLog } from '../metadata/internal-log.ts';
import type { PartitionInfo, TopicInfo } from '../metadata/cluster-metadata.ts';
import type { AppendCompletion } from '../shared-mem/shard-messages.ts';
import type { OpenPartitionRequest } from '../shared-mem/shard-messages.ts';
import type { PartitionHandle, PartitionLookup, RemoteSegmentsReader } from './registry.ts';
import type { WatermarkReads } from './long-poll.ts';

/** A handle as the directory keeps it: with the reader it closes when the partition goes. */
export interface DirectoryHandle extends PartitionHandle {
  reader: PartitionReader;
}

/** What the directory asks of the shards. */
export interface DirectoryShards {
  openPartition(shard: number, request: OpenPartitionRequest): Promise<void>;
  closePartition(shard: number, slot: number, options: { deleteFiles: boolean }): Promise<void>;
  updateConfig(shard: number, slot: number, config: Record<string, string>): Promise<void>;
  append(shard: number, slot: number, records: Buffer, options: { forceSync?: boolean }): Promise<AppendCompletion>;
  deleteRecords(shard: number, slot: number, offset: bigint): Promise<{ errorCode: number; lowWatermark: bigint }>;
}

export interface PartitionDirectoryOptions {
  dataDir: string;
  /** Capacity of the watermark table (--max-partitions). */
  maxPartitions: number;
  /** The broker-level default of each topic config now (static and dynamic broker configs). */
  topicDefaults(): Record<string, string>;
  shards: DirectoryShards;
  watermarks: WatermarkReads;
  /** The shard that serves a stored partition (metadata's effective shard). */
  shardOf(partition: PartitionInfo): number;
  /**
   * Tiered storage: builds the reader of a partition's remote segments, and records that a deleted
   * topic's objects are to be deleted (before its files go); absent without an object store.
   */
  remote?: {
    reader(partitionDir: string, topic: TopicInfo, partition: number): RemoteSegmentsReader;
    topicDeleted(topic: TopicInfo): Promise<void>;
  };
}

/** The topic configs a shard's log needs (compression.type: the codec it stores); the rest are the main thread's business. */
const LOG_CONFIG_NAMES = [
  'segment.bytes', 'segment.ms', 'retention.ms', 'retention.bytes', 'index.interval.bytes', 'max.message.bytes', 'message.timestamp.type',
  'compression.type', 'compression.gzip.level', 'compression.lz4.level', 'compression.zstd.level',
  'cleanup.policy', 'delete.retention.ms', 'min.compaction.lag.ms', 'max.compaction.lag.ms', 'min.cleanable.dirty.ratio',
  'remote.storage.enable', 'local.retention.ms', 'local.retention.bytes',
];

export class PartitionDirectory implements PartitionLookup {
  readonly #o: PartitionDirectoryOptions;
  readonly #partitions = new Map<string, DirectoryHandle[]>();
  /** Partitions for the broker's own use (not topics), reopened with their shard after a restart. */
  readonly #internalPartitions: { shard: number; request: OpenPartitionRequest; log: InternalLog }[] = [];
  readonly #freeSlots: number[] = [];
  #nextSlot = 0;

  constructor(options: PartitionDirectoryOptions) {
    this.#o = options;
  }

  get watermarks(): WatermarkReads {
    return this.#o.watermarks;
  }

  partitions(topicName: string): DirectoryHandle[] | undefined {
    return this.#partitions.get(topicName);
  }

  partition(topicName: string, partition: number): DirectoryHandle | undefined {
    return this.#partitions.get(topicName)?.[partition];
  }

  /** Topic partitions open now, internal ones not counted. */
  get count(): number {
    let n = 0;
    for (const handles of this.#partitions.values()) n += handles.length;
    return n;
  }

  /**
   * An internal partition (metadata, committed offsets) on a fixed shard: given a slot and a
   * directory, and reopened with the shard's other partitions if the shard restarts. The caller
   * opens it; the directory closes it in close().
   */
  openInternalLog(name: string, shard: number, config: Record<string, string>): InternalLog {
    const request: OpenPartitionRequest = { slot: this.#allocateSlot(), topic: name, partition: 0, dir: this.#partitionDir(name, 0), config };
    const { shards, watermarks } = this.#o;
    const log = new InternalLog({
      name, dir: request.dir, slot: request.slot, watermarks,
      shard: {
        open: () => shards.openPartition(shard, request),
        appendSynced: (records) => shards.append(shard, request.slot, records, { forceSync: true }),
        deleteRecords: (offset) => shards.deleteRecords(shard, request.slot, offset),
      },
    });
    this.#internalPartitions.push({ shard, request, log });
    return log;
  }

  /** Opens (recovers) a topic's partitions from index `from` on, each on its owning shard. */
  async openTopicPartitions(topic: TopicInfo, from: number): Promise<void> {
    const handles = this.#partitions.get(topic.name) ?? [];
    this.#partitions.set(topic.name, handles);
    const opening: Promise<void>[] = [];
    for (const p of topic.partitions.slice(from)) {
      const handle: DirectoryHandle = {
        topic,
        partition: p.partition,
        shard: this.#o.shardOf(p),
        slot: this.#allocateSlot(),
        reader: new PartitionReader(this.#partitionDir(topic.name, p.partition)),
        ...(this.#o.remote ? { remote: this.#o.remote.reader(this.#partitionDir(topic.name, p.partition), topic, p.partition) } : {}),
      };
      handles[p.partition] = handle;
      opening.push(this.#o.shards.openPartition(handle.shard, this.#openRequest(handle)));
    }
    await Promise.all(opening);
  }

  /** Pushes a topic's changed configs to the shards that own its partitions. */
  async updateTopicConfigs(topic: TopicInfo): Promise<void> {
    const config = this.#logConfigFor(topic);
    await Promise.all((this.#partitions.get(topic.name) ?? []).map((h) => this.#o.shards.updateConfig(h.shard, h.slot, config)));
  }

  /** Closes a deleted topic's partitions; their shards delete the files, and the slots are reused. */
  async deleteTopicPartitions(topicName: string): Promise<void> {
    const handles = this.#partitions.get(topicName) ?? [];
    // Before the files go: the deletion of the topic's objects must survive a crash from here on.
    if (handles.length > 0 && this.#o.remote) await this.#o.remote.topicDeleted(handles[0]!.topic);
    this.#partitions.delete(topicName);
    await Promise.all(handles.map(async (h) => {
      await this.#o.shards.closePartition(h.shard, h.slot, { deleteFiles: true });
      await h.reader.close();
      this.#freeSlots.push(h.slot);
    }));
  }

  /** What a restarted shard must reopen: every partition it owns, internal ones included. */
  openRequestsFor(shard: number): OpenPartitionRequest[] {
    const requests = [];
    for (const p of this.#internalPartitions) if (p.shard === shard) requests.push(p.request);
    for (const handles of this.#partitions.values()) {
      for (const h of handles) if (h.shard === shard) requests.push(this.#openRequest(h));
    }
    return requests;
  }

  /** Closes the readers and internal logs, after the shards stopped. */
  async close(): Promise<void> {
    for (const handles of this.#partitions.values()) for (const h of handles) await h.reader.close();
    for (const p of this.#internalPartitions) await p.log.close();
  }

  #allocateSlot(): number {
    const slot = this.#freeSlots.pop() ?? this.#nextSlot++;
    if (slot >= this.#o.maxPartitions) throw new Error(`watermark table full: more than ${this.#o.maxPartitions} partitions (--max-partitions)`);
    return slot;
  }

  #partitionDir(topic: string, partition: number): string {
    return path.join(this.#o.dataDir, partitionDirName(topic, partition));
  }

  #logConfigFor(topic: TopicInfo): Record<string, string> {
    const out: Record<string, string> = {};
    const defaults = this.#o.topicDefaults();
    for (const name of LOG_CONFIG_NAMES) out[name] = effectiveConfig(name, topic.configs, defaults);
    return out;
  }

  #openRequest(handle: DirectoryHandle): OpenPartitionRequest {
    return {
      slot: handle.slot,
      topic: handle.topic.name,
      partition: handle.partition,
      dir: this.#partitionDir(handle.topic.name, handle.partition),
      config: this.#logConfigFor(handle.topic),
      topicId: handle.topic.topicId,
    };
  }
}
