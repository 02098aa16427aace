// The cleaner thread's choice (issue 12): one plain worker per shard (src/shard-worker/cleaner-pool.ts)
// against a piscina pool running the same cleanSegments job, alternating, same segments each time.
// piscina is not a dependency: pass its install path (npm install --prefix DIR piscina) to include it.
// Usage: node bench/cleaner-pool.ts [rounds] [segments] [piscina-dir]
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildRecordBatch } from '../src/protocol/records.ts';
import { segmentPaths } from '../src/segments/layout.ts';
import { CleanerPool } from '../src/shard-worker/cleaner-pool.ts';

const ROUNDS = Number(process.argv[2] ?? 3);
const SEGMENTS = Number(process.argv[3] ?? 4);
const PISCINA_DIR = process.argv[4];
const SEGMENT_BYTES = 16 * 1024 * 1024;
const value = Buffer.alloc(1024, 'v');

const dir = mkdtempSync(join(tmpdir(), 'bench-cleaner-pool-'));
const segments: { baseOffset: bigint; nextOffset: bigint; size: number }[] = [];
let offset = 0n;
for (let s = 0; s < SEGMENTS; s++) {
  const base = offset;
  const frames: Buffer[] = [];
  let bytes = 0;
  while (bytes < SEGMENT_BYTES) {
    // 10% live keys: each key written ten times over the log.
    const records = Array.from({ length: 16 }, (_, i) => ({ key: Buffer.from(`key-${(Number(offset) + i) % Math.ceil((SEGMENTS * SEGMENT_BYTES) / 10_500)}`), value }));
    const frame = buildRecordBatch({ baseOffset: offset, baseTimestamp: 1_000n, records });
    frames.push(frame);
    bytes += frame.length;
    offset += 16n;
  }
  writeFileSync(segmentPaths(dir, base).log, Buffer.concat(frames));
  segments.push({ baseOffset: base, nextOffset: offset, size: bytes });
}
const total = segments.reduce((n, s) => n + s.size, 0);
const job = {
  partitionDir: dir, segments, firstDirtyOffset: 0n, endOffset: offset, nowMs: Date.now(), deleteRetentionMs: 86_400_000,
  segmentBytes: 1 << 30, indexIntervalBytes: 4096, producerLastOffsets: new Map<bigint, bigint>(), maxMapKeys: 4_000_000,
};

const plain = new CleanerPool(Infinity);
type Runner = { name: string; run: () => Promise<unknown>; close: () => Promise<void> };
const runners: Runner[] = [{ name: 'plain worker', run: () => plain.run(job), close: () => plain.close() }];
if (PISCINA_DIR) {
  type PiscinaClass = new (o: { filename: string; maxThreads: number; minThreads: number }) => { run(t: unknown): Promise<unknown>; destroy(): Promise<void> };
  const loaded = (await import(pathToFileURL(join(PISCINA_DIR, 'node_modules/piscina/dist/main.js')).href)) as { default: PiscinaClass | { Piscina: PiscinaClass } };
  const Piscina = typeof loaded.default === 'function' ? loaded.default : loaded.default.Piscina;
  const workerFile = join(dir, 'piscina-cleaner.mjs');
  writeFileSync(workerFile, `import { cleanSegments } from ${JSON.stringify(pathToFileURL(join(import.meta.dirname, '../src/segments/cleaner.ts')).href)};\nexport default (job) => cleanSegments(job);\n`);
  const pool = new Piscina({ filename: workerFile, maxThreads: 1, minThreads: 1 });
  runners.push({ name: 'piscina', run: () => pool.run(job), close: () => pool.destroy() });
}
try {
  for (let round = 0; round < ROUNDS; round++) {
    for (const r of round % 2 === 0 ? runners : [...runners].reverse()) {
      const began = performance.now();
      await r.run();
      const seconds = (performance.now() - began) / 1000;
      console.log(JSON.stringify({ round, runner: r.name, mb: +(total / 1e6).toFixed(1), seconds: +seconds.toFixed(2), mbPerSecond: +(total / 1e6 / seconds).toFixed(1) }));
    }
  }
} finally {
  for (const r of runners) await r.close();
  rmSync(dir, { recursive: true, force: true });
}
