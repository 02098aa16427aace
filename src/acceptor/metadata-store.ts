// The metadata store: the cluster metadata in memory, the durable metadata log behind it, and the
// live apply of each write to the partition directory. Writes are made durable first, then
// applied, one at a time in log order; producer ids come from blocks reserved by such writes.
// Every --metadata-log-max-record-bytes-between-snapshots of log, the image is snapshotted and
// the log below the snapshot deleted (src/metadata/metadata-snapshot.ts).
import type { Logger } from 'pino';
import { ClusterMetadata, newClusterId, type MetadataRecord, type ScramCredential, type ScramMechanismName, type TopicInfo } from '../metadata/cluster-metadata.ts';
import { MetadataLog, metadataLogConfig, METADATA_TOPIC } from '../metadata/metadata-log.ts';
import {
  DEFAULT_MAX_RECORD_BYTES_BETWEEN_SNAPSHOTS, MetadataSnapshots, snapshotCrashPoint, snapshotRecords,
} from '../metadata/metadata-snapshot.ts';
import type { InternalLog } from '../metadata/internal-log.ts';
import type { MetadataService } from './registry.ts';

/** Producer ids are reserved this many at a time, one metadata write per block. */
const PRODUCER_ID_BLOCK = 1000n;

/** What applying a record does to the partitions (the partition directory). */
export interface MetadataPartitions {
  openInternalLog(name: string, shard: number, config: Record<string, string>): InternalLog;
  openTopicPartitions(topic: TopicInfo, from: number): Promise<void>;
  updateTopicConfigs(topic: TopicInfo): Promise<void>;
  deleteTopicPartitions(topicName: string): Promise<void>;
}

export interface MetadataStoreOptions {
  shards: number;
  clusterId: string;
  partitions: MetadataPartitions;
  /** The data dir, which holds the snapshot directory. */
  dataDir: string;
  /** metadata.log.max.record.bytes.between.snapshots */
  maxRecordBytesBetweenSnapshots?: number;
  log?: Logger;
}

export class MetadataStore implements MetadataService {
  readonly metadata: ClusterMetadata;
  readonly #partitions: MetadataPartitions;
  readonly #log: MetadataLog;
  readonly #snapshots: MetadataSnapshots;
  readonly #maxBytesBetweenSnapshots: number;
  readonly #logger: Logger | undefined;
  /** Metadata writes are applied one at a time, in log order. */
  #chain: Promise<unknown> = Promise.resolve();
  #nextProducerId = -1n;
  #producerIdChain: Promise<unknown> = Promise.resolve();
  /** Batch bytes appended (or replayed) since the newest snapshot's end offset. */
  #bytesSinceSnapshot = 0;
  /** The snapshot being written, if any: one at a time. */
  #snapshotting: Promise<void> | null = null;
  /** Snapshots completed by this run. */
  #snapshotsWritten = 0;

  private constructor(metadata: ClusterMetadata, partitions: MetadataPartitions, log: MetadataLog, options: MetadataStoreOptions) {
    this.metadata = metadata;
    this.#partitions = partitions;
    this.#log = log;
    this.#snapshots = new MetadataSnapshots(options.dataDir);
    this.#maxBytesBetweenSnapshots = options.maxRecordBytesBetweenSnapshots ?? DEFAULT_MAX_RECORD_BYTES_BETWEEN_SNAPSHOTS;
    this.#logger = options.log;
  }

  /**
   * Opens the metadata log (the first partition allocated, so it always has slot 0 and lives on
   * shard 0), loads the newest snapshot, replays the log after it, and gives a new cluster its id.
   * Topic partitions are not opened here.
   */
  static async open(options: MetadataStoreOptions): Promise<MetadataStore> {
    const maxBytes = options.maxRecordBytesBetweenSnapshots ?? DEFAULT_MAX_RECORD_BYTES_BETWEEN_SNAPSHOTS;
    const internalLog = options.partitions.openInternalLog(METADATA_TOPIC, 0, metadataLogConfig(maxBytes));
    await internalLog.open();
    const store = new MetadataStore(new ClusterMetadata(options.shards), options.partitions, new MetadataLog(internalLog), options);
    const log = store.#log;
    const began = performance.now();
    const snapshot = await store.#snapshots.loadNewest((file, reason) => options.log?.warn({ file, reason }, 'metadata snapshot damaged, skipped'));
    const from = snapshot?.endOffset ?? 0n;
    // The log below a snapshot is deleted only once the snapshot is durable: a log starting past
    // the newest snapshot, or ending before it, means files were lost, and starting anyway would
    // serve (and then write over) partial metadata.
    if (log.logStartOffset > from) {
      throw new Error(`the metadata log starts at offset ${log.logStartOffset}, but no metadata snapshot covers the records below it (snapshot directory ${store.#snapshots.dir})`);
    }
    if (from > log.highWatermark) {
      throw new Error(`the metadata snapshot ends at offset ${from}, past the end of the metadata log (${log.highWatermark})`);
    }
    for (const record of snapshot?.records ?? []) store.metadata.apply(record);
    const replayed = await log.replay(from);
    for (const record of replayed.records) store.metadata.apply(record);
    store.#bytesSinceSnapshot = replayed.bytes;
    options.log?.info({
      snapshotEndOffset: snapshot ? String(snapshot.endOffset) : null, snapshotRecords: snapshot?.records.length ?? 0,
      replayedRecords: replayed.records.length, replayedBytes: replayed.bytes, loadMs: Math.round(performance.now() - began),
    }, 'metadata loaded');
    if (!store.metadata.clusterId) await store.write([{ type: 'cluster', clusterId: options.clusterId || newClusterId() }]);
    // A log that grew past the interval before snapshots existed (or before a crash) gets one now.
    else store.#maybeSnapshot(log.highWatermark);
    return store;
  }

