// The cluster metadata (topics, topic IDs, partitions with their owning shard, topic configs) as a
// state machine over the records of the durable metadata log. The log is the only store: memory is
// rebuilt by replaying it on start (DESIGN.md §7 item 8: one durable metadata log).
import { randomUUID } from 'node:crypto';

export interface PartitionInfo {
  topic: string;
  partition: number;
  /** The shard that owns this partition's files and watermark slot, fixed at creation. */
  shard: number;
}

export interface TopicInfo {
  name: string;
  topicId: string;
  partitions: PartitionInfo[];
  configs: Record<string, string>;
  internal: boolean;
}

export type MetadataRecord =
  | { type: 'cluster'; clusterId: string }
  | { type: 'create-topic'; name: string; topicId: string; configs: Record<string, string>; shards: number[] }
  | { type: 'add-partitions'; topicId: string; shards: number[] }
  | { type: 'alter-configs'; topicId: string; configs: Record<string, string | null> }
  | { type: 'delete-topic'; topicId: string }
  /** Dynamic broker configs of one resource: a node id, or "" for the cluster-wide default; null deletes. */
  | { type: 'broker-configs'; resourceName: string; configs: Record<string, string | null> }
  /** Producer ids below `end` may have been handed out: a restart continues from `end`. */
  | { type: 'producer-id-block'; end: string }
  /**
   * A user's SCRAM credential for one mechanism, as Kafka's UserScramCredentialRecord: salted and
   * hashed (RFC 5802 StoredKey and ServerKey, base64), never the password. Replaces an earlier one.
   */
  | { type: 'scram-credential'; name: string; mechanism: ScramMechanismName; salt: string; storedKey: string; serverKey: string; iterations: number }
  | { type: 'remove-scram-credential'; name: string; mechanism: ScramMechanismName }
  /** One ACL (CreateAcls), under an id of its own, as Kafka's AccessControlEntryRecord. */
  | { type: 'acl'; id: string; acl: StoredAcl }
  /** Removes the ACL of that id (DeleteAcls), as Kafka's RemoveAccessControlEntryRecord. */
  | { type: 'remove-acl'; id: string }
  /** One client quota of one entity (AlterClientQuotas), as Kafka's ClientQuotaRecord; null removes it. */
  | { type: 'client-quota'; entity: QuotaEntity; key: string; value: number | null };

/** An ACL: a resource pattern and an access control entry, in Kafka's codes (src/acceptor/acl/acl-binding.ts). */
export interface StoredAcl {
  resourceType: number;
  resourceName: string;
  patternType: number;
  principal: string;
  host: string;
  operation: number;
  permissionType: number;
}

/**
 * A client quota entity, as Kafka's ClientQuotaEntity: entity type ('user', 'client-id') to name,
 * a null name meaning the type's default entity.
 */
export type QuotaEntity = Record<string, string | null>;

/** One canonical string per entity (types sorted), the key quotas are kept under. */
export function quotaEntityKey(entity: QuotaEntity): string {
  return JSON.stringify(Object.keys(entity).sort().map((k) => [k, entity[k]]));
}

export type ScramMechanismName = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';

/** What authenticating a SCRAM user needs; the password cannot be recovered from it. */
export interface ScramCredential {
  salt: Buffer;
  storedKey: Buffer;
  serverKey: Buffer;
  iterations: number;
}

/**
 * Kafka's internal topics (org.apache.kafka.common.internals.Topic.isInternal): the only names
 * Kafka reports as internal. Any other name, `__`-prefixed or not, is an ordinary topic there, so
 * it is here too (issue 19 defect 10).
 */
export const KAFKA_INTERNAL_TOPICS: ReadonlySet<string> = new Set(['__consumer_offsets', '__transaction_state', '__share_group_state']);
/** Kafka's KRaft metadata log, which CreateTopics refuses by name (ControllerApis). */
export const CLUSTER_METADATA_TOPIC = '__cluster_metadata';
/** Names of Highwater's own internal partitions (metadata, committed offsets); no topic may take one. */
export const RESERVED_TOPIC_PREFIX = '__highwater';

