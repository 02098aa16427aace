// Issue 15 defect 3: one CreateTopics for 10,000 partitions filled the fd table; new clients got
// ECONNRESET and the restart failed with EMFILE. Now the soft open-file limit is raised to the
// hard limit at start, and creations beyond the partition budget (derived from that limit, about
// four descriptors a partition) are refused with POLICY_VIOLATION and a message saying why. The
// broker runs under a low limit here (prlimit), keeps serving, and restarts.
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import { afterAll, expect, test } from 'vitest';
import { tempDataDir } from '../helpers/broker.ts';
import { startProcessBroker, type ProcessBroker } from '../helpers/process-broker.ts';
import { KafkaConnection } from '../../src/client/kafka-connection.ts';
import { ApiKey } from '../../src/protocol/generated/index.ts';
import type { CreateTopicsResponse } from '../../src/protocol/generated/create-topics-response.ts';
import type { CreatePartitionsResponse } from '../../src/protocol/generated/create-partitions-response.ts';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { kafkajs } from '../helpers/kafkajs.ts';
import { openFileLimits } from '../../src/cli/start-process.ts';
import { effectivePartitionBudget } from '../../src/acceptor/partition-budget.ts';

const hasPrlimit = spawnSync('prlimit', ['--version']).status === 0;
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** Starts the broker under `prlimit --nofile=soft:hard` (the wrapper execs it: same pid). */
function startLimited(dataDir: string, soft: number, hard: number, args: string[] = []): Promise<ProcessBroker> {
  return startProcessBroker(dataDir, ['--shards', '2', ...args], 0, { wrapper: ['prlimit', `--nofile=${soft}:${hard}`] });
}

async function createTopic(c: KafkaConnection, name: string, numPartitions: number) {
  const res = await c.request<CreateTopicsResponse>(ApiKey.CreateTopics, c.version(ApiKey.CreateTopics), {
    topics: [{ name, numPartitions, replicationFactor: -1, assignments: [], configs: [] }], timeoutMs: 30_000,
  });
  return res.topics[0]!;
}

test.skipIf(!hasPrlimit)('the soft limit is raised to the hard limit at start', async () => {
  const dataDir = tempDataDir();
  dirs.push(dataDir);
  const broker = await startLimited(dataDir, 256, 2048);
  try {
    expect(openFileLimits(broker.child.pid!)).toEqual({ soft: 2048, hard: 2048 });
  } finally {
    await broker.kill('SIGKILL');
  }
});

test.skipIf(!hasPrlimit)('beyond the partition budget: POLICY_VIOLATION saying why; the broker serves and restarts', async () => {
  const dataDir = tempDataDir();
  dirs.push(dataDir);
  const LIMIT = 640;
  const budget = effectivePartitionBudget(0, 65_536, LIMIT);
  let broker = await startLimited(dataDir, LIMIT, LIMIT);
  try {
    const c = await KafkaConnection.connect('127.0.0.1', broker.port);
    // The request that used to fill the fd table.
    const huge = await createTopic(c, 'ten-thousand', 10_000);
    expect(huge.errorCode).toBe(ErrorCode.POLICY_VIOLATION);
    expect(huge.errorMessage).toMatch(/partition budget of \d+/);
    expect(huge.errorMessage).toMatch(/open-file limit/);
    // Up to the budget is fine (the internal partitions count too: fill what is left).
    const used = readdirSync(dataDir).filter((d) => /-\d+$/.test(d)).length;
    const fits = budget - used;
    expect(fits).toBeGreaterThan(10);
    expect((await createTopic(c, 'fits', fits - 5)).errorCode).toBe(ErrorCode.NONE);
    const grow = await c.request<CreatePartitionsResponse>(ApiKey.CreatePartitions, c.version(ApiKey.CreatePartitions), {
      topics: [{ name: 'fits', count: fits + 100, assignments: null }], timeoutMs: 30_000, validateOnly: false,
    });
    expect(grow.results[0]!.errorCode).toBe(ErrorCode.POLICY_VIOLATION);
    c.close();

    // Still serving: a fresh client produces and reads back.
    const kafka = kafkajs(broker.bootstrap, { retry: { retries: 2 } });
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({ topic: 'fits', acks: -1, messages: [{ partition: fits - 6, value: 'kept' }] });
    await producer.disconnect();
    const fdCount = readdirSync(`/proc/${broker.child.pid}/fd`).length;
    expect(fdCount).toBeLessThan(LIMIT);

    // Restarts under the same limit, unclean (kill -9: every partition recovered), and serves.
    await broker.kill('SIGKILL');
    broker = await startLimited(dataDir, LIMIT, LIMIT);
    const admin = kafkajs(broker.bootstrap).admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets('fits');
    await admin.disconnect();
    expect(offsets).toHaveLength(fits - 5);
    expect(offsets.find((o) => o.partition === fits - 6)?.high).toBe('1');
  } finally {
    await broker.kill('SIGKILL');
  }
}, 180_000);

test.skipIf(!hasPrlimit)('more partitions than the fd limit could hold open at once: idle ones release their files; serves and restarts', async () => {
  const dataDir = tempDataDir();
  dirs.push(dataDir);
  const LIMIT = 640;
  const PARTITIONS = 400; // 4 descriptors each would be 1,600: more than the limit
  // The budget raised by hand past what the limit could hold if every partition kept its files.
  let broker = await startLimited(dataDir, LIMIT, LIMIT, ['--partition-budget', '1000']);
  try {
    const c = await KafkaConnection.connect('127.0.0.1', broker.port);
    for (let t = 0; t < PARTITIONS / 100; t++) expect((await createTopic(c, `many-${t}`, 100)).errorCode).toBe(ErrorCode.NONE);
    c.close();
    const kafka = kafkajs(broker.bootstrap, { retry: { retries: 2 } });
    const producer = kafka.producer();
    await producer.connect();
    for (let t = 0; t < PARTITIONS / 100; t++) {
      await producer.send({ topic: `many-${t}`, acks: -1, messages: Array.from({ length: 100 }, (_, p) => ({ partition: p, value: `r${t}-${p}` })) });
    }
    await producer.disconnect();
    expect(readdirSync(`/proc/${broker.child.pid}/fd`).length).toBeLessThan(LIMIT);

    // kill -9, then a start that recovers every partition under the same limit.
    await broker.kill('SIGKILL');
    broker = await startLimited(dataDir, LIMIT, LIMIT, ['--partition-budget', '1000']);
    expect(readdirSync(`/proc/${broker.child.pid}/fd`).length).toBeLessThan(LIMIT);
    const admin = kafkajs(broker.bootstrap).admin();
    await admin.connect();
    for (let t = 0; t < PARTITIONS / 100; t++) {
      const offsets = await admin.fetchTopicOffsets(`many-${t}`);
      expect(offsets.map((o) => o.high)).toEqual(Array.from({ length: 100 }, () => '1'));
    }
    await admin.disconnect();
    const consumer = kafkajs(broker.bootstrap).consumer({ groupId: 'reads-everything' });
    await consumer.connect();
    await consumer.subscribe({ topic: 'many-3', fromBeginning: true });
    let read = 0;
    await consumer.run({ eachMessage: async () => { read++; } });
    for (let i = 0; i < 300 && read < 100; i++) await new Promise((r) => setTimeout(r, 100));
    await consumer.disconnect();
    expect(read).toBe(100);
    expect(readdirSync(`/proc/${broker.child.pid}/fd`).length).toBeLessThan(LIMIT);
  } finally {
    await broker.kill('SIGKILL');
  }
}, 300_000);
