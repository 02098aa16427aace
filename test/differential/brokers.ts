// The two brokers of a differential run: a fresh single-node Apache Kafka (bench/kafka/start.sh,
// KRaft, its own defaults but for one replica everywhere) and a fresh Highwater in this process,
// both on free ports and temp data dirs, both node id 1, so the same requests can go to each.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { startBroker, type TestBroker } from '../helpers/broker.ts';

const run = promisify(execFile);
const KAFKA_SCRIPTS = path.resolve(import.meta.dirname, '../../bench/kafka');

export interface ReferenceKafka {
  port: number;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

/** Kafka with num.partitions=1, its shipped default (start.sh's own default is 3, for benchmarks). */
export async function startKafka(options: { extraProperties?: string } = {}): Promise<ReferenceKafka> {
  const port = await freePort();
  let controllerPort = await freePort();
  while (controllerPort === port) controllerPort = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), 'highwater-differential-kafka-'));
  await run('bash', [path.join(KAFKA_SCRIPTS, 'start.sh'), '--port', String(port), '--controller-port', String(controllerPort),
    '--data-dir', dataDir, '--heap', '512m', '--partitions', '1', '--timeout', '120',
    ...(options.extraProperties ? ['--extra-properties', options.extraProperties] : [])], { timeout: 150_000 });
  return {
    port,
    async stop() {
      await run('bash', [path.join(KAFKA_SCRIPTS, 'stop.sh'), '--data-dir', dataDir, '--timeout', '20'], { timeout: 60_000 }).catch(() => undefined);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export async function startHighwater(): Promise<TestBroker> {
  return startBroker({ nodeId: 1, shards: 2 });
}
