// Append throughput of the partition log under each --fsync policy, design (a) per-partition
// files with concurrent fdatasync against (b) one interleaved WAL per shard, and raw fdatasync/s.
// Usage: node bench/append.ts [--seconds 2] [--dir /path/on/the/data/disk] [--only name-substring]
// Every case is bounded by --seconds; files are removed after each case.
import { execFileSync } from 'node:child_process';
import { closeSync, fdatasync, fdatasyncSync, mkdtempSync, openSync, rmSync, writeSync, writevSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pino from 'pino';
import { buildRecordBatch } from '../src/protocol/records.ts';
import { logConfig } from '../src/segments/log-config.ts';
import { PartitionLog, syncAll } from '../src/wal/partition-log.ts';

const fdatasyncAsync = promisify(fdatasync);

function argument(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

const SECONDS = Number(argument('seconds', '2'));
const BASE_DIR = argument('dir', tmpdir());
const ONLY = argument('only', '');
const RECORD_BYTES = 1024;
const RECORDS_PER_BATCH = 16;
// Batches each partition receives per group commit: the "everything pending" of one drain.
const BATCHES_PER_COMMIT = 4;

/** An uncompressed RecordBatch v2 of RECORDS_PER_BATCH records of RECORD_BYTES (about 16 KiB). */
function benchBatch(): Buffer {
  const records = Array.from({ length: RECORDS_PER_BATCH }, (_, i) => ({ key: null, value: Buffer.alloc(RECORD_BYTES, i) }));
  return buildRecordBatch({ baseTimestamp: BigInt(Date.now()), records });
}

interface Row {
  case: string;
  partitions: number;
  'MB/s': string;
  'records/s': string;
  'commits/s': string;
  'fdatasync/s': string;
  'commit ms avg': string;
}

const rows: Row[] = [];
const TEMPLATE = benchBatch();

function report(name: string, partitions: number, bytes: number, commits: number, syncs: number, elapsedMs: number): void {
  const seconds = elapsedMs / 1000;
  const row: Row = {
    case: name,
    partitions,
    'MB/s': (bytes / 1e6 / seconds).toFixed(0),
    'records/s': Math.round(((bytes / TEMPLATE.length) * RECORDS_PER_BATCH) / seconds).toLocaleString('en-US'),
    'commits/s': Math.round(commits / seconds).toLocaleString('en-US'),
    'fdatasync/s': Math.round(syncs / seconds).toLocaleString('en-US'),
    'commit ms avg': (elapsedMs / commits).toFixed(2),
  };
  rows.push(row);
  console.error(JSON.stringify(row));
}

/** Fresh batch buffers for one commit: append rewrites baseOffset in place, so no sharing. */
function batchesFor(partitions: number): Buffer[][] {
  return Array.from({ length: partitions }, () => Array.from({ length: BATCHES_PER_COMMIT }, () => Buffer.from(TEMPLATE)));
}

const logger = pino({ level: 'warn' });

type Policy = 'never' | 'never, one append() per batch' | 'interval:5ms' | 'always-sequential' | 'always';

async function designA(policy: Policy, partitions: number): Promise<void> {
  const name = `a: per-partition files, fsync ${policy}`;
  if (ONLY && !name.includes(ONLY)) return;
  await withDirAsync(async (dir) => {
    const config = logConfig({ segmentBytes: 256 * 1024 * 1024 });
    const logs = Array.from({ length: partitions }, (_, p) => PartitionLog.open({ dir, topic: 'bench', partition: p, config, logger }));
    const batches = batchesFor(partitions);
    let bytes = 0;
    let commits = 0;
    let syncs = 0;
    let lastSync = performance.now();
    const start = performance.now();
    while (performance.now() - start < SECONDS * 1000) {
      const now = BigInt(Date.now());
      if (policy === 'never, one append() per batch') {
        for (let p = 0; p < partitions; p++) for (const batch of batches[p]) logs[p].append(batch, now);
      } else {
        for (let p = 0; p < partitions; p++) logs[p].appendMany(batches[p], now);
      }
      bytes += partitions * BATCHES_PER_COMMIT * TEMPLATE.length;
      if (policy === 'always') {
        syncs += logs.filter((l) => l.dirty).length;
        await syncAll(logs);
      } else if (policy === 'always-sequential') {
        for (const log of logs) log.sync();
        syncs += partitions;
      } else if (policy === 'interval:5ms' && performance.now() - lastSync >= 5) {
        syncs += logs.filter((l) => l.dirty).length;
        await syncAll(logs);
        lastSync = performance.now();
      }
      commits++;
    }
    const elapsed = performance.now() - start;
    for (const log of logs) log.close();
    report(name, partitions, bytes, commits, syncs, elapsed);
  });
}

/**
 * Design (b), raw prototype: every partition's batches of one commit go to one shard WAL file in
 * one writev and one fdatasync; with `segments`, they are also written (unsynced) to
 * per-partition files, the copy that (b) needs to serve fetches from segments.
 */
async function designB(partitions: number, segments: boolean): Promise<void> {
  const name = `b: one WAL per shard${segments ? ' + unsynced segment copy' : ''}, fsync always`;
  if (ONLY && !name.includes(ONLY)) return;
  await withDirAsync(async (dir) => {
    const wal = openSync(join(dir, 'shard.wal'), 'w');
    const segmentFds = segments ? Array.from({ length: partitions }, (_, p) => openSync(join(dir, `p${p}.log`), 'w')) : [];
    const segmentPositions = new Array<number>(partitions).fill(0);
    const batches = batchesFor(partitions);
    const flat = batches.flat();
    const commitBytes = flat.reduce((n, b) => n + b.length, 0);
    let walPosition = 0;
    let bytes = 0;
    let commits = 0;
    const offsets = new Array<bigint>(partitions).fill(0n);
    const start = performance.now();
    while (performance.now() - start < SECONDS * 1000) {
      for (let p = 0; p < partitions; p++) {
        for (const batch of batches[p]) {
          batch.writeBigInt64BE(offsets[p], 0);
          offsets[p] += BigInt(RECORDS_PER_BATCH);
        }
      }
      for (let first = 0; first < flat.length; first += 1024) {
        const group = flat.slice(first, first + 1024);
        walPosition += writevSync(wal, group, walPosition);
      }
      fdatasyncSync(wal);
      if (segments) {
        for (let p = 0; p < partitions; p++) segmentPositions[p] += writevSync(segmentFds[p], batches[p], segmentPositions[p]);
      }
      bytes += commitBytes;
      commits++;
    }
    const elapsed = performance.now() - start;
    closeSync(wal);
    for (const fd of segmentFds) closeSync(fd);
    report(name, partitions, bytes, commits, commits, elapsed);
  });
}

async function withDirAsync(use: (dir: string) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(BASE_DIR, 'highwater-bench-'));
  try {
    await use(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
    execFileSync('sync');
  }
}

/** fdatasync/s of one file when each sync follows an append of `writeBytes` (sync and async). */
async function rawFdatasync(writeBytes: number, label: string): Promise<void> {
  for (const mode of ['sync', 'threadpool'] as const) {
    const name = `raw: append ${label} + fdatasync (${mode})`;
    if (ONLY && !name.includes(ONLY)) continue;
    await withDirAsync(async (dir) => {
      const fd = openSync(join(dir, 'raw'), 'w');
      const buf = Buffer.alloc(writeBytes, 7);
      let position = 0;
      let syncs = 0;
      const start = performance.now();
      while (performance.now() - start < SECONDS * 1000) {
        position += writeSync(fd, buf, 0, buf.length, position);
        if (mode === 'sync') fdatasyncSync(fd);
        else await fdatasyncAsync(fd);
        syncs++;
      }
      const elapsed = performance.now() - start;
      closeSync(fd);
      const seconds = elapsed / 1000;
      rows.push({
        case: name,
        partitions: 1,
        'MB/s': ((syncs * writeBytes) / 1e6 / seconds).toFixed(0),
        'records/s': '-',
        'commits/s': '-',
        'fdatasync/s': Math.round(syncs / seconds).toLocaleString('en-US'),
        'commit ms avg': (elapsed / syncs).toFixed(2),
      });
      console.error(JSON.stringify(rows.at(-1)));
    });
  }
}

/** N files each appended 4 KiB then fdatasynced, all N at once on the threadpool: syncs/s in total. */
async function concurrentFdatasync(files: number): Promise<void> {
  const name = `raw: ${files} files, append 4 KiB + fdatasync concurrently`;
  if (ONLY && !name.includes(ONLY)) return;
  await withDirAsync(async (dir) => {
    const fds = Array.from({ length: files }, (_, i) => openSync(join(dir, `f${i}`), 'w'));
    const buf = Buffer.alloc(4096, 7);
    let position = 0;
    let rounds = 0;
    const start = performance.now();
    while (performance.now() - start < SECONDS * 1000) {
      for (const fd of fds) writeSync(fd, buf, 0, buf.length, position);
      position += buf.length;
      await Promise.all(fds.map((fd) => fdatasyncAsync(fd)));
      rounds++;
    }
    const elapsed = performance.now() - start;
    for (const fd of fds) closeSync(fd);
    const seconds = elapsed / 1000;
    rows.push({
      case: name,
      partitions: files,
      'MB/s': ((rounds * files * 4096) / 1e6 / seconds).toFixed(0),
      'records/s': '-',
      'commits/s': Math.round(rounds / seconds).toLocaleString('en-US'),
      'fdatasync/s': Math.round((rounds * files) / seconds).toLocaleString('en-US'),
      'commit ms avg': (elapsed / rounds).toFixed(2),
    });
    console.error(JSON.stringify(rows.at(-1)));
  });
}

console.error(`append bench: ${SECONDS}s per case, dir ${BASE_DIR}, UV_THREADPOOL_SIZE=${process.env.UV_THREADPOOL_SIZE ?? '4 (default)'}, batch ${TEMPLATE.length} B = ${RECORDS_PER_BATCH} x ${RECORD_BYTES} B records, ${BATCHES_PER_COMMIT} batches per partition per commit`);
await rawFdatasync(4096, '4 KiB');
await rawFdatasync(1024 * 1024, '1 MiB');
await concurrentFdatasync(8);
await concurrentFdatasync(64);
for (const policy of ['never', 'never, one append() per batch', 'interval:5ms', 'always'] as const) await designA(policy, 1);
for (const partitions of [8, 64]) {
  await designA('always', partitions);
  await designA('always-sequential', partitions);
  await designB(partitions, false);
  await designB(partitions, true);
}
console.table(rows);
