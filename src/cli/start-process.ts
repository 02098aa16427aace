// Process-level duties of `highwater start` that Node leaves to the caller: the open-file limit,
// following the npm process that started it (issue 15, defects 1 and 3), and the old-space floor
// that keeps the acceptor out of back-to-back major GCs (issue 18).
import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';

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

/**
 * Raises the soft open-file limit to the hard limit, as Kafka's packaging and most servers do at
 * start. Node has no setrlimit, so the process replaces itself (execve: same pid, same parent,
 * same stdio) with `sh -c 'ulimit -S -n <hard>; exec node ...'`, which lands back here with the
 * limit raised. Must run before any thread exists (execve refuses otherwise). Returns when no
 * raise is needed or possible; the caller logs `warning` if one is set.
 */
export function raiseOpenFileLimit(): { warning?: string } {
  const limits = openFileLimits();
  if (!limits || limits.soft >= limits.hard) return {};
  if (process.env[RAISED_MARK]) return { warning: `could not raise the open-file limit from ${limits.soft} to ${limits.hard}` };
  const execve = (process as unknown as { execve?: (file: string, args: string[], env: NodeJS.ProcessEnv) => never }).execve;
  if (typeof execve !== 'function') return { warning: `open-file limit ${limits.soft} (hard ${limits.hard}); this Node cannot raise it` };
  const target = Number.isFinite(limits.hard) ? String(limits.hard) : 'unlimited';
  const argv = [process.execPath, ...process.execArgv, ...process.argv.slice(1)];
  return execve('/bin/sh', ['sh', '-c', 'ulimit -S -n "$0"; exec "$@"', target, ...argv], { ...process.env, [RAISED_MARK]: '1' });
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

/** The old-generation size under which V8 does not start a major GC for allocation (MiB). */
export const INITIAL_OLD_SPACE_MIB = 64;

/**
 * The acceptor's live heap is small (~17 MiB at 10,000 rec/s e2e) and its garbage modest. V8 sizes
 * the next major GC's trigger from the live size and from how fast it collects compared with how
 * fast the thread allocates: a fast GC on a small heap gets a trigger only ~1.2x the live size, so
 * the main thread fell into a mark-compact every ~140 ms, each with 2-7 ms of pause plus up to
 * 19 ms of incremental marking steps, and every fetch and produce answer caught in one waited for
 * it (the e2e p99 tail, docs/notes/bench-e2e.md). A floor on the old generation's size keeps the
 * trigger at least this far up: the young generation's scavenges (sub-millisecond) collect the
 * garbage, and major GCs become rare: set here, before the broker starts, it took the main
 * thread from 34-63 mark-compacts to 2 in a 10 s e2e run (node's --trace-gc). A size given on
 * the command line (--initial-old-space-size or --initial-heap-size) is left alone. V8 flags are
 * process-wide: shard threads' heaps get the same floor, and they allocate little.
 */
export function keepOldSpaceFloor(execArgv: readonly string[] = process.execArgv): boolean {
  if (execArgv.some((a) => /^--initial[-_](old[-_]space|heap)[-_]size/.test(a))) return false;
  setFlagsFromString(`--initial-old-space-size=${INITIAL_OLD_SPACE_MIB}`);
  return true;
}
