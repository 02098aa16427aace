// Runs the broker as a separate process (node src/cli/main.ts start), so tests can kill -9 it.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const CLI = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../src/cli/main.ts');

export interface ProcessBroker {
  child: ChildProcess;
  port: number;
  bootstrap: string;
  /** Every log line so far (JSON). */
  lines: string[];
  kill(signal?: NodeJS.Signals): Promise<number | null>;
}

export async function startProcessBroker(dataDir: string, args: string[] = [], port = 0, options: { wrapper?: string[]; env?: NodeJS.ProcessEnv } = {}): Promise<ProcessBroker> {
  // A wrapper (e.g. prlimit) must exec the broker, so the child's pid is the broker's.
  const command = [...(options.wrapper ?? []), process.execPath, CLI, 'start', '--port', String(port), '--data-dir', dataDir, '--http-port', '-1', '--shards', '2', ...args];
  const child = spawn(command[0]!, command.slice(1), {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...options.env },
  });
  const lines: string[] = [];
  let buffered = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`broker did not start:\n${lines.join('\n')}`)), 30_000);
    const onData = (chunk: Buffer) => {
      buffered += chunk.toString();
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl);
        buffered = buffered.slice(nl + 1);
        lines.push(line);
        if (line.includes('"broker ready"')) {
          clearTimeout(timer);
          resolve(JSON.parse(line).port as number);
        }
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', (d: Buffer) => lines.push(d.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`broker exited with ${code}:\n${lines.join('\n')}`));
    });
  });
  const boundPort = await ready;
  return {
    child, port: boundPort, bootstrap: `127.0.0.1:${boundPort}`, lines,
    async kill(signal: NodeJS.Signals = 'SIGKILL') {
      child.kill(signal);
      return exited;
    },
  };
}