export function isKafkaInternalTopic(name: string): boolean {
  return KAFKA_INTERNAL_TOPICS.has(name);
}

/**
 * Names no topic may take: Highwater keeps its internal logs under RESERVED_TOPIC_PREFIX, and
 * Kafka's internal topics are served by Highwater's own coordinator logs, so a user topic under
 * one of their names would be taken by tools for the real thing.
 */
export function isReservedTopicName(name: string): boolean {
  return name.startsWith(RESERVED_TOPIC_PREFIX) || KAFKA_INTERNAL_TOPICS.has(name) || name === CLUSTER_METADATA_TOPIC;
}

export class ClusterMetadata {
  clusterId = '';
  /** The first producer id never handed out by any earlier run. */
  producerIdBlockEnd = 0n;
  readonly #topicsByName = new Map<string, TopicInfo>();
  readonly #brokerConfigs = new Map<string, Record<string, string>>();
  readonly #topicsById = new Map<string, TopicInfo>();
  /** user name -> mechanism -> credential */
  readonly #scram = new Map<string, Map<ScramMechanismName, ScramCredential>>();
  readonly #shardCount: number;
  /** ACLs by id, in creation order. */
  readonly acls = new Map<string, StoredAcl>();
  /** Bumped by every ACL change, so an authorizer knows when to rebuild its index. */
  aclVersion = 0;
  /** Client quotas by quotaEntityKey: the entity and its quota values. */
  readonly clientQuotas = new Map<string, { entity: QuotaEntity; quotas: Record<string, number> }>();
  /** Bumped by every quota change. */
  quotaVersion = 0;

  constructor(shardCount: number) {
    this.#shardCount = shardCount;
  }

  get topics(): Iterable<TopicInfo> {
    return this.#topicsByName.values();
  }

  topicByName(name: string): TopicInfo | undefined {
    return this.#topicsByName.get(name);
  }

  topicById(topicId: string): TopicInfo | undefined {
    return this.#topicsById.get(topicId);
  }

  /** The dynamic broker configs of a node id, or of "" (the cluster-wide default). */
  brokerConfigs(resourceName: string): Readonly<Record<string, string>> {
    return this.#brokerConfigs.get(resourceName) ?? {};
  }

