// A data dir whose next start needs a long recovery, made the honest way: many partitions and an
// unclean stop (kill -9), so every partition's active segment is scanned again. No sleep hooks.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startProcessBroker } from '../helpers/process-broker.ts';
import { kafkajs } from '../helpers/kafkajs.ts';

const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../bin/highwater.js');

export async function dataDirNeedingRecovery(dataDir: string, partitions: number): Promise<void> {
  const broker = await startProcessBroker(dataDir, ['--shards', '2']);
  try {
    const admin = kafkajs(broker.bootstrap).admin();
    await admin.connect();
    for (let t = 0; t * 100 < partitions; t++) await admin.createTopics({ topics: [{ topic: `slow-${t}`, numPartitions: Math.min(100, partitions - t * 100) }] });
    await admin.disconnect();
  } finally {
    await broker.kill('SIGKILL');
  }
}

export interface StartingBroker {
  child: ChildProcess;
  /** The HTTP side port, known as soon as it listens (before recovery). */
  httpPort: number;
  /** Resolves when the broker logs that it is ready. */
  ready: Promise<void>;
  lines: string[];
  stop(): Promise<void>;
}

/** Starts a broker and resolves as soon as its HTTP side port listens, long before it is ready. */
export function startUntilHttp(dataDir: string): Promise<StartingBroker> {
  const child = spawn(process.execPath, [bin, 'start', '--port', '0', '--http-port', '0', '--data-dir', dataDir, '--shards', '2'], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buffered = '';
  let readyResolve!: () => void;
  const ready = new Promise<void>((r) => { readyResolve = r; });
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`HTTP port never listened:\n${lines.join('\n')}`)), 60_000);
    child.stderr!.on('data', (d: Buffer) => lines.push(d.toString()));
    child.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        lines.push(line);
        if (line.includes('"broker ready"')) readyResolve();
        if (line.includes('"http surface listening"')) {
          clearTimeout(timer);
          resolve({
            child, httpPort: (JSON.parse(line) as { httpPort: number }).httpPort, ready, lines,
            async stop() {
              if (child.exitCode === null) child.kill('SIGKILL');
              await exited;
            },
          });
        }
      }
    });
    void exited.then(() => reject(new Error(`broker exited:\n${lines.join('\n')}`)));
  });
}
