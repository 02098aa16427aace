// Compatibility driver for @platformatic/kafka (from the root project's node_modules): the
// scenarios of docs/compat.md. Its consumers always join a group, so reads use a throw-away group.
import { Admin, Consumer, Producer, type Message, type MessagesStream } from '@platformatic/kafka';
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

const CLIENT = 'platformatic-kafka';
const version = packageVersion('@platformatic/kafka');

const base = (args: DriverArgs, role: string) => ({
  clientId: `highwater-compat-platformatic-${role}`,
  bootstrapBrokers: [args.bootstrap],
  timeout: 20_000,
});

async function withAdmin<T>(args: DriverArgs, use: (admin: Admin) => Promise<T>): Promise<T> {
  const admin = new Admin(base(args, 'admin'));
  try {
    return await use(admin);
  } finally {
    await admin.close();
  }
}

function reader(args: DriverArgs, groupId: string, extra: Record<string, unknown> = {}): Consumer {
  return new Consumer({ ...base(args, 'consumer'), groupId, ...extra });
}

/** Creates the topic and waits until every partition answers ListOffsets: Kafka's leader learns
 * of a new partition a moment after CreateTopics returns, and drops acks=0 records until then. */
async function createTopic(args: DriverArgs, topic: string, partitions: number): Promise<void> {
  await withAdmin(args, (admin) => admin.createTopics({ topics: [topic], partitions, replicas: 1 }));
  const probe = reader(args, `${topic}-probe`);
  try {
    await until(`${topic} answers ListOffsets`, 15_000, async () => {
      const offsets = await probe.listOffsets({ topics: [topic] });
      return offsets.get(topic)?.length === partitions ? true : undefined;
    });
  } finally {
    await probe.close(true);
  }
}

function message(topic: string, i: number, partition: number) {
  return {
    topic,
    partition,
    key: key(i),
    value: value(i),
    headers: new Map(headers(i, CLIENT).map(([name, bytes]) => [Buffer.from(name), bytes])),
  };
}

async function produce(args: DriverArgs, topic: string, count: number, partitions: number, acks: number, codec: Codec, idempotent: boolean): Promise<void> {
  const producer = new Producer({ ...base(args, 'producer'), acks, compression: codec, idempotent });
  try {
    const chunk = 500;
    for (let start = 0; start < count; start += chunk) {
      const messages = [];
      for (let i = start; i < Math.min(count, start + chunk); i++) messages.push(message(topic, i, i % partitions));
      await producer.send({ messages });
    }
  } finally {
    await producer.close();
  }
}

function toRecord(m: Message): ReadRecord {
  return {
    offset: m.offset,
    key: m.key,
    value: m.value,
    headers: [...m.headers].map(([name, bytes]) => [name.toString(), bytes]),
  };
}

async function consumeAll(args: DriverArgs, topic: string, count: number): Promise<Map<number, ReadRecord[]>> {
  const consumer = reader(args, `${topic}-reader-${Date.now()}`);
  const byPartition = new Map<number, ReadRecord[]>();
  let received = 0;
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxWaitTime: 500 });
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 30_000);
      stream.on('data', (m: Message) => {
        const list = byPartition.get(m.partition) ?? [];
        list.push(toRecord(m));
        byPartition.set(m.partition, list);
        if (++received >= count) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    await stream.close();
  } finally {
    await consumer.close(true);
  }
  return byPartition;
}

async function metadata(args: DriverArgs): Promise<string> {
  const topic = `${args.prefix}-meta`;
  await createTopic(args, topic, PARTITIONS);
  return withAdmin(args, async (admin) => {
    const meta = await admin.metadata({ topics: [topic], forceUpdate: true });
    expect('partitions in Metadata', meta.topics.get(topic)?.partitionsCount, PARTITIONS);
    if (!(await admin.listTopics()).includes(topic)) throw new Check(`${topic} not listed`);
    await admin.deleteTopics({ topics: [topic] });
    await until(`${topic} gone from ListTopics`, 15_000, async () => ((await admin.listTopics()).includes(topic) ? undefined : true));
    return `${meta.brokers.size} broker(s); create, metadata, list, delete`;
  });
}