  /** Every resource with dynamic broker configs, and its configs, in the order first set. */
  brokerConfigResources(): [string, Readonly<Record<string, string>>][] {
    return [...this.#brokerConfigs];
  }

  /** A user's SCRAM credentials by mechanism; undefined when the user has none. */
  scramCredentials(name: string): ReadonlyMap<ScramMechanismName, ScramCredential> | undefined {
    return this.#scram.get(name);
  }

  /** Every user with at least one SCRAM credential. */
  scramUsers(): string[] {
    return [...this.#scram.keys()];
  }

  /** Applies one record from the log. Replay and live writes go through this one function. */
  apply(record: MetadataRecord): void {
    switch (record.type) {
      case 'cluster':
        this.clusterId = record.clusterId;
        return;
      case 'producer-id-block':
        this.producerIdBlockEnd = BigInt(record.end);
        return;
      case 'create-topic': {
        const topic: TopicInfo = {
          name: record.name,
          topicId: record.topicId,
          configs: { ...record.configs },
          partitions: record.shards.map((shard, partition) => ({ topic: record.name, partition, shard })),
          internal: isKafkaInternalTopic(record.name),
        };
        this.#topicsByName.set(topic.name, topic);
        this.#topicsById.set(topic.topicId, topic);
        return;
      }
      case 'add-partitions': {
        const topic = this.#topicsById.get(record.topicId);
        if (!topic) return;
        for (const shard of record.shards) topic.partitions.push({ topic: topic.name, partition: topic.partitions.length, shard });
        return;
      }
      case 'alter-configs': {
        const topic = this.#topicsById.get(record.topicId);
        if (!topic) return;
        for (const [key, value] of Object.entries(record.configs)) {
          if (value === null) delete topic.configs[key];
          else topic.configs[key] = value;
        }
        return;
      }
      case 'broker-configs': {
        const configs = { ...this.#brokerConfigs.get(record.resourceName) };
        for (const [key, value] of Object.entries(record.configs)) {
          if (value === null) delete configs[key];
          else configs[key] = value;
        }
        this.#brokerConfigs.set(record.resourceName, configs);
        return;
      }
      case 'acl':
        this.acls.set(record.id, { ...record.acl });
        this.aclVersion++;
        return;
      case 'remove-acl':
        this.acls.delete(record.id);
        this.aclVersion++;
        return;
      case 'client-quota': {
        const key = quotaEntityKey(record.entity);
        const current = this.clientQuotas.get(key) ?? { entity: { ...record.entity }, quotas: {} };
        if (record.value === null) delete current.quotas[record.key];
        else current.quotas[record.key] = record.value;
        if (Object.keys(current.quotas).length === 0) this.clientQuotas.delete(key);
        else this.clientQuotas.set(key, current);
        this.quotaVersion++;
        return;
      }
      case 'scram-credential': {
        let byMechanism = this.#scram.get(record.name);
        if (!byMechanism) this.#scram.set(record.name, byMechanism = new Map());
        byMechanism.set(record.mechanism, {
          salt: Buffer.from(record.salt, 'base64'),
          storedKey: Buffer.from(record.storedKey, 'base64'),
          serverKey: Buffer.from(record.serverKey, 'base64'),
          iterations: record.iterations,
        });
        return;
      }
      case 'remove-scram-credential': {
        const byMechanism = this.#scram.get(record.name);
        byMechanism?.delete(record.mechanism);
        if (byMechanism?.size === 0) this.#scram.delete(record.name);
        return;
      }
      case 'delete-topic': {
        const topic = this.#topicsById.get(record.topicId);
        if (!topic) return;
        this.#topicsById.delete(topic.topicId);
        this.#topicsByName.delete(topic.name);
        return;
      }
    }
  }

  /** Partition counts per shard, over all topics: the input of the balanced assignment. */
  partitionsPerShard(): number[] {
    const counts = new Array<number>(this.#shardCount).fill(0);
    for (const topic of this.#topicsByName.values()) {
      for (const p of topic.partitions) if (p.shard < this.#shardCount) counts[p.shard]! += 1;
    }
    return counts;
  }

  /**
   * Chooses shards for `count` new partitions, balanced by partition count (the least loaded shard
   * first, ties to the lowest index). Decided once, at creation, and stored in the record.
   */
  assignShards(count: number): number[] {
    const counts = this.partitionsPerShard();
    const shards: number[] = [];
    for (let i = 0; i < count; i++) {
      let best = 0;
      for (let s = 1; s < counts.length; s++) if (counts[s]! < counts[best]!) best = s;
      shards.push(best);
      counts[best]! += 1;
    }
    return shards;
  }

  /**
   * A partition stored with a shard index beyond the current shard count (the broker restarted
   * with fewer --shards) is served by a shard chosen deterministically from its stored index.
   */
  effectiveShard(p: PartitionInfo): number {
    return p.shard % this.#shardCount;
  }
}

export function newTopicId(): string {
  return randomUUID();
}

export function newClusterId(): string {
  // Kafka cluster ids are 22-character URL-safe base64 of a UUID.
  return Buffer.from(randomUUID().replaceAll('-', ''), 'hex').toString('base64url');
}

const LEGAL_TOPIC_NAME = /^[a-zA-Z0-9._-]+$/;

/** Kafka's topic name rules: 1-249 characters of [a-zA-Z0-9._-], not "." or "..". */
export function validateTopicName(name: string): string | null {
  if (name.length === 0) return 'Topic name is empty';
  if (name === '.' || name === '..') return `Topic name cannot be "${name}"`;
  if (name.length > 249) return 'Topic name is longer than 249 characters';
  if (!LEGAL_TOPIC_NAME.test(name)) return `Topic name "${name}" is illegal: only ASCII alphanumerics, '.', '_' and '-' are allowed`;
  return null;
}
