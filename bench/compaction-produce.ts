// Produce throughput into a compacted topic with the log cleaner running against the same load with
// it off (--log-cleaner-enable false), alternating runs on a fresh broker process each time (issue 12:
// goal within 10%). Keyed 1 KiB records, acks=1, 2 partitions on one shard, 8 MiB segments.
// Port 19101. Usage: node bench/compaction-produce.ts [rounds] [seconds] [fsync policy, default always]
//   [log.cleaner.io.max.bytes.per.second, default none; '-' for none] [log.cleaner.backoff.ms, default 1000]
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Kafka, logLevel } from 'kafkajs';
import { DEFAULT_OPTIONS } from './generator/options.ts';
import { runBench } from './generator/run.ts';

const ROUNDS = Number(process.argv[2] ?? 2);
const SECONDS = Number(process.argv[3] ?? 15);
const FSYNC = process.argv[4] ?? 'always';
const IO_MAX = process.argv[5] === '-' ? undefined : process.argv[5];
const BACKOFF_MS = process.argv[6] ?? '1000';
const PORT = 19101;
const CLI = join(import.meta.dirname, '../src/cli/main.ts');

async function startBroker(dataDir: string, cleaner: boolean): Promise<{ child: ChildProcess; lines: string[] }> {
  const child = spawn(process.execPath, [CLI, 'start', '--port', String(PORT), '--data-dir', dataDir, '--http-port', '-1', '--shards', '1', '--fsync', FSYNC,
    '--log-cleaner-enable', String(cleaner), '--log-cleaner-backoff-ms', BACKOFF_MS, ...(IO_MAX ? ['--log-cleaner-io-max-bytes-per-second', IO_MAX] : [])], { stdio: ['ignore', 'pipe', 'pipe'] });
  const lines: string[] = [];
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('broker did not start')), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      for (const line of d.toString().split('\n')) {
        lines.push(line);
        if (line.includes('"broker ready"')) {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`broker exited with ${code}`)));
  });
  return { child, lines };
}

const results: { cleaner: boolean; recordsPerSec: number; cleanerRuns: number; p99Ms: number }[] = [];
for (let round = 0; round < ROUNDS; round++) {
  for (const cleaner of round % 2 === 0 ? [true, false] : [false, true]) {
    const dataDir = mkdtempSync(join(tmpdir(), 'bench-compaction-produce-'));
    const broker = await startBroker(dataDir, cleaner);
    try {
      const admin = new Kafka({ brokers: [`127.0.0.1:${PORT}`], logLevel: logLevel.NOTHING }).admin();
      await admin.connect();
      await admin.createTopics({ topics: [{ topic: 'compacted-bench', numPartitions: 2, configEntries: [
        { name: 'cleanup.policy', value: 'compact' }, { name: 'segment.bytes', value: String(8 * 1024 * 1024) }, { name: 'min.cleanable.dirty.ratio', value: '0.1' },
      ] }] });
      await admin.disconnect();
      const result = await runBench({
        ...DEFAULT_OPTIONS, mode: 'produce', bootstrap: `127.0.0.1:${PORT}`, topic: 'compacted-bench', partitions: 2, createTopic: false,
        durationMs: SECONDS * 1000, warmupMs: 2000, recordSize: 1024, acks: 1, progressIntervalMs: 0, keys: 1000, label: cleaner ? 'cleaner on' : 'cleaner off',
      });
      const runs = broker.lines.filter((l) => l.includes('log cleaner swapped')).length;
      const row = { cleaner, recordsPerSec: Math.round(result.produce!.recordsPerSec), cleanerRuns: runs, p99Ms: result.produce!.latency.p99Ms };
      results.push(row);
      console.log(JSON.stringify({ round, fsync: FSYNC, ioMax: IO_MAX ?? 'none', backoffMs: BACKOFF_MS, ...row }));
    } finally {
      broker.child.kill('SIGKILL');
      await new Promise((r) => broker.child.once('exit', r));
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
}
const mean = (on: boolean) => results.filter((r) => r.cleaner === on).reduce((a, r) => a + r.recordsPerSec, 0) / Math.max(1, results.filter((r) => r.cleaner === on).length);
console.log(JSON.stringify({ cleanerOn: Math.round(mean(true)), cleanerOff: Math.round(mean(false)), ratio: +(mean(true) / mean(false)).toFixed(3) }));
