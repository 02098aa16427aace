// What the services scenarios ask the broker directly, through KafkaJS: create topics, produce
// the known input, read a topic to its end, committed and end offsets, topic configs. The services
// themselves (Connect, Streams) bring their own Java clients.
import { Kafka, logLevel, type Admin, type Producer } from 'kafkajs';
import { until } from './jvm.ts';

export interface ReadRecord {
  partition: number;
  offset: bigint;
  key: Buffer | null;
  value: Buffer | null;
}

export class BrokerClient {
  private readonly kafka: Kafka;
  private adminClient: Admin | undefined;
  private producerClient: Producer | undefined;
  private groupSerial = 0;

  constructor(bootstrap: string) {
    this.kafka = new Kafka({ clientId: 'highwater-compat-services', brokers: [bootstrap], logLevel: logLevel.NOTHING, retry: { retries: 8 } });
  }

  async admin(): Promise<Admin> {
    if (!this.adminClient) {
      const admin = this.kafka.admin();
      await admin.connect();
      this.adminClient = admin;
    }
    return this.adminClient;
  }

  async close(): Promise<void> {
    await this.producerClient?.disconnect().catch(() => undefined);
    await this.adminClient?.disconnect().catch(() => undefined);
  }

  async createTopic(topic: string, partitions: number): Promise<void> {
    const admin = await this.admin();
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
    // A new partition answers ListOffsets a moment after CreateTopics returns on Kafka.
    await until(`${topic} to answer ListOffsets`, 15_000, async () => {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.length === partitions ? true : undefined;
    });
  }

  async produce(topic: string, messages: { key: string; value: string }[]): Promise<void> {
    if (!this.producerClient) {
      const producer = this.kafka.producer({ allowAutoTopicCreation: false });
      await producer.connect();
      this.producerClient = producer;
    }
    for (let i = 0; i < messages.length; i += 500) {
      await this.producerClient.send({ topic, acks: -1, messages: messages.slice(i, i + 500) });
    }
  }

  /** High watermark per partition. */
  async endOffsets(topic: string): Promise<Map<number, bigint>> {
    const offsets = await (await this.admin()).fetchTopicOffsets(topic);
    return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
  }

  /** Records in the topic: the sum over partitions of high watermark minus log start offset. */
  async recordCount(topic: string): Promise<bigint> {
    const offsets = await (await this.admin()).fetchTopicOffsets(topic);
    return offsets.reduce((sum, o) => sum + BigInt(o.high) - BigInt(o.low), 0n);
  }

  /** The group's committed offset per partition of the topic (-1 when none). */
  async committed(groupId: string, topic: string): Promise<Map<number, bigint>> {
    const answer = await (await this.admin()).fetchOffsets({ groupId, topics: [topic] });
    return new Map((answer[0]?.partitions ?? []).map((p) => [p.partition, BigInt(p.offset)]));
  }

  async topicConfig(topic: string, name: string): Promise<string | undefined> {
    const answer = await (await this.admin()).describeConfigs({
      resources: [{ type: 2 /* TOPIC */, name: topic, configNames: [name] }],
      includeSynonyms: false,
    });
    return answer.resources[0]?.configEntries.find((e) => e.configName === name)?.configValue;
  }

  async topicExists(topic: string): Promise<boolean> {
    return (await (await this.admin()).listTopics()).includes(topic);
  }

  /**
   * Reads every partition of the topic from its start up to the high watermark it had when the read
   * began. KafkaJS consumers always join a group, so each read uses a group of its own.
   */
  async readAll(topic: string, timeoutMs: number): Promise<ReadRecord[]> {
    const ends = await this.endOffsets(topic);
    const pending = new Set([...ends].filter(([, end]) => end > 0n).map(([p]) => p));
    const records: ReadRecord[] = [];
    if (pending.size === 0) return records;
    const consumer = this.kafka.consumer({
      groupId: `highwater-services-read-${process.pid}-${++this.groupSerial}`,
      sessionTimeout: 10_000,
      heartbeatInterval: 1_000,
      maxWaitTimeInMs: 500,
    });
    await consumer.connect();
    try {
      await consumer.subscribe({ topic, fromBeginning: true });
      const done = new Promise<void>((resolveDone) => {
        void consumer.run({
          autoCommit: false,
          eachMessage: async ({ partition, message }) => {
            const offset = BigInt(message.offset);
            const end = ends.get(partition) ?? 0n;
            if (offset < end) records.push({ partition, offset, key: message.key, value: message.value });
            // The record at end - 1 is never cleaned away (it sits in the active segment), so
            // reaching it finishes the partition even when the offsets before it have gaps.
            if (offset >= end - 1n) {
              pending.delete(partition);
              if (pending.size === 0) resolveDone();
            }
          },
        });
      });
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`reading ${topic}: partitions ${[...pending].join(',')} not read to their end within ${timeoutMs / 1000} s`)), timeoutMs);
      });
      try {
        await Promise.race([done, timeout]);
      } finally {
        clearTimeout(timer);
      }
    } finally {
      await consumer.disconnect().catch(() => undefined);
    }
    return records;
  }
}
