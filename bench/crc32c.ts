// Compares CRC-32C implementations (MB/s per input size) to choose the one src/protocol/crc32c.ts uses.
// Run: node bench/crc32c.ts [--extra-modules /path/to/node_modules] [--ms-per-case 80]
// Candidates not installed in the project are loaded from --extra-modules if given, else skipped.
import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import path from 'node:path';
import { crc32c, crc32cPortable } from '../src/protocol/crc32c.ts';

const { values: args } = parseArgs({
  options: {
    'extra-modules': { type: 'string' },
    'ms-per-case': { type: 'string', default: '80' },
  },
});
const msPerCase = Number(args['ms-per-case']);

const requireFromProject = createRequire(import.meta.url);
const requireFromExtra = args['extra-modules']
  ? createRequire(path.join(path.resolve(args['extra-modules']), 'noop.js'))
  : null;

function load(name: string): Record<string, unknown> | null {
  for (const req of [requireFromProject, requireFromExtra]) {
    if (!req) continue;
    try {
      return req(name) as Record<string, unknown>;
    } catch {
      // try the next location
    }
  }
  return null;
}

type Candidate = { name: string; kind: string; fn: (b: Uint8Array) => number };
const candidates: Candidate[] = [];
const skipped: string[] = [];

function add(name: string, kind: string, make: (mod: Record<string, unknown>) => Candidate['fn']): void {
  const mod = load(name);
  if (mod) candidates.push({ name, kind, fn: make(mod) });
  else skipped.push(name);
}

candidates.push({ name: 'highwater crc32c (as exported)', kind: 'native >= 192 B, else JS', fn: (b) => crc32c(b) });
candidates.push({ name: 'highwater slice-by-8', kind: 'pure JS', fn: (b) => crc32cPortable(b) });
add('@node-rs/crc32', 'native (napi-rs, prebuilt)', (m) => m.crc32c as Candidate['fn']);
add('sse4_crc32', 'native (node-gyp, built at install)', (m) => m.calculate as Candidate['fn']);
add('@chainsafe/fast-crc32c', 'wrapper (@node-rs/crc32 or JS)', (m) => m.calculate as Candidate['fn']);
add('@platformatic/wasm-utils', 'WebAssembly', (m) => m.crc32c as Candidate['fn']);
add('@aws-crypto/crc32c', 'pure JS (byte table)', (m) => m.crc32c as Candidate['fn']);

const check = Buffer.from('123456789');
for (const c of candidates) {
  const got = c.fn(check) >>> 0;
  if (got !== 0xe3069283) throw new Error(`${c.name} gives ${got.toString(16)} for the check value`);
}

const sizes: [string, number][] = [
  ['61 B', 61],
  ['128 B', 128],
  ['256 B', 256],
  ['1 KiB', 1024],
  ['16 KiB', 16 * 1024],
  ['1 MiB', 1024 * 1024],
];

function measure(fn: Candidate['fn'], input: Uint8Array): number {
  // Warm up so the JIT has compiled the loop before timing.
  const warmUntil = performance.now() + msPerCase / 5;
  let sink = 0;
  while (performance.now() < warmUntil) sink ^= fn(input);
  let bytes = 0;
  const start = performance.now();
  let now = start;
  const until = start + msPerCase;
  // Check the clock only every few calls so tiny inputs are not dominated by performance.now().
  const callsPerCheck = Math.max(1, Math.floor(65536 / input.length));
  while (now < until) {
    for (let i = 0; i < callsPerCheck; i++) sink ^= fn(input);
    bytes += input.length * callsPerCheck;
    now = performance.now();
  }
  if (sink === 0.5) console.log('unreachable');
  return bytes / 1e6 / ((now - start) / 1000);
}

const rows: string[][] = [];
for (const c of candidates) {
  const row = [c.name, c.kind];
  for (const [, size] of sizes) row.push(measure(c.fn, randomBytes(size)).toFixed(0));
  rows.push(row);
}

console.log(`CRC-32C throughput, MB/s (${msPerCase} ms per case, node ${process.version}, ${process.arch})`);
console.log(`| candidate | kind | ${sizes.map(([label]) => label).join(' | ')} |`);
console.log(`|---|---|${sizes.map(() => '---:').join('|')}|`);
for (const row of rows) console.log(`| ${row.join(' | ')} |`);
if (skipped.length) console.log(`skipped (not installed): ${skipped.join(', ')}`);
