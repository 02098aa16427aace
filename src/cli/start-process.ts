// Process-level duties of `highwater start` that Node leaves to the caller: the open-file limit,
// V8 heap flags that only take effect when node starts (docs/notes/memory.md), and following the
// npm process that started it (issue 15, defects 1 and 3).
import { readFileSync } from 'node:fs';

/** Set in the environment of the re-executed process, so the raise is tried once. */
const RAISED_MARK = 'HIGHWATER_NOFILE_RAISED';

/** The soft and hard RLIMIT_NOFILE of this process, from /proc (Linux); null elsewhere. */
export function openFileLimits(pid: number | 'self' = 'self'): { soft: number; hard: number } | null {
  try {
    const line = readFileSync(`/proc/${pid}/limits`, 'utf8').split('\n').find((l) => l.startsWith('Max open files'));
    const m = line && /^Max open files\s+(\S+)\s+(\S+)/.exec(line);
    if (!m) return null;
    const value = (s: string) => (s === 'unlimited' ? Infinity : Number(s));
    return { soft: value(m[1]!), hard: value(m[2]!) };
  } catch {
    return null;
  }
}

/** Node flags and environment the broker process wants from its start (prepareProcess). */
export interface ProcessSettings {
  /** e.g. --max-semi-space-size=8; skipped when node already has a flag of that name. */
  nodeFlags: string[];
  /** Environment variables read when the process starts (glibc's malloc tunables); one already set is kept. */
  env?: Record<string, string>;
}

/**
 * glibc malloc tunables for the broker (docs/notes/memory.md): at most 2 arenas instead of 8 per
 * core, and a fixed 256 KiB mmap threshold, so large buffers (fetch reads, big produce frames) are
 * unmapped when freed instead of raising the threshold and staying in a fragmented arena. Measured:
 * peak RSS 344 -> 309 and 418 -> 354 MiB in two alternating rounds, main-thread CPU per GiB equal.
 * Other C libraries ignore them. An operator's own value wins.
 */
export const MALLOC_TUNABLES: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2', MALLOC_MMAP_THRESHOLD_: '262144' };

/** The node flags the broker's settings ask for (a V8 heap bound can only be set when node starts). */
export function processSettingsFor(config: { v8MaxSemiSpaceSize: number; v8HeapGrowingPercent?: number }): ProcessSettings {
  const nodeFlags: string[] = [];
  if (config.v8MaxSemiSpaceSize > 0) nodeFlags.push(`--max-semi-space-size=${config.v8MaxSemiSpaceSize}`);
  if ((config.v8HeapGrowingPercent ?? 0) > 0) nodeFlags.push(`--heap-growing-percent=${config.v8HeapGrowingPercent}`);
  return { nodeFlags, env: { ...MALLOC_TUNABLES } };
}

/** The flags of `wanted` whose name node was not started with (argv or NODE_OPTIONS). */
export function missingNodeFlags(wanted: readonly string[], execArgv: readonly string[] = process.execArgv, nodeOptions = process.env.NODE_OPTIONS ?? ''): string[] {
  const given = [...execArgv, ...nodeOptions.split(/\s+/)].map((f) => f.split('=')[0]!.replace(/_/g, '-'));
  return wanted.filter((f) => !given.includes(f.split('=')[0]!.replace(/_/g, '-')));
}

/**
 * Makes this process what the broker wants before any thread exists: the soft open-file limit
 * raised to the hard limit, as Kafka's packaging and most servers do at start, and the node flags
 * and environment of `settings` (V8 reads its heap bounds, glibc its malloc tunables, only at start). Node has no setrlimit and no way to
 * add a V8 heap flag later, so the process replaces itself (execve: same pid, same parent, same
 * stdio) with node and the flags, through `sh -c 'ulimit -S -n <hard>; exec node ...'` when the
 * limit needs raising, which lands back here. Tried once. Must run before any thread exists
 * (execve refuses otherwise). Returns when nothing is needed or possible; the caller logs `warning`.
 */
export function prepareProcess(settings: ProcessSettings = { nodeFlags: [] }): { warning?: string } {
  const limits = openFileLimits();
  const raise = limits !== null && limits.soft < limits.hard;
  const flags = missingNodeFlags(settings.nodeFlags);
  const env: NodeJS.ProcessEnv = { ...process.env };
  let envMissing = false;
  for (const [k, v] of Object.entries(settings.env ?? {})) {
    if (env[k] !== undefined) continue;
    env[k] = v;
    envMissing = true;
  }
  if (!raise && flags.length === 0 && !envMissing) return {};
  if (process.env[RAISED_MARK]) return raise ? { warning: `could not raise the open-file limit from ${limits!.soft} to ${limits!.hard}` } : {};
  const execve = (process as unknown as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never }).execve;
  if (typeof execve !== 'function') {
    return { warning: `${raise ? `open-file limit ${limits!.soft} (hard ${limits!.hard})` : `node flags ${flags.join(' ')} and malloc settings not applied`}; this Node cannot re-execute itself` };
  }
  const argv = [process.execPath, ...process.execArgv, ...flags, ...process.argv.slice(1)];
  env[RAISED_MARK] = '1';
  if (!raise) return execve(process.execPath, argv, env);
  const target = Number.isFinite(limits!.hard) ? String(limits!.hard) : 'unlimited';
  return execve('/bin/sh', ['sh', '-c', 'ulimit -S -n "$0"; exec "$@"', target, ...argv], env);
}

/**
 * Under `npm start` or `npx highwater start`, npm is the parent and a SIGTERM to npm does not
 * reach the broker: npm exits and the broker would live on, holding its port and data dir. So a
 * broker started by npm (npm marks its children's environment) stops when its parent goes: the
 * orphan is re-parented, and process.ppid changes. Started any other way (systemd, a container,
 * nohup), the parent is not watched. The timer is unref'd: it never keeps the process alive.
 */
export function followNpmParent(onParentGone: () => void, env: NodeJS.ProcessEnv = process.env, intervalMs = 500): void {
  if (!env.npm_lifecycle_event && !env.npm_command) return;
  const parent = process.ppid;
  const timer = setInterval(() => {
    if (process.ppid === parent) return;
    clearInterval(timer);
    onParentGone();
  }, intervalMs);
  timer.unref();
}