  /** Snapshots written by this run (for tests and the bench). */
  get snapshotsWritten(): number {
    return this.#snapshotsWritten;
  }

  get clusterId(): string {
    return this.metadata.clusterId;
  }

  get topics(): Iterable<TopicInfo> {
    return this.metadata.topics;
  }

  topicByName(name: string): TopicInfo | undefined {
    return this.metadata.topicByName(name);
  }

  topicById(topicId: string): TopicInfo | undefined {
    return this.metadata.topicById(topicId);
  }

  brokerConfigs(resourceName: string): Readonly<Record<string, string>> {
    return this.metadata.brokerConfigs(resourceName);
  }

  scramCredentials(name: string): ReadonlyMap<ScramMechanismName, ScramCredential> | undefined {
    return this.metadata.scramCredentials(name);
  }

  scramUsers(): string[] {
    return this.metadata.scramUsers();
  }

  get producerIdBlockEnd(): bigint {
    return this.metadata.producerIdBlockEnd;
  }

  assignShards(count: number): number[] {
    return this.metadata.assignShards(count);
  }

  write(records: MetadataRecord[]): Promise<void> {
    const run = async () => {
      const { nextOffset, bytes } = await this.#log.append(records);
      for (const r of records) await this.#applyLive(r);
      this.#bytesSinceSnapshot += bytes;
      this.#maybeSnapshot(nextOffset);
    };
    const next = this.#chain.then(run, run);
    this.#chain = next.catch(() => undefined);
    return next;
  }

  allocateProducerId(): Promise<bigint> {
    const run = async (): Promise<bigint> => {
      if (this.#nextProducerId < 0n || this.#nextProducerId >= this.metadata.producerIdBlockEnd) {
        const start = this.metadata.producerIdBlockEnd;
        await this.write([{ type: 'producer-id-block', end: String(start + PRODUCER_ID_BLOCK) }]);
        this.#nextProducerId = start;
      }
      return this.#nextProducerId++;
    };
    const next = this.#producerIdChain.then(run, run);
    this.#producerIdChain = next.catch(() => undefined);
    return next;
  }

  /** Resolves once every write begun so far is applied (or failed), and any snapshot begun is written (or failed). */
  async settled(): Promise<void> {
    await this.#chain;
    await this.#snapshotting;
  }

  /**
   * Called in the write chain right after the records below `endOffset` are applied (and before
   * any later write), so the image taken here is exactly the log below `endOffset`. The image is
   * copied into records at once; the file is written and the log deleted off the chain, so
   * metadata writes do not wait for the snapshot's fsyncs.
   */
  #maybeSnapshot(endOffset: bigint): void {
    if (this.#bytesSinceSnapshot < this.#maxBytesBetweenSnapshots || this.#snapshotting) return;
    const records = snapshotRecords(this.metadata);
    const bytesCovered = this.#bytesSinceSnapshot;
    this.#bytesSinceSnapshot = 0;
    this.#snapshotting = this.#writeSnapshot(endOffset, records, bytesCovered)
      .catch((err: unknown) => {
        // The log is intact: the next interval tries again.
        this.#logger?.warn({ err, endOffset: String(endOffset) }, 'metadata snapshot failed; the log is kept');
      })
      .finally(() => {
        this.#snapshotting = null;
      });
  }

  async #writeSnapshot(endOffset: bigint, records: MetadataRecord[], bytesCovered: number): Promise<void> {
    await this.#snapshots.write({ endOffset, records });
    snapshotCrashPoint('before-log-delete');
    await this.#log.deleteBefore(endOffset);
    snapshotCrashPoint('before-old-snapshot-delete');
    await this.#snapshots.deleteOlderThan(endOffset);
    this.#snapshotsWritten++;
    this.#logger?.info({ endOffset: String(endOffset), records: records.length, logBytesCovered: bytesCovered }, 'metadata snapshot written');
  }

  async #applyLive(record: MetadataRecord): Promise<void> {
    const before = record.type === 'delete-topic' || record.type === 'add-partitions' ? this.metadata.topicById(record.topicId) : undefined;
    const previousCount = before?.partitions.length ?? 0;
    this.metadata.apply(record);
    switch (record.type) {
      case 'create-topic':
        await this.#partitions.openTopicPartitions(this.metadata.topicByName(record.name)!, 0);
        return;
      case 'add-partitions':
        if (before) await this.#partitions.openTopicPartitions(before, previousCount);
        return;
      case 'alter-configs': {
        const topic = this.metadata.topicById(record.topicId);
        if (topic) await this.#partitions.updateTopicConfigs(topic);
        return;
      }
      case 'broker-configs':
        // A changed broker default reaches every open partition that has no value of its own.
        await Promise.all([...this.metadata.topics].map((t) => this.#partitions.updateTopicConfigs(t)));
        return;
      case 'delete-topic':
        if (before) await this.#partitions.deleteTopicPartitions(before.name);
        return;
      case 'cluster':
      case 'producer-id-block':
      case 'acl':
      case 'remove-acl':
      case 'client-quota':
      case 'scram-credential':
      case 'remove-scram-credential':
        return;
    }
  }
}
