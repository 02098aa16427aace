// Issue 18: `highwater start` sets an old-space floor on V8 (keepOldSpaceFloor) so the acceptor's
// small heap does not fall into a mark-compact every ~140 ms (docs/notes/bench-e2e.md). V8 flags are
// process-wide, so each case runs in its own child process, never in the test runner's.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const module = fileURLToPath(new URL('../../../src/cli/start-process.ts', import.meta.url));

function runFloor(nodeFlags: string[]): string {
  const script = `const m = await import(${JSON.stringify(module)}); console.log(String(m.keepOldSpaceFloor()));`;
  return execFileSync(process.execPath, [...nodeFlags, '--input-type=module', '-e', script], { encoding: 'utf8' }).trim();
}

test('the floor is set when the command line gives none', () => {
  expect(runFloor([])).toBe('true');
});

test('an old-space or heap size given on the command line is left alone', () => {
  expect(runFloor(['--initial-old-space-size=128'])).toBe('false');
  expect(runFloor(['--initial-heap-size=256'])).toBe('false');
});

test('other V8 and Node flags do not count as a size given', () => {
  expect(runFloor(['--max-old-space-size=2048', '--max-semi-space-size=16'])).toBe('true');
});