function produceConsume(codec: Codec) {
  return async (args: DriverArgs): Promise<string> => {
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
  const baseTime = (Math.floor(Date.now() / 1000) - 60) * 1000;
  const producer = new Producer({ ...base(args, 'producer'), acks: -1 });
  await producer.send({
    messages: Array.from({ length: 10 }, (_, i) => ({ ...message(topic, i, 0), timestamp: BigInt(baseTime + i * 1000) })),
  });
  await producer.close();
  const consumer = reader(args, `${topic}-reader`);
  try {
    const at = async (timestamp: bigint) => (await consumer.listOffsets({ topics: [topic], timestamp })).get(topic)?.[0];
    expect('earliest', await at(-2n), 0);
    expect('latest', await at(-1n), 10);
    expect('for timestamp base+5.5s', await at(BigInt(baseTime + 5500)), 6);
  } finally {
    await consumer.close(true);
  }
  return 'earliest 0, latest 10, timestamp -> 6 (consumer.listOffsets)';
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
  const producer = new Producer({ ...base(args, 'producer'), acks: 1 });
  const consumer = reader(args, `${topic}-reader`);
  let stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> | undefined;
  try {
    stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxWaitTime: LONG_POLL_MAX_WAIT_MS, minBytes: 1 });
    const receivedAt = new Promise<number>((resolve) => stream!.once('data', () => resolve(performance.now())));
    // The stream's fetch of the empty partition is being held open by the broker now.
    await sleep(1000);
    const sentAt = performance.now();
    await producer.send({ messages: [message(topic, 0, 0)] });
    const at = await Promise.race([receivedAt, sleep(3 * LONG_POLL_MAX_WAIT_MS).then(() => -1)]);
    if (at < 0) throw new Check('record not received');
    const latency = Math.round(at - sentAt);
    if (latency >= LONG_POLL_MAX_WAIT_MS / 2) throw new Check(`received after ${latency} ms, max wait ${LONG_POLL_MAX_WAIT_MS}`);
    return `${latency} ms produce->consume, maxWaitTime=${LONG_POLL_MAX_WAIT_MS}`;
  } finally {
    await stream?.close();
    await consumer.close(true);
    await producer.close();
  }
}

async function committedOffsets(args: DriverArgs, topic: string): Promise<Map<number, bigint>> {
  return withAdmin(args, async (admin) => {
    const groups = await admin.listConsumerGroupOffsets({ groups: [topic] });
    const partitions = groups[0]?.topics.find((t) => t.name === topic)?.partitions ?? [];
    return new Map(partitions.map((p) => [p.partitionIndex, p.committedOffset]));
  });
}

async function groupResumeCommit(args: DriverArgs): Promise<string> {
  const topic = `${args.prefix}-group`;
  await createTopic(args, topic, GROUP_PARTITIONS);
  await produce(args, topic, GROUP_PARTITIONS * GROUP_RECORDS_PER_PARTITION, GROUP_PARTITIONS, -1, 'none', false);
  const members: Array<{ consumer: Consumer; stream: MessagesStream<Buffer, Buffer, Buffer, Buffer> }> = [];
  const assigned = (consumer: Consumer) => consumer.assignments?.find((a) => a.topic === topic)?.partitions ?? [];
  try {
    for (let k = 0; k < 2; k++) {
      const consumer = reader(args, topic, { sessionTimeout: 10_000, heartbeatInterval: 1000 });
      const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
      stream.on('data', () => {});
      members.push({ consumer, stream });
    }
    await until('group settles on 2+2 partitions', 60_000, async () =>
      members.every((m) => assigned(m.consumer).length === 2) ? true : undefined,
    );
    for (const { consumer } of members) {
      const offsets = assigned(consumer).map((partition) => ({ topic, partition, offset: BigInt(GROUP_COMMIT_OFFSET), leaderEpoch: -1 }));
      await consumer.commit({ offsets });
    }
  } finally {
    for (const { consumer, stream } of members) {
      await stream.close();
      await consumer.close(true);
    }
  }
  const committed = await committedOffsets(args, topic);
  for (let p = 0; p < GROUP_PARTITIONS; p++) expect(`committed partition ${p}`, committed.get(p), GROUP_COMMIT_OFFSET);
  return `2 members x 2 partitions, committed offset ${GROUP_COMMIT_OFFSET} on 4 partitions`;
}

async function groupResumeCheck(args: DriverArgs): Promise<string> {
  const topic = `${args.prefix}-group`;
  const committed = await committedOffsets(args, topic);
  for (let p = 0; p < GROUP_PARTITIONS; p++) expect(`committed partition ${p} after restart`, committed.get(p), GROUP_COMMIT_OFFSET);
  const consumer = reader(args, topic);
  const first = new Map<number, ReadRecord>();
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'committed', fallbackMode: 'earliest', autocommit: false });
    stream.on('data', (m: Message) => {
      if (!first.has(m.partition)) first.set(m.partition, toRecord(m));
    });
    await until('a record from every partition', 30_000, async () => (first.size === GROUP_PARTITIONS ? true : undefined));
    await stream.close();
  } finally {
    await consumer.close(true);
  }
  for (const [partition, record] of first) {
    expect(`first offset of partition ${partition}`, record.offset, GROUP_COMMIT_OFFSET);
    expect(`key at partition ${partition}`, record.key, key(Number(record.offset) * GROUP_PARTITIONS + partition));
  }
  return `resumed at offset ${GROUP_COMMIT_OFFSET} on 4 partitions`;
}

