// The main thread's young generation grew to 128 MiB (two 64 MiB semi-spaces, V8's default on a
// 24 GiB machine) and was the largest single piece of the broker's peak RSS (docs/notes/memory.md).
// `highwater start` now re-executes node with --max-semi-space-size from --v8-max-semi-space-size
// (default 8), unless node was started with its own; 0 leaves V8's default. glibc's malloc
// tunables (MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_) are set the same way when absent.
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, expect, test } from 'vitest';
import { tempDataDir } from '../helpers/broker.ts';
import { startProcessBroker } from '../helpers/process-broker.ts';
import { missingNodeFlags, processSettingsFor } from '../../src/cli/start-process.ts';
import { loadConfig } from '../../src/config.ts';

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

function nodeArgsOf(pid: number): string[] {
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  return argv.slice(1, argv.findIndex((a) => a.endsWith('main.ts')));
}

function environOf(pid: number): Record<string, string> {
  return Object.fromEntries(readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter((e) => e.includes('=')).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
}

let lastEnviron: Record<string, string> = {};

async function brokerNodeArgs(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string[]> {
  const dataDir = tempDataDir();
  dirs.push(dataDir);
  const broker = await startProcessBroker(dataDir, ['--shards', '1', ...args], 0, { env });
  try {
    lastEnviron = environOf(broker.child.pid!);
    return nodeArgsOf(broker.child.pid!);
  } finally {
    await broker.kill('SIGKILL');
  }
}

test('a flag node already has, by argv or NODE_OPTIONS, in either spelling, is not added again', () => {
  expect(missingNodeFlags(['--max-semi-space-size=8'], [], '')).toEqual(['--max-semi-space-size=8']);
  expect(missingNodeFlags(['--max-semi-space-size=8'], ['--max-semi-space-size=32'], '')).toEqual([]);
  expect(missingNodeFlags(['--max-semi-space-size=8'], [], '--inspect --max_semi_space_size=4')).toEqual([]);
});

test.runIf(process.platform === 'linux')('the broker process runs with the bound by default, without it at 0, and keeps a bound node was given', async () => {
  expect(await brokerNodeArgs([])).toContain('--max-semi-space-size=8');
  // glibc's malloc tunables come with it; an operator's own value is kept.
  expect(lastEnviron.MALLOC_ARENA_MAX).toBe('2');
  expect(lastEnviron.MALLOC_MMAP_THRESHOLD_).toBe('262144');
  expect(await brokerNodeArgs(['--v8-max-semi-space-size', '16'])).toContain('--max-semi-space-size=16');
  expect((await brokerNodeArgs(['--v8-max-semi-space-size', '0'])).some((a) => a.startsWith('--max-semi-space-size'))).toBe(false);
  expect((await brokerNodeArgs([], { NODE_OPTIONS: '--max-semi-space-size=32', MALLOC_ARENA_MAX: '4' })).some((a) => a.startsWith('--max-semi-space-size'))).toBe(false);
  expect(lastEnviron.MALLOC_ARENA_MAX).toBe('4');
}, 60_000);

// The old generation: V8's own growing factor let the main thread's old space hold ~40 MiB of garbage
// over ~20 MiB live before a full GC (docs/notes/memory.md); --v8-heap-growing-percent bounds it, off
// by default (it cost the 1,000-partition produce throughput).
test('the old-generation growing factor is a node flag of the settings, absent at 0', () => {
  expect(processSettingsFor({ v8MaxSemiSpaceSize: 8, v8HeapGrowingPercent: 50 }).nodeFlags).toEqual(['--max-semi-space-size=8', '--heap-growing-percent=50']);
  expect(processSettingsFor({ v8MaxSemiSpaceSize: 0, v8HeapGrowingPercent: 0 }).nodeFlags).toEqual([]);
  expect(loadConfig({}, {}).v8HeapGrowingPercent).toBe(0);
  expect(() => loadConfig({ v8HeapGrowingPercent: '-1' }, {})).toThrow(/--v8-heap-growing-percent must be between/);
});

test.runIf(process.platform === 'linux')('the broker process runs with the old-generation growing factor it is given, and without one by default', async () => {
  expect(await brokerNodeArgs(['--v8-heap-growing-percent', '50'])).toContain('--heap-growing-percent=50');
  expect((await brokerNodeArgs([])).some((a) => a.startsWith('--heap-growing-percent'))).toBe(false);
}, 60_000);
