// Compatibility driver for KafkaJS (from the root project's node_modules): the scenarios of
// docs/compat.md. KafkaJS consumers always join a group, so reads use a throw-away group id.
import { readFileSync } from 'node:fs';
import { CompressionTypes, Kafka, logLevel, type Admin, type Consumer, type Message } from 'kafkajs';
import {
  ACKS,
  CODECS,
  GROUP_COMMIT_OFFSET,
  GROUP_PARTITIONS,
  GROUP_RECORDS_PER_PARTITION,
  LONG_POLL_MAX_WAIT_MS,
  PARTITIONS,
  RECORDS,
  TXN_ABORTED,
  TXN_INPUT,
  TXN_PARTITIONS,
  Check,
  checkTxnOutput,
  Skip,
  acksName,
  expect,
  headers,
  key,
  packageVersion,
  runDriver,
  sleep,
  until,
  value,
  verify,
  type Codec,
  type DriverArgs,
  type ReadRecord,
  type Scenarios,
  type TxnRecord,
} from './common.ts';

const CLIENT = 'kafkajs';
const version = packageVersion('kafkajs');
let kafka: Kafka;

function connect(args: DriverArgs): Kafka {
  const env = process.env;
  // The runner's security mode (test/compat/run.ts --security).
  const security = env.COMPAT_SECURITY_PROTOCOL?.startsWith('SASL') || env.COMPAT_SECURITY_PROTOCOL === 'SSL' ? {
    ssl: env.COMPAT_SECURITY_PROTOCOL.endsWith('SSL') ? { ca: [readFileSync(env.COMPAT_SSL_CA_FILE!, 'utf8')] } : undefined,
    sasl: env.COMPAT_SASL_MECHANISM
      ? { mechanism: env.COMPAT_SASL_MECHANISM.toLowerCase(), username: env.COMPAT_SASL_USERNAME!, password: env.COMPAT_SASL_PASSWORD! } as never
      : undefined,
  } : {};
  kafka ??= new Kafka({ clientId: 'highwater-compat-kafkajs', brokers: [args.bootstrap], logLevel: logLevel.ERROR, ...security });
  return kafka;
}

async function withAdmin<T>(args: DriverArgs, use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = connect(args).admin();
  await admin.connect();
  try {
    return await use(admin);
  } finally {
    await admin.disconnect();
  }
}

/** Creates the topic and waits until every partition answers ListOffsets: Kafka's leader learns
 * of a new partition a moment after CreateTopics returns, and drops acks=0 records until then. */
async function createTopic(args: DriverArgs, topic: string, partitions: number): Promise<void> {
  await withAdmin(args, async (admin) => {
    await admin.createTopics({ topics: [{ topic, numPartitions: partitions, replicationFactor: 1 }], waitForLeaders: true });
    await until(`${topic} answers ListOffsets`, 15_000, async () => {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.length === partitions ? true : undefined;
    });
  });
}

const codecType: Record<Codec, CompressionTypes> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
};

function message(i: number, partition: number): Message {
  return { key: key(i), value: value(i), partition, headers: Object.fromEntries(headers(i, CLIENT)) };
}

async function produce(args: DriverArgs, topic: string, count: number, partitions: number, acks: number, codec: Codec, idempotent: boolean): Promise<void> {
  // Without idempotence a retried batch would overtake the next one.
  const producer = connect(args).producer({ idempotent, maxInFlightRequests: 1, allowAutoTopicCreation: false });
  await producer.connect();
  try {
    const chunk = 500;
    for (let start = 0; start < count; start += chunk) {
      const messages: Message[] = [];
      for (let i = start; i < Math.min(count, start + chunk); i++) messages.push(message(i, i % partitions));
      await producer.send({ topic, acks, compression: codecType[codec], messages });
    }
  } finally {
    await producer.disconnect();
  }
}

function toRecord(m: { offset: string; key: Buffer | null; value: Buffer | null; headers?: Record<string, unknown> }): ReadRecord {
  return {
    offset: BigInt(m.offset),
    key: m.key,
    value: m.value,
    headers: Object.entries(m.headers ?? {}).map(([name, bytes]) => [name, bytes as Buffer]),
  };
}

