// Committed offsets survive a clean restart (in-process broker) and a kill -9 of a broker process:
// a new member of the group resumes exactly at the committed offsets.
import { spawn, type ChildProcess } from 'node:child_process';
import net from 'node:net';
import path from 'node:path';
import { rmSync } from 'node:fs';
import { afterAll, expect, test } from 'vitest';
import type { Kafka } from 'kafkajs';
import { startBroker, tempDataDir } from '../helpers/broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';

const TOPIC = 'durable';
const PARTITIONS = 3;
const cleanups: (() => Promise<void> | void)[] = [];

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function produce(kafka: Kafka, round: string, perPartition: number): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  const messages = [];
  for (let p = 0; p < PARTITIONS; p++) for (let i = 0; i < perPartition; i++) messages.push({ partition: p, value: `${round}-${p}-${i}` });
  await producer.send({ topic: TOPIC, messages });
  await producer.disconnect();
}

/** Joins the group, reads everything up to `expected` records, and commits `commitAt` on every partition. */
async function consumeAndCommit(kafka: Kafka, groupId: string, expected: number, commitAt: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId, heartbeatInterval: 300, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  const values: string[] = [];
  await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => { values.push(message.value!.toString()); } });
  await until(`${expected} records`, () => values.length >= expected);
  await consumer.commitOffsets(Array.from({ length: PARTITIONS }, (_, partition) => ({ topic: TOPIC, partition, offset: String(commitAt) })));
  await consumer.disconnect();
  return values;
}

/** A fresh member of the group: what it reads first shows where it resumed. */
async function resume(kafka: Kafka, groupId: string, expected: number): Promise<string[]> {
  const consumer = kafka.consumer({ groupId, heartbeatInterval: 300, maxWaitTimeInMs: 100 });
  await consumer.connect();
  await consumer.subscribe({ topic: TOPIC, fromBeginning: true });
  const values: string[] = [];
  await consumer.run({ autoCommit: false, eachMessage: async ({ message }) => { values.push(message.value!.toString()); } });
  await until(`${expected} records after resuming`, () => values.length >= expected);
  await new Promise((r) => setTimeout(r, 300));
  await consumer.disconnect();
  return values.sort();
}

function expectedAfter(rounds: { round: string; from: number; to: number }[]): string[] {
  const out: string[] = [];
  for (const { round, from, to } of rounds) for (let p = 0; p < PARTITIONS; p++) for (let i = from; i < to; i++) out.push(`${round}-${p}-${i}`);
  return out.sort();
}

test('committed offsets survive a clean restart', async () => {
  let tb = await startBroker();
  cleanups.push(() => tb.destroy());
  const admin = kafkajs(tb.bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
  await admin.disconnect();
  await produce(kafkajs(tb.bootstrap), 'old', 10);
  await consumeAndCommit(kafkajs(tb.bootstrap), 'restart-group', 30, 7);

  tb = await tb.restart();
  const kafka = kafkajs(tb.bootstrap);
  const after = kafka.admin();
  await after.connect();
  const fetched = await after.fetchOffsets({ groupId: 'restart-group', topics: [TOPIC] });
  expect(fetched[0]!.partitions.map((p) => [p.partition, p.offset]).sort()).toEqual([[0, '7'], [1, '7'], [2, '7']]);
  await after.disconnect();
  await produce(kafka, 'new', 2);
  const resumed = await resume(kafka, 'restart-group', 15);
  expect(resumed).toEqual(expectedAfter([{ round: 'old', from: 7, to: 10 }, { round: 'new', from: 0, to: 2 }]));
}, 40_000);

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise((r) => server.close(r));
  return port;
}

/** Starts `highwater start` as a child process and resolves once it logs 'broker ready'. */
async function spawnBroker(port: number, dataDir: string): Promise<ChildProcess> {
  const main = path.resolve(import.meta.dirname, '../../src/cli/main.ts');
  const child = spawn(process.execPath, [main, 'start', '--port', String(port), '--data-dir', dataDir, '--http-port', '-1', '--shards', '2'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker did not get ready: ${output}`)), 20_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of output.split('\n')) {
        if (!line.startsWith('{')) continue;
        try {
          if ((JSON.parse(line) as { msg?: string }).msg === 'broker ready') {
            clearTimeout(timer);
            resolve();
          }
        } catch { /* a partial line */ }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (chunk: Buffer) => { output += chunk.toString(); });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code}: ${output}`));
    });
  });
  child.removeAllListeners('exit');
  return child;
}

async function kill9(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

test('committed offsets survive kill -9 of the broker process', async () => {
  const dataDir = tempDataDir('highwater-groups-kill-');
  const port = await freePort();
  let child = await spawnBroker(port, dataDir);
  cleanups.push(async () => {
    await kill9(child);
    rmSync(dataDir, { recursive: true, force: true });
  });
  const bootstrap = `127.0.0.1:${port}`;
  const admin = kafkajs(bootstrap).admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }] });
  await admin.disconnect();
  await produce(kafkajs(bootstrap), 'old', 10);
  // The commit is acknowledged only once fsynced: kill the process right after the ack.
  await consumeAndCommit(kafkajs(bootstrap), 'kill-group', 30, 4);
  await kill9(child);

  child = await spawnBroker(port, dataDir);
  const kafka = kafkajs(bootstrap, { retry: { retries: 10, initialRetryTime: 100, maxRetryTime: 1000 } });
  await produce(kafka, 'new', 1);
  const resumed = await resume(kafka, 'kill-group', 21);
  expect(resumed).toEqual(expectedAfter([{ round: 'old', from: 4, to: 10 }, { round: 'new', from: 0, to: 1 }]));
}, 50_000);
