// Starts a real Highwater broker in this process, on a temp data dir and a free port, for tests.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { startBroker as startRunningBroker, type RunningBroker, type StartOptions } from '../../src/acceptor/start.ts';
import { loadConfig, type BrokerConfig } from '../../src/config.ts';

export interface TestBroker {
  broker: RunningBroker;
  port: number;
  bootstrap: string;
  dataDir: string;
  config: BrokerConfig;
  /** Stops the broker; the data dir stays for a restart. */
  stop(): Promise<void>;
  /** Stops it and deletes the data dir. */
  destroy(): Promise<void>;
  restart(overrides?: Partial<BrokerConfig>): Promise<TestBroker>;
}

export function tempDataDir(prefix = 'highwater-test-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

export async function startBroker(overrides: Partial<BrokerConfig> = {}, dataDir = tempDataDir(), options: StartOptions = {}): Promise<TestBroker> {
  const config: BrokerConfig = {
    ...loadConfig({}, {}),
    port: 0,
    httpPort: -1,
    shards: 2,
    dataDir,
    logLevel: process.env.HIGHWATER_TEST_LOG_LEVEL ?? 'warn',
    ringBytes: 8 * 1024 * 1024,
    maxPartitions: 4096,
    ...overrides,
  };
  const log = pino({ level: config.logLevel });
  const broker = await startRunningBroker(config, log, options);
  const port = broker.port;
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await broker.stop();
  };
  return {
    broker, port, bootstrap: `127.0.0.1:${port}`, dataDir, config, stop,
    async destroy() {
      await stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
    async restart(more: Partial<BrokerConfig> = {}) {
      await stop();
      return startBroker({ ...overrides, ...more, port }, dataDir, options);
    },
  };
}
