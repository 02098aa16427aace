// Where a process's memory and CPU are, read from /proc (Linux) while a workload runs: RSS split into
// anonymous, file-backed and shared pages, the anonymous mappings grouped by what they are, and the
// CPU seconds of every thread grouped by role (main, shard workers, libuv pool, V8's GC helpers).
import { readFileSync, readdirSync } from 'node:fs';
import { clockTicksPerSecond } from '../compare/proc-stats.ts';

export interface StatusMemory {
  rss: number;
  hwm: number;
  anon: number;
  file: number;
  shmem: number;
}

/** VmRSS, VmHWM, RssAnon, RssFile, RssShmem of /proc/<pid>/status, in bytes. */
export function readStatusMemory(pid: number): StatusMemory | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (name: string) => {
      const m = new RegExp(`^${name}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
      return m ? Number(m[1]) * 1024 : 0;
    };
    return { rss: field('VmRSS'), hwm: field('VmHWM'), anon: field('RssAnon'), file: field('RssFile'), shmem: field('RssShmem') };
  } catch {
    return null;
  }
}

export interface Mapping {
  start: string;
  sizeBytes: number;
  rssBytes: number;
  name: string;
}

/** Every mapping of /proc/<pid>/smaps with its size and resident bytes. */
export function readMappings(pid: number): Mapping[] {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/smaps`, 'utf8');
  } catch {
    return [];
  }
  const out: Mapping[] = [];
  let current: Mapping | null = null;
  for (const line of text.split('\n')) {
    const head = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s*(.*)$/.exec(line);
    if (head) {
      current = { start: head[1]!, sizeBytes: Number(BigInt(`0x${head[2]}`) - BigInt(`0x${head[1]}`)), rssBytes: 0, name: head[3] ?? '' };
      out.push(current);
      continue;
    }
    const rss = /^Rss:\s+(\d+) kB/.exec(line);
    if (rss && current) current.rssBytes = Number(rss[1]) * 1024;
  }
  return out;
}

/**
 * Resident bytes by kind of mapping: file-backed (code and data of node and its libraries),
 * [heap] (the main arena of malloc), [stack], shared (SharedArrayBuffers are memfd/shmem or anon
 * shared), and anonymous mappings by size class: malloc's per-thread arenas are 64 MiB reservations,
 * V8's heap pages are 256 KiB multiples.
 */
export function classifyMappings(maps: Mapping[]): Record<string, number> {
  const out: Record<string, number> = {};
  const add = (k: string, n: number) => { out[k] = (out[k] ?? 0) + n; };
  for (const m of maps) {
    if (m.rssBytes === 0) continue;
    if (m.name.startsWith('/')) add(m.name.includes('node') ? 'file: node binary' : 'file: other', m.rssBytes);
    else if (m.name === '[heap]') add('[heap] (main malloc arena)', m.rssBytes);
    else if (m.name.startsWith('[stack')) add('[stack]', m.rssBytes);
    else if (m.name.startsWith('[')) add(m.name, m.rssBytes);
    else if (m.name !== '') add(`named: ${m.name}`, m.rssBytes);
    else if (m.sizeBytes >= 60 * 2 ** 20 && m.sizeBytes <= 64 * 2 ** 20) add('anon 60-64 MiB (malloc thread arenas)', m.rssBytes);
    else if (m.sizeBytes >= 8 * 2 ** 20) add('anon >= 8 MiB (rings, big buffers, V8 reservations)', m.rssBytes);
    else add('anon < 8 MiB (V8 pages, small buffers)', m.rssBytes);
  }
  return out;
}

export interface ThreadCpu {
  tid: number;
  comm: string;
  cpuSeconds: number;
}

/** utime + stime of every thread of the process. */
export function readThreads(pid: number): ThreadCpu[] {
  const ticks = clockTicksPerSecond();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: ThreadCpu[] = [];
  for (const t of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${t}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.push({ tid: Number(t), comm, cpuSeconds: (Number(fields[11]) + Number(fields[12])) / ticks });
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return out;
}

/**
 * A thread's role from its name: Node names the main thread after the process, worker threads
 * after their `name` option (highwater-shard-N, highwater-scrubber) or "WorkerThread", libuv's pool
 * "libuv-worker", V8's platform threads (concurrent marking, parallel scavenge, compiler)
 * "V8Worker" or "DelayedTaskSch".
 */
export function threadRole(pid: number, t: ThreadCpu): string {
  if (t.tid === pid) return 'main';
  if (/^libuv-worker/.test(t.comm)) return 'libuv pool';
  if (/^V8Worker|^DelayedTask|^node$/.test(t.comm)) return 'V8 platform (GC, compiler)';
  return t.comm;
}

/** CPU seconds per role between two readings (threads that appeared meanwhile count from 0). */
export function cpuByRole(pid: number, before: ThreadCpu[], after: ThreadCpu[]): Record<string, number> {
  const base = new Map(before.map((t) => [t.tid, t.cpuSeconds]));
  const out: Record<string, number> = {};
  for (const t of after) {
    const role = threadRole(pid, t);
    out[role] = (out[role] ?? 0) + t.cpuSeconds - (base.get(t.tid) ?? 0);
  }
  return out;
}
