// Runs one of the Python compat scripts (test/compat/python/) with the venv the compat install
// makes, bounded in time, and hands back its last stdout line parsed as JSON.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { expect } from 'vitest';

export const PYTHON = 'test/compat/python/.venv/bin/python';

export function run(command: string, args: string[], timeoutMs = 90_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr = (stderr + d).slice(-20_000); });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code, stdout, stderr }); });
  });
}

/** Runs test/compat/python/<script> and returns its JSON result; fails the test on a non-zero exit. */
export async function pythonResult<T>(script: string, args: string[]): Promise<T> {
  expect(existsSync(PYTHON), `${PYTHON} is missing: run npm run compat:install`).toBe(true);
  const r = await run(PYTHON, [`test/compat/python/${script}`, ...args]);
  expect(r.code, r.stderr).toBe(0);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as T;
}
