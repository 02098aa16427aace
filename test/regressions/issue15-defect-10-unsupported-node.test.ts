// Issue 15 defect 10: on Node 20, `npx highwater` printed ten lines of npm EBADENGINE warnings
// before anything else. The command now checks the version itself and prints one line on an
// unsupported Node; the package no longer declares an engines range for npm to warn about (the
// Node that runs npm is not the one that runs the broker: `npm install` brings Node 24 and the
// npm scripts and bins run on it).
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');
const bin = path.join(root, 'bin/highwater.js');

/** An old Node on this machine (Debian's), if there is one. */
function oldNode(): string | undefined {
  for (const candidate of ['/usr/bin/node', '/usr/local/bin/node']) {
    if (!existsSync(candidate)) continue;
    const version = spawnSync(candidate, ['-p', 'process.versions.node'], { encoding: 'utf8' }).stdout.trim();
    const [major, minor] = version.split('.').map(Number);
    if (major! < 22 || (major === 22 && minor! < 18)) return candidate;
  }
  return undefined;
}
const old = oldNode();

test.skipIf(!old)('an unsupported Node gets one clear line and exit 1', () => {
  const run = spawnSync(old!, [bin, '--help'], { encoding: 'utf8', timeout: 30_000 });
  expect(run.status).toBe(1);
  expect(run.stdout).toBe('');
  const lines = run.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/^highwater: Node\.js 2\d\.\d+\.\d+ is not supported; use Node 24, or 22\.18 or later/);
});

test('a supported Node prints nothing extra', () => {
  const run = spawnSync(process.execPath, [bin, '--help'], { encoding: 'utf8', timeout: 30_000 });
  expect(run.status).toBe(0);
  expect(run.stderr).toBe('');
  expect(run.stdout).toMatch(/^Usage: highwater/);
});

test.skipIf(!old)('npx highwater run by an old Node\'s npm prints no EBADENGINE warnings', () => {
  // npm on the old Node first in PATH, as on a machine whose system Node is 20.
  const npmDir = path.dirname(old!);
  const run = spawnSync('npx', ['--no-install', 'highwater', '--help'], {
    cwd: root, encoding: 'utf8', timeout: 60_000, env: { ...process.env, PATH: `${npmDir}:${process.env.PATH}` },
  });
  expect(run.stderr).not.toMatch(/EBADENGINE/);
  expect(run.stderr.split('\n').filter(Boolean).length).toBeLessThanOrEqual(1);
});
