// The main thread's young generation grew to 128 MiB (two 64 MiB semi-spaces, V8's default on a
// 24 GiB machine) and was the largest single piece of the broker's peak RSS (docs/notes/memory.md).
// `highwater start` now re-executes node with --max-semi-space-size from --v8-max-semi-space-size
// (default 8), unless node was started with its own; 0 leaves V8's default. glibc's malloc
// tunables (MALLOC_ARENA_MAX, MALLOC_MMAP_THRESHOLD_) are set the same way when absent.
import { readFileSync, rmSync } from 'node:fs';
import { afterAll, expect, test } from 'vitest';
import { tempDataDir } from '../helpers/broker.ts';
import { startProcessBroker } from '../helpers/process-broker.ts';
import { missingNodeFlags } from '../../src/cli/start-process.ts';

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
