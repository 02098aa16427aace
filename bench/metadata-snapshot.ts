// Start-up time with a 100k-record metadata log, replayed whole (snapshots off) against loaded from
// a snapshot (the same data dir after one snapshot). The records are AlterClientQuotas changes
// (two quota keys of 500 client ids a request, written over and over), so the image stays small
// (1,000 quotas) while the log grows, as a long-lived cluster's does. Each start is a fresh broker process; the figures are its own 'metadata loaded'
// loadMs and 'broker ready' startupMs. Ports 19410-19411.
// Usage: node bench/metadata-snapshot.ts [records, default 100000] [starts per case, default 3]
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Admin } from '@platformatic/kafka';

const RECORDS = Number(process.argv[2] ?? 100_000);
const STARTS = Number(process.argv[3] ?? 3);
const PORT = 19410;
const CLI = join(import.meta.dirname, '../src/cli/main.ts');
const KEYS = ['producer_byte_rate', 'consumer_byte_rate'] as const;
/** Client ids a request: each appears once in it (Kafka refuses an entity twice in one request). */
const ENTITIES = 500;
const PER_REQUEST = ENTITIES * KEYS.length;
const NO_SNAPSHOTS = String(Number.MAX_SAFE_INTEGER);

interface Started { child: ChildProcess; loaded: Record<string, unknown>; ready: Record<string, unknown> }

const children = new Set<ChildProcess>();

async function start(dataDir: string, snapshotBytes: string): Promise<Started> {
  const child = spawn(process.execPath, [CLI, 'start', '--port', String(PORT), '--data-dir', dataDir, '--http-port', '-1', '--shards', '1',
    '--fsync', 'never', '--metadata-log-max-record-bytes-between-snapshots', snapshotBytes], { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  let loaded: Record<string, unknown> = {};
  let buffered = '';
  const ready = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('broker did not start in 120 s')), 120_000);
    child.stdout!.on('data', (d: Buffer) => {
      buffered += d.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        if (line.includes('"metadata loaded"')) loaded = JSON.parse(line) as Record<string, unknown>;
        if (line.includes('"broker ready"')) {
          clearTimeout(timer);
          resolve(JSON.parse(line) as Record<string, unknown>);
        }
      }
    });
    child.once('exit', (code) => reject(new Error(`broker exited with ${code}`)));
  });
  return { child, loaded, ready };
}

async function stop(s: Started): Promise<void> {
  const exited = new Promise((resolve) => s.child.once('exit', resolve));
  s.child.kill('SIGTERM');
  await exited;
}

async function fill(bootstrap: string): Promise<void> {
  const admin = new Admin({ clientId: 'metadata-snapshot-bench', bootstrapBrokers: [bootstrap] });
  try {
    for (let written = 0; written < RECORDS; written += PER_REQUEST) {
      const entries = Array.from({ length: ENTITIES }, (_, i) => ({
        entities: [{ entityType: 'client-id' as const, entityName: `bench-client-${i}` }],
        ops: KEYS.map((key, k) => ({ key, value: 1_000_000 + written + i + k, remove: false as const })),
      }));
      await admin.alterClientQuotas({ entries });
    }
  } finally {
    await admin.close();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function measure(label: string, dataDir: string, snapshotBytes: string): Promise<void> {
  const loadMs: number[] = [];
  const startupMs: number[] = [];
  let last: Started | undefined;
  for (let i = 0; i < STARTS; i++) {
    last = await start(dataDir, snapshotBytes);
    loadMs.push(Number(last.loaded.loadMs));
    startupMs.push(Number(last.ready.startupMs));
    await stop(last);
  }
  const l = last!.loaded;
  console.log(`${label}: snapshot records ${String(l.snapshotRecords)}, replayed records ${String(l.replayedRecords)} (${String(l.replayedBytes)} bytes); `
    + `metadata load ms ${loadMs.join(', ')} (median ${median(loadMs)}); broker startup ms ${startupMs.join(', ')} (median ${median(startupMs)})`);
}

const root = mkdtempSync(join(tmpdir(), 'highwater-metadata-snapshot-bench-'));
try {
  const full = join(root, 'full');
  const filling = await start(full, NO_SNAPSHOTS);
  await fill(`127.0.0.1:${PORT}`);
  await stop(filling);
  const snapshotted = join(root, 'snapshotted');
  cpSync(full, snapshotted, { recursive: true });
  // One start with a 1 MiB interval snapshots the replayed log (it is past the interval) and deletes it.
  await stop(await start(snapshotted, String(1024 * 1024)));
  console.log(`metadata log of ${RECORDS} records (AlterClientQuotas, ${PER_REQUEST} a request), ${STARTS} starts per case, 1 shard, node ${process.version}`);
  await measure('without snapshot', full, NO_SNAPSHOTS);
  await measure('with snapshot   ', snapshotted, String(1024 * 1024));
} finally {
  for (const child of children) child.kill('SIGKILL');
  rmSync(root, { recursive: true, force: true });
}
