// Issue 15 defect 9: unknown keys in the config file were ignored, so a typo silently left a
// setting at its default. Now the file is refused, naming the key and the nearest valid one.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.ts';

const dir = mkdtempSync(path.join(tmpdir(), 'highwater-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../bin/highwater.js');

function configFile(name: string, body: unknown): string {
  const file = path.join(dir, name);
  writeFileSync(file, JSON.stringify(body));
  return file;
}

test('a misspelt key is refused with the nearest valid key', () => {
  const file = configFile('typo.json', { prot: 9093, dataDir: '/tmp/x' });
  expect(() => loadConfig({}, {}, file)).toThrow(ConfigError);
  expect(() => loadConfig({}, {}, file)).toThrow(/unknown setting 'prot'; did you mean 'port'\?/);
  const flagStyle = configFile('flag-style.json', { 'log-levl': 'debug' });
  expect(() => loadConfig({}, {}, flagStyle)).toThrow(/unknown setting 'log-levl'; did you mean 'log-level'\?/);
});

test('valid keys, camelCase or as flags, are read', () => {
  const file = configFile('ok.json', { port: 9093, 'http-port': -1, groupInitialRebalanceDelayMs: 10 });
  const config = loadConfig({}, {}, file);
  expect(config.port).toBe(9093);
  expect(config.httpPort).toBe(-1);
  expect(config.groupInitialRebalanceDelayMs).toBe(10);
});

test('a file that is not an object is refused', () => {
  expect(() => loadConfig({}, {}, configFile('array.json', [1, 2]))).toThrow(/must hold a JSON object/);
});

test('highwater start with such a file prints one line and exits non-zero', () => {
  const file = configFile('cli.json', { shard: 2 });
  const run = spawnSync(process.execPath, [bin, 'start', '--config', file, '--port', '0', '--http-port', '-1'], { encoding: 'utf8', timeout: 30_000 });
  expect(run.status).toBe(2);
  expect(run.stdout).toBe('');
  const lines = run.stderr.trim().split('\n');
  expect(lines).toHaveLength(1);
  expect(lines[0]).toMatch(/unknown setting 'shard'; did you mean 'shards'\?/);
});
