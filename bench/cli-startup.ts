// How long a `topics list` takes from process start to exit, with the CLI as shipped, with its own
// client alone, and with the two Kafka clients the project has as devDependencies (KafkaJS,
// @platformatic/kafka): the measurement behind docs/notes/cli-client.md. Runs alternate between
// the variants so that machine load hits each alike; prints median and p90 wall time and peak RSS.
// With --compile-cache every variant runs with NODE_COMPILE_CACHE set (a fresh temp dir), so the
// libraries get the same code cache the CLI enables for itself.
//   node bench/cli-startup.ts --bootstrap 127.0.0.1:19410 [--runs 15] [--compile-cache]
import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';

const { values } = parseArgs({ options: { bootstrap: { type: 'string', default: '127.0.0.1:9092' }, runs: { type: 'string', default: '15' }, 'compile-cache': { type: 'boolean', default: false } } });
const cacheDir = values['compile-cache'] ? mkdtempSync(path.join(tmpdir(), 'highwater-startup-cache-')) : null;
const env = cacheDir ? { ...process.env, NODE_COMPILE_CACHE: cacheDir } : process.env;
const bootstrap = values.bootstrap!;
const runs = Math.max(1, Math.min(100, Number(values.runs)));
const root = path.resolve(import.meta.dirname, '..');

const variants: { name: string; args: string[] }[] = [
  { name: 'node --version (process start alone)', args: ['-e', ''] },
  { name: 'highwater topics list (the CLI)', args: [path.join(root, 'src/cli/main.ts'), 'topics', 'list', '-b', bootstrap] },
  { name: 'own client alone', args: [path.join(root, 'bench/cli-startup/ours.ts'), bootstrap] },
  { name: 'KafkaJS admin', args: [path.join(root, 'bench/cli-startup/kafkajs.ts'), bootstrap] },
  { name: '@platformatic/kafka Admin', args: [path.join(root, 'bench/cli-startup/platformatic.ts'), bootstrap] },
];

function once(args: string[]): Promise<{ ms: number; rssKb: number }> {
  return new Promise((resolve, reject) => {
    const began = performance.now();
    // GNU time reports the child's peak RSS; the wall time is ours, from spawn to exit.
    const child = spawn('/usr/bin/time', ['-f', '%M', process.execPath, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = performance.now() - began;
      if (code !== 0) return reject(new Error(`${args.join(' ')} exited ${code}: ${stderr.trim().split('\n').at(-2) ?? ''}`));
      resolve({ ms, rssKb: Number(stderr.trim().split('\n').at(-1)) });
    });
  });
}

const results = new Map<string, { ms: number[]; rss: number[] }>(variants.map((v) => [v.name, { ms: [], rss: [] }]));
for (const v of variants) await once(v.args); // warm the file cache and the TS strip cache alike
for (let i = 0; i < runs; i++) {
  for (const v of variants) {
    const r = await once(v.args);
    results.get(v.name)!.ms.push(r.ms);
    results.get(v.name)!.rss.push(r.rssKb);
  }
}
const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
if (cacheDir) rmSync(cacheDir, { recursive: true, force: true });
console.log(`${runs} runs each, alternating, against ${bootstrap}${cacheDir ? ', every variant with NODE_COMPILE_CACHE' : ''}`);
console.log('variant'.padEnd(40), 'median ms'.padStart(10), 'p90 ms'.padStart(8), 'peak RSS MiB'.padStart(13));
for (const [name, r] of results) {
  console.log(name.padEnd(40), pct(r.ms, 50).toFixed(0).padStart(10), pct(r.ms, 90).toFixed(0).padStart(8), (pct(r.rss, 50) / 1024).toFixed(0).padStart(13));
}
