// Issue 15 defect 1: SIGTERM to `npm start` (or `npx highwater start`) left the broker running as
// an orphan, holding its port and data dir. Now the signal reaches the broker (the start script
// execs it), and a broker started by npm stops when npm goes away by any means (SIGKILL too).
// Each case checks what an operator needs afterwards: the process gone, the port free, and the
// data dir reopened cleanly (clean-shutdown markers written, no tail scan).
import { spawn } from 'node:child_process';
import net from 'node:net';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, test } from 'vitest';
import { tempDataDir } from '../helpers/broker.ts';
import { startProcessBroker } from '../helpers/process-broker.ts';

const root = path.join(path.dirname(fileURLToPath(import.meta.url)), '../..');
const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

interface Started {
  npm: ReturnType<typeof spawn>;
  brokerPid: number;
  port: number;
  lines: string[];
}

async function startThroughNpm(command: string[], dataDir: string): Promise<Started> {
  const npm = spawn(command[0]!, [...command.slice(1), '--port', '0', '--http-port', '-1', '--data-dir', dataDir, '--shards', '1'], {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: string[] = [];
  let buffered = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no 'broker ready' line:\n${lines.join('\n')}`)), 60_000);
    npm.stderr!.on('data', (d: Buffer) => lines.push(d.toString()));
    npm.stdout!.on('data', (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        lines.push(line);
        if (line.includes('"broker ready"')) {
          clearTimeout(timer);
          const ready = JSON.parse(line) as { pid: number; port: number };
          resolve({ npm, brokerPid: ready.pid, port: ready.port, lines });
        }
      }
    });
    npm.once('exit', (code) => reject(new Error(`npm exited with ${code} before the broker was ready:\n${lines.join('\n')}`)));
  });
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Polls until the broker process is gone; gives up (and kills it, so nothing leaks) after 30 s. */
async function waitGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 300; i++) {
    if (!alive(pid)) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  process.kill(pid, 'SIGKILL');
  return false;
}

async function portIsFree(port: number): Promise<boolean> {
  const server = net.createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

async function expectReleased(started: Started, dataDir: string): Promise<void> {
  expect(await waitGone(started.brokerPid)).toBe(true);
  expect(started.lines.some((l) => l.includes('"stopped cleanly"'))).toBe(true);
  expect(await portIsFree(started.port)).toBe(true);
  // The same port and data dir again: both free, and the stop was clean (no unclean-stop scan).
  const again = await startProcessBroker(dataDir, [], started.port);
  try {
    expect(again.lines.filter((l) => /unclean/.test(l))).toEqual([]);
  } finally {
    await again.kill('SIGKILL');
  }
}

const cases: [string, string[], NodeJS.Signals][] = [
  ['SIGTERM to npm start stops the broker', ['npm', 'start', '--'], 'SIGTERM'],
  ['SIGTERM to npx highwater start stops the broker', ['npx', '--no-install', 'highwater', 'start'], 'SIGTERM'],
  ['a broker started by npm stops when npm is killed with SIGKILL', ['npm', 'start', '--'], 'SIGKILL'],
];

for (const [name, command, signal] of cases) {
  test(name, async () => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const started = await startThroughNpm(command, dataDir);
    expect(started.brokerPid).not.toBe(started.npm.pid);
    started.npm.kill(signal);
    await expectReleased(started, dataDir);
  }, 120_000);
}