/** Reads the output topic from the start until `count` records arrived, then 2 s more for extras. */
async function readTxnOutput(args: DriverArgs, topic: string, isolationLevel: 0 | 1, count: number): Promise<TxnRecord[]> {
  const consumer = reader(args, `${topic}-reader-${isolationLevel}-${Date.now()}`, { isolationLevel });
  const records: TxnRecord[] = [];
  try {
    const stream = await consumer.consume({ topics: [topic], mode: 'earliest', autocommit: false, maxWaitTime: 500 });
    stream.on('data', (m: Message) => {
      records.push({ partition: m.partition, key: m.key?.toString() ?? '', value: m.value?.toString() ?? '' });
    });
    try {
      await until(`${count} records read with isolation level ${isolationLevel} (got ${records.length})`, 30_000, async () =>
        records.length >= count ? true : undefined,
      );
      await sleep(2000);
    } finally {
      await stream.close();
    }
  } finally {
    await consumer.close(true);
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

  const producer = new Producer({ ...base(args, 'txn-producer'), acks: -1, idempotent: true, transactionalId: `${args.prefix}-txn` });
  const consumer = reader(args, group, { isolationLevel: 1, sessionTimeout: 10_000, heartbeatInterval: 1000 });
  const pending: Message[] = [];
  let processed = 0;
  let committedTxns = 0;
  try {
    const stream = await consumer.consume({ topics: [input], mode: 'committed', fallbackMode: 'earliest', autocommit: false, maxWaitTime: 500 });
    stream.on('data', (m: Message) => pending.push(m));
    try {
      const deadline = Date.now() + 60_000;
      while (processed < TXN_INPUT) {
        if (Date.now() > deadline) throw new Check(`processed ${processed} of ${TXN_INPUT} input records in 60 s`);
        if (pending.length === 0) {
          await sleep(100);
          continue;
        }
        const batch = pending.splice(0, 50);
        const txn = await producer.beginTransaction();
        await txn.send({
          messages: batch.map((m) => ({ topic: output, partition: m.partition, key: m.key, value: Buffer.from(`${m.value.toString()}-out`) })),
        });
        await txn.addConsumer(consumer);
        const last = new Map<number, Message>();
        for (const m of batch) last.set(m.partition, m);
        for (const m of last.values()) await txn.addOffset(m);
        await txn.commit();
        processed += batch.length;
        committedTxns++;
      }
    } finally {
      await stream.close();
    }
    // One transaction aborted, then a committed one a read_committed reader must get past it to.
    const aborted = await producer.beginTransaction();
    await aborted.send({
      messages: Array.from({ length: TXN_ABORTED }, (_, i) => ({ topic: output, partition: i % TXN_PARTITIONS, key: Buffer.from(`aborted-${i}`), value: Buffer.from('aborted') })),
    });
    await aborted.abort();
    const tail = await producer.beginTransaction();
    await tail.send({ messages: [{ topic: output, partition: 0, key: Buffer.from('tail'), value: Buffer.from('tail') }] });
    await tail.commit();
  } finally {
    await consumer.close(true);
    await producer.close();
  }
  const committed = await readTxnOutput(args, output, 1, TXN_INPUT + 1);
  checkTxnOutput(committed, false);
  const uncommitted = await readTxnOutput(args, output, 0, TXN_INPUT + 1 + TXN_ABORTED);
  checkTxnOutput(uncommitted, true);
  const offsets = await withAdmin(args, (admin) => admin.listConsumerGroupOffsets({ groups: [group] }));
  const partitions = offsets[0]?.topics.find((t) => t.name === input)?.partitions ?? [];
  for (let p = 0; p < TXN_PARTITIONS; p++) {
    const got = partitions.find((o) => o.partitionIndex === p);
    expect(`group's committed offset of ${input}-${p}`, got?.committedOffset, TXN_INPUT / TXN_PARTITIONS);
  }
  return `${TXN_INPUT} records in ${committedTxns} transactions (beginTransaction + addConsumer/addOffset), ${TXN_ABORTED} aborted: read_committed ${committed.length}, read_uncommitted ${uncommitted.length}`;
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
await runDriver([`@platformatic/kafka ${version}`], scenarios);
