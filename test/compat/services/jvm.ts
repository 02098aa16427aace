// The JVMs of the services suite (a Connect worker, a Streams application): started in their own
// process group with a small heap and their output in a log file, killed with SIGKILL (the
// "kill -9" of the scenarios) or stopped with SIGTERM, and never left running when the runner exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const servicesDir = dirname(fileURLToPath(import.meta.url));
export const repoRoot = resolve(servicesDir, '../../..');
/** The two Maven projects: Connect (connect-runtime and connect-file) and the Streams app. */
export type Module = 'connect' | 'streams';
/** Written by `mvn package` (scripts/install-compat-clients.sh); its absence means "not installed". */
export const classpathFile = (module: Module) => join(servicesDir, module, 'target/classpath.txt');

const running = new Set<Jvm>();
process.on('exit', () => killAll());

export function killAll(): void {
  for (const jvm of running) jvm.signal('SIGKILL');
}

/**
 * Set when a scenario hits its hard timeout: every JVM is killed, and the scenario's pending waits
 * and JVM starts throw at once, so it settles before the next scenario begins.
 */
let abortReason: string | undefined;

export function abortScenario(reason: string): void {
  abortReason = reason;
  killAll();
}

export function clearAbort(): void {
  abortReason = undefined;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Thrown from an `until` check when waiting longer cannot help (the JVM waited on has exited). */
export class Fatal extends Error {}

/** Polls `check` until it returns a value other than undefined; throws with `what` at the bound. */
export async function until<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>, everyMs = 250): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    if (abortReason) throw new Error(`${abortReason} while waiting for ${what}`);
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      if (error instanceof Fatal) throw error;
      lastError = error;
    }
    await sleep(everyMs);
  }
  const why = lastError instanceof Error ? ` (last error: ${lastError.message})` : '';
  throw new Error(`timed out after ${Math.round(timeoutMs / 1000)} s waiting for ${what}${why}`);
}

export interface JvmOptions {
  name: string;
  module: Module;
  mainClass: string;
  args: string[];
  logFile: string;
  heap: string;
  systemProperties?: Record<string, string>;
}

export class Jvm {
  private child: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  readonly options: JvmOptions;

  constructor(options: JvmOptions) {
    this.options = options;
  }

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  start(): void {
    if (abortReason) throw new Error(abortReason);
    if (this.alive) throw new Error(`${this.options.name} is already running`);
    const { module } = this.options;
    const classpath = [join(servicesDir, module, 'target/classes'), readFileSync(classpathFile(module), 'utf8').trim()].join(':');
    const properties = Object.entries(this.options.systemProperties ?? {}).map(([k, v]) => `-D${k}=${v}`);
    // The log is appended to, so a restart's output follows the killed run's.
    const log = openSync(this.options.logFile, 'a');
    const child = spawn(
      'java',
      [`-Xmx${this.options.heap}`, '-XX:+UseSerialGC', '-XX:TieredStopAtLevel=1', ...properties, '-cp', classpath, this.options.mainClass, ...this.options.args],
      // Own process group: a kill reaches whatever the JVM started, and no terminal signal reaches it.
      { cwd: repoRoot, stdio: ['ignore', log, log], detached: true },
    );
    closeSync(log);
    this.child = child;
    this.exited = new Promise((r) => child.once('exit', () => r()));
    running.add(this);
    void this.exited.then(() => running.delete(this));
  }

  signal(signal: NodeJS.Signals): void {
    if (!this.alive || this.child?.pid === undefined) return;
    try {
      process.kill(-this.child.pid, signal);
    } catch {
      this.child.kill(signal);
    }
  }

  /** kill -9: no shutdown hook runs, nothing is flushed or committed on the way out. */
  async kill(): Promise<void> {
    this.signal('SIGKILL');
    await this.exited;
  }

  /** SIGTERM (the JVM's shutdown hooks run: Connect and Streams close cleanly), SIGKILL at the bound. */
  async stop(timeoutMs = 30_000): Promise<void> {
    if (!this.alive) return;
    this.signal('SIGTERM');
    const timer = setTimeout(() => this.signal('SIGKILL'), timeoutMs);
    await this.exited;
    clearTimeout(timer);
  }

  log(): string {
    return existsSync(this.options.logFile) ? readFileSync(this.options.logFile, 'utf8') : '';
  }

  /** The first ERROR line of the log and the first cause under it: a FAIL's detail. */
  problems(): string {
    const lines = this.log().split('\n');
    const first = lines.findIndex((line) => /\bERROR\b/.test(line));
    if (first < 0) return 'no ERROR in its log';
    const cause = lines.slice(first + 1).find((line) => line.startsWith('Caused by:'));
    return [lines[first], cause].filter(Boolean).map((line) => line!.replace(/^\d+ \[[^\]]*\] /, '').slice(0, 300)).join(' / ');
  }

  /** For `until` checks: stop waiting at once when the JVM is gone. */
  assertAlive(): void {
    if (!this.alive) throw new Fatal(`${this.options.name} exited: ${this.problems()}`);
  }
}
