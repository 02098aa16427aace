// Runs the `highwater` command line as a user would (node src/cli/main.ts ...), for the CLI tests:
// stdout and stderr as text (or stdout as bytes), the exit code, and a guard against a hang.
import { spawn } from 'node:child_process';
import path from 'node:path';

const MAIN = path.resolve(import.meta.dirname, '../../src/cli/main.ts');

export interface CliRun {
  code: number | null;
  stdout: string;
  stdoutBytes: Buffer;
  stderr: string;
}

export function runCli(args: string[], options: { env?: NodeJS.ProcessEnv; stdin?: string | Buffer; guardMs?: number } = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN, ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, HIGHWATER_DEBUG: '', ...options.env } });
    const out: Buffer[] = [];
    let stderr = '';
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => { stderr += b.toString(); });
    // Far above any timeout the commands use: a hang fails the test instead of stalling the suite.
    const guard = setTimeout(() => child.kill('SIGKILL'), options.guardMs ?? 40_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(guard);
      const stdoutBytes = Buffer.concat(out);
      resolve({ code, stdout: stdoutBytes.toString(), stdoutBytes, stderr });
    });
    child.stdin.end(options.stdin ?? '');
  });
}