async function consumeAll(args: DriverArgs, topic: string, count: number): Promise<Map<number, ReadRecord[]>> {
  const consumer = connect(args).consumer({ groupId: `${topic}-reader-${Date.now()}`, maxWaitTimeInMs: 500 });
  const byPartition = new Map<number, ReadRecord[]>();
  let received = 0;
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let done: () => void = () => {};
    const finished = new Promise<void>((resolve) => (done = resolve));
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message: m }) => {
        const list = byPartition.get(partition) ?? [];
        list.push(toRecord(m));
        byPartition.set(partition, list);
        if (++received >= count) done();
      },
    });
    await Promise.race([finished, sleep(30_000)]);
  } finally {
    await consumer.disconnect();
  }
  return byPartition;
}

async function metadata(args: DriverArgs): Promise<string> {
  const topic = `${args.prefix}-meta`;
  await createTopic(args, topic, PARTITIONS);
  return withAdmin(args, async (admin) => {
    const cluster = await admin.describeCluster();
    const described = await admin.fetchTopicMetadata({ topics: [topic] });
    expect('partitions in Metadata', described.topics[0]?.partitions.length, PARTITIONS);
    if (!(await admin.listTopics()).includes(topic)) throw new Check(`${topic} not listed`);
    await admin.deleteTopics({ topics: [topic] });
    await until(`${topic} gone from ListTopics`, 15_000, async () => ((await admin.listTopics()).includes(topic) ? undefined : true));
    return `${cluster.brokers.length} broker(s); create, describe, list, delete`;
  });
}

function produceConsume(codec: Codec) {
  return async (args: DriverArgs): Promise<string> => {
    if (codec === 'snappy' || codec === 'lz4' || codec === 'zstd') {
      throw new Skip(`KafkaJS needs a codec plugin package for ${codec} (none installed)`);
    }
    for (const acks of ACKS) {
      const topic = `${args.prefix}-pc-${codec}-acks${acksName(acks)}`;
      await createTopic(args, topic, PARTITIONS);
      await produce(args, topic, RECORDS, PARTITIONS, acks, codec, false);
      try {
        verify(await consumeAll(args, topic, RECORDS), RECORDS, PARTITIONS, CLIENT);
      } catch (error) {
        throw new Check(`acks=${acksName(acks)}: ${(error as Error).message}`);
      }
    }
    return `${RECORDS} records x acks 0,1,all`;
  };
}

async function listOffsets(args: DriverArgs): Promise<string> {
  const topic = `${args.prefix}-lo`;
  await createTopic(args, topic, PARTITIONS);
  const base = (Math.floor(Date.now() / 1000) - 60) * 1000;
  const producer = connect(args).producer({ maxInFlightRequests: 1 });
  await producer.connect();
  await producer.send({
    topic,
    acks: -1,
    messages: Array.from({ length: 10 }, (_, i) => ({ ...message(i, 0), timestamp: String(base + i * 1000) })),
  });
  await producer.disconnect();
  return withAdmin(args, async (admin) => {
    const offsets = (await admin.fetchTopicOffsets(topic)).find((o) => o.partition === 0);
    expect('earliest (low)', offsets?.low, 0);
    expect('latest (high)', offsets?.high, 10);
    const byTime = (await admin.fetchTopicOffsetsByTimestamp(topic, base + 5500)).find((o) => o.partition === 0);
    expect('for timestamp base+5.5s', byTime?.offset, 6);
    return 'earliest 0, latest 10, timestamp -> 6 (admin)';
  });
}

async function idempotent(args: DriverArgs): Promise<string> {
  const topic = `${args.prefix}-idem`;
  const count = 1000;
  await createTopic(args, topic, PARTITIONS);
  await produce(args, topic, count, PARTITIONS, -1, 'none', true);
  verify(await consumeAll(args, topic, count), count, PARTITIONS, CLIENT);
  return `${count} records, idempotent: true`;
}

