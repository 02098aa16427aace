// Issue 15 defect 8: logs on a terminal were JSON, each start opened with a 700-character config
// line, and --log-pretty wrote ANSI colour codes into files. Now: pretty (coloured) on a terminal,
// JSON otherwise, --log-pretty without colour when stdout is not a terminal, and a short start-up
// line (the full configuration only at debug).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { openSync, closeSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { tempDataDir } from '../helpers/broker.ts';

const bin = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../bin/highwater.js');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const ESC = '\u001b[';

function brokerArgs(): string[] {
  const dataDir = tempDataDir();
  dirs.push(dataDir);
  return ['start', '--port', '0', '--http-port', '-1', '--data-dir', dataDir, '--shards', '1'];
}

/** Polls `read()` until it matches, at most 30 s. */
async function waitFor(read: () => string, pattern: RegExp): Promise<string> {
  for (let i = 0; i < 300; i++) {
    const text = read();
    if (pattern.test(text)) return text;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`never matched ${pattern}:\n${read()}`);
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

test('stdout to a pipe: JSON lines, and a short start-up line without the config', async () => {
  const child = spawn(process.execPath, [bin, ...brokerArgs()], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  try {
    await waitFor(() => out, /"broker ready"/);
  } finally {
    await stop(child);
  }
  const lines = out.trim().split('\n');
  for (const line of lines) expect(() => JSON.parse(line), line).not.toThrow();
  const starting = lines.find((l) => l.includes('"starting highwater"'))!;
  expect(starting).toBeDefined();
  expect(starting.length).toBeLessThan(300);
  expect(starting).not.toContain('"config"');
  expect(out).not.toContain(ESC);
});

/** Runs a broker with stdout into a file until it is ready, stops it, and returns what it wrote. */
async function logIntoFile(extraArgs: string[]): Promise<string> {
  const dir = tempDataDir('highwater-log-');
  dirs.push(dir);
  const file = path.join(dir, 'broker.log');
  const fd = openSync(file, 'w');
  const child = spawn(process.execPath, [bin, ...brokerArgs(), ...extraArgs], { stdio: ['ignore', fd, 'pipe'] });
  closeSync(fd);
  try {
    await waitFor(() => readFileSync(file, 'utf8'), /broker ready/);
  } finally {
    await stop(child);
  }
  return readFileSync(file, 'utf8');
}

test('--log-pretty into a file: readable lines, no ANSI codes', async () => {
  const text = await logIntoFile(['--log-pretty']);
  expect(text).toMatch(/INFO.*starting highwater/);
  expect(text).not.toContain(ESC);
  expect(text).not.toMatch(/^\{/m);
});

test('--log-pretty: the shard threads log pretty lines too', async () => {
  // The shard thread's last line, written at a clean stop.
  const text = await logIntoFile(['--log-pretty', '--log-level', 'debug']);
  expect(text).toMatch(/DEBUG.*shard stopped/);
  expect(text).not.toMatch(/^\{/m);
  expect(text).not.toContain(ESC);
});

// script(1) gives the broker a pseudo-terminal for stdout, as an operator's shell would.
const hasScript = spawnSync('script', ['--version']).status === 0;
test.skipIf(!hasScript)('stdout a terminal: pretty and coloured by default', async () => {
  const command = [process.execPath, bin, ...brokerArgs()].map((a) => `'${a}'`).join(' ');
  const child = spawn('script', ['-qfec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
  let brokerPid: number | undefined;
  try {
    await waitFor(() => out, /broker ready/);
    const plain = out.split(ESC).map((piece) => piece.replace(/^\d+m/, '')).join('');
    brokerPid = Number(/INFO \((\d+)\)/.exec(plain)?.[1]);
  } finally {
    if (brokerPid) process.kill(brokerPid, 'SIGTERM');
    else child.kill('SIGKILL');
    await new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
  }
  expect(out).toContain(ESC);
  expect(out).toMatch(/starting highwater/);
  expect(out).not.toMatch(/^\{"level"/m);
});
