// The metadata store: the cluster metadata in memory, the durable metadata log behind it, and the
// live apply of each write to the partition directory. Writes are made durable first, then
// applied, one at a time in log order; producer ids come from blocks reserved by such writes.
import { ClusterMetadata, newClusterId, type MetadataRecord, type ScramCredential, type ScramMechanismName, type TopicInfo } from '../metadata/cluster-metadata.ts';
import { MetadataLog, METADATA_LOG_CONFIG, METADATA_TOPIC } from '../metadata/metadata-log.ts';
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

export class MetadataStore implements MetadataService {
  readonly metadata: ClusterMetadata;
  readonly #partitions: MetadataPartitions;
  readonly #log: MetadataLog;
  /** Metadata writes are applied one at a time, in log order. */
  #chain: Promise<unknown> = Promise.resolve();
  #nextProducerId = -1n;
  #producerIdChain: Promise<unknown> = Promise.resolve();

  private constructor(metadata: ClusterMetadata, partitions: MetadataPartitions, log: MetadataLog) {
    this.metadata = metadata;
    this.#partitions = partitions;
    this.#log = log;
  }

  /**
   * Opens the metadata log (the first partition allocated, so it always has slot 0 and lives on
   * shard 0), replays it, and gives a new cluster its id. Topic partitions are not opened here.
   */
  static async open(options: { shards: number; clusterId: string; partitions: MetadataPartitions }): Promise<MetadataStore> {
    const internalLog = options.partitions.openInternalLog(METADATA_TOPIC, 0, { ...METADATA_LOG_CONFIG });
    await internalLog.open();
    const store = new MetadataStore(new ClusterMetadata(options.shards), options.partitions, new MetadataLog(internalLog));
    for (const record of await store.#log.replay()) store.metadata.apply(record);
    if (!store.metadata.clusterId) await store.write([{ type: 'cluster', clusterId: options.clusterId || newClusterId() }]);
    return store;
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
      await this.#log.append(records);
      for (const r of records) await this.#applyLive(r);
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

  /** Resolves once every write begun so far is applied (or failed). */
  async settled(): Promise<void> {
    await this.#chain;
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