async function longPoll(args: DriverArgs): Promise<string> {
  const topic = `${args.prefix}-lp`;
  await createTopic(args, topic, 1);
  const producer = connect(args).producer();
  await producer.connect();
  const consumer = connect(args).consumer({ groupId: `${topic}-reader`, maxWaitTimeInMs: LONG_POLL_MAX_WAIT_MS, minBytes: 1 });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    let received: (at: number) => void = () => {};
    const receivedAt = new Promise<number>((resolve) => (received = resolve));
    const joined = new Promise<void>((resolve) => consumer.on(consumer.events.GROUP_JOIN, () => resolve()));
    await consumer.run({ autoCommit: false, eachMessage: async () => received(performance.now()) });
    await joined;
    // The consumer's first fetch of the empty partition is being held open by the broker now.
    await sleep(1000);
    const sentAt = performance.now();
    await producer.send({ topic, acks: 1, messages: [message(0, 0)] });
    const at = await Promise.race([receivedAt, sleep(3 * LONG_POLL_MAX_WAIT_MS).then(() => -1)]);
    if (at < 0) throw new Check('record not received');
    const latency = Math.round(at - sentAt);
    if (latency >= LONG_POLL_MAX_WAIT_MS / 2) throw new Check(`received after ${latency} ms, max wait ${LONG_POLL_MAX_WAIT_MS}`);
    return `${latency} ms produce->consume, maxWaitTimeInMs=${LONG_POLL_MAX_WAIT_MS}`;
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
}

async function committedOffsets(args: DriverArgs, topic: string): Promise<Map<number, string>> {
  return withAdmin(args, async (admin) => {
    const fetched = await admin.fetchOffsets({ groupId: topic, topics: [topic] });
    return new Map((fetched[0]?.partitions ?? []).map((p) => [p.partition, p.offset]));
  });
}

async function groupResumeCommit(args: DriverArgs): Promise<string> {
  const topic = `${args.prefix}-group`;
  await createTopic(args, topic, GROUP_PARTITIONS);
  await produce(args, topic, GROUP_PARTITIONS * GROUP_RECORDS_PER_PARTITION, GROUP_PARTITIONS, -1, 'none', false);
  const members: Array<{ consumer: Consumer; assigned: number[] }> = [];
  try {
    for (let k = 0; k < 2; k++) {
      const consumer = connect(args).consumer({ groupId: topic, sessionTimeout: 10_000, heartbeatInterval: 1000 });
      const member = { consumer, assigned: [] as number[] };
      consumer.on(consumer.events.GROUP_JOIN, (event) => {
        member.assigned = event.payload.memberAssignment[topic] ?? [];
      });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: true });
      await consumer.run({ autoCommit: false, eachMessage: async () => {} });
      members.push(member);
    }
    await until('group settles on 2+2 partitions', 60_000, async () =>
      members.every((m) => m.assigned.length === 2) ? true : undefined,
    );
    for (const { consumer, assigned } of members) {
      await consumer.commitOffsets(assigned.map((partition) => ({ topic, partition, offset: String(GROUP_COMMIT_OFFSET) })));
    }
  } finally {
    for (const { consumer } of members) await consumer.disconnect();
  }
  const committed = await committedOffsets(args, topic);
  for (let p = 0; p < GROUP_PARTITIONS; p++) expect(`committed partition ${p}`, committed.get(p), GROUP_COMMIT_OFFSET);
  return `2 members x 2 partitions, committed offset ${GROUP_COMMIT_OFFSET} on 4 partitions`;
}

async function groupResumeCheck(args: DriverArgs): Promise<string> {
  const topic = `${args.prefix}-group`;
  const committed = await committedOffsets(args, topic);
  for (let p = 0; p < GROUP_PARTITIONS; p++) expect(`committed partition ${p} after restart`, committed.get(p), GROUP_COMMIT_OFFSET);
  const consumer = connect(args).consumer({ groupId: topic });
  const first = new Map<number, ReadRecord>();
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message: m }) => {
        if (!first.has(partition)) first.set(partition, toRecord(m));
      },
    });
    await until('a record from every partition', 30_000, async () => (first.size === GROUP_PARTITIONS ? true : undefined));
  } finally {
    await consumer.disconnect();
  }
  for (const [partition, record] of first) {
    expect(`first offset of partition ${partition}`, record.offset, GROUP_COMMIT_OFFSET);
    expect(`key at partition ${partition}`, record.key, key(Number(record.offset) * GROUP_PARTITIONS + partition));
  }
  return `resumed at offset ${GROUP_COMMIT_OFFSET} on 4 partitions`;
}

