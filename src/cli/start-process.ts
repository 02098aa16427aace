// Process-level duties of `highwater start` that Node leaves to the caller: the open-file limit
// and following the npm process that started it (issue 15, defects 1 and 3).
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