/** Reads the output topic from the start until `count` records arrived, then 2 s more for extras. */
async function readTxnOutput(args: DriverArgs, topic: string, readUncommitted: boolean, count: number): Promise<TxnRecord[]> {
  const consumer = connect(args).consumer({ groupId: `${topic}-reader-${readUncommitted}-${Date.now()}`, maxWaitTimeInMs: 500, readUncommitted });
  const records: TxnRecord[] = [];
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message: m }) => {
        records.push({ partition, key: m.key?.toString() ?? '', value: m.value?.toString() ?? '' });
      },
    });
    await until(`${count} records read ${readUncommitted ? 'read_uncommitted' : 'read_committed'} (got ${records.length})`, 30_000, async () =>
      records.length >= count ? true : undefined,
    );
    await sleep(2000);
  } finally {
    await consumer.disconnect();
  }
  return records;
}

async function transactions(args: DriverArgs): Promise<string> {
  const input = `${args.prefix}-txn-in`;
  const output = `${args.prefix}-txn-out`;
  const group = `${args.prefix}-txn-group`;
  await createTopic(args, input, TXN_PARTITIONS);
  await createTopic(args, output, TXN_PARTITIONS);
  await produce(args, input, TXN_INPUT, TXN_PARTITIONS, -1, 'none', true);

  const producer = connect(args).producer({ transactionalId: `${args.prefix}-txn`, idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = connect(args).consumer({ groupId: group, readUncommitted: false, maxBytesPerPartition: 8 * 1024 });
  let processed = 0;
  let transactionsDone = 0;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic: input, fromBeginning: true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      eachBatch: async ({ batch, resolveOffset }) => {
        if (batch.messages.length === 0) return;
        const txn = await producer.transaction();
        try {
          await txn.send({
            topic: output,
            acks: -1,
            messages: batch.messages.map((m) => ({ key: m.key, value: `${m.value?.toString()}-out`, partition: batch.partition })),
          });
          const next = String(BigInt(batch.lastOffset()) + 1n);
          await txn.sendOffsets({ consumerGroupId: group, topics: [{ topic: input, partitions: [{ partition: batch.partition, offset: next }] }] });
          await txn.commit();
        } catch (error) {
          await txn.abort();
          throw error;
        }
        for (const m of batch.messages) resolveOffset(m.offset);
        processed += batch.messages.length;
        transactionsDone++;
      },
    });
    await until(`all ${TXN_INPUT} input records processed (got ${processed})`, 60_000, async () => (processed >= TXN_INPUT ? true : undefined));
    await consumer.stop();
    // One transaction aborted, then a committed one a read_committed reader must get past it to.
    const aborted = await producer.transaction();
    await aborted.send({
      topic: output,
      acks: -1,
      messages: Array.from({ length: TXN_ABORTED }, (_, i) => ({ key: `aborted-${i}`, value: 'aborted', partition: i % TXN_PARTITIONS })),
    });
    await aborted.abort();
    const tail = await producer.transaction();
    await tail.send({ topic: output, acks: -1, messages: [{ key: 'tail', value: 'tail', partition: 0 }] });
    await tail.commit();
  } finally {
    await consumer.disconnect();
    await producer.disconnect();
  }
  const committed = await readTxnOutput(args, output, false, TXN_INPUT + 1);
  checkTxnOutput(committed, false);
  const uncommitted = await readTxnOutput(args, output, true, TXN_INPUT + 1 + TXN_ABORTED);
  checkTxnOutput(uncommitted, true);
  const offsets = await withAdmin(args, (admin) => admin.fetchOffsets({ groupId: group, topics: [input] }));
  for (let p = 0; p < TXN_PARTITIONS; p++) {
    expect(`group's committed offset of ${input}-${p}`, offsets[0]?.partitions.find((o) => o.partition === p)?.offset, TXN_INPUT / TXN_PARTITIONS);
  }
  return `${TXN_INPUT} records in ${transactionsDone} transactions (eachBatch + sendOffsets), ${TXN_ABORTED} aborted: read_committed ${committed.length}, read_uncommitted ${uncommitted.length}`;
}

const scenarios: Scenarios = {
  transactions,
  metadata,
  'list-offsets': listOffsets,
  idempotent,
  'long-poll': longPoll,
  'group-resume-1': groupResumeCommit,
  'group-resume-2': groupResumeCheck,
};
for (const codec of CODECS) scenarios[`produce-consume-${codec}`] = produceConsume(codec);
await runDriver([`kafkajs ${version}`], scenarios);
