// CPU and memory of a broker process, read from /proc/<pid>/stat and /proc/<pid>/status (Linux):
// sampled while a workload runs, so the comparison states what each broker cost, not only its speed.
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let clockTicks: number | null = null;

/** USER_HZ: the unit of utime/stime in /proc/<pid>/stat (almost always 100). */
export function clockTicksPerSecond(): number {
  if (clockTicks === null) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** utime + stime of the whole process (every thread), in seconds. */
export function parseCpuSeconds(stat: string, ticksPerSecond = clockTicksPerSecond()): number {
  // The command name may hold spaces and parentheses: fields are counted after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // Fields 14 and 15 of proc(5) are utime and stime; after the name, field 3 is at index 0.
  const utime = Number(fields[14 - 3]);
  const stime = Number(fields[15 - 3]);
  return (utime + stime) / ticksPerSecond;
}

/** A "VmRSS:   123 kB"-style line of /proc/<pid>/status, in bytes (null when absent). */
export function parseStatusBytes(status: string, field: 'VmRSS' | 'VmHWM'): number | null {
  const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(status);
  return m ? Number(m[1]) * 1024 : null;
}

export interface ProcessSample {
  cpuSeconds: number;
  rssBytes: number;
}

export function sampleProcess(pid: number): ProcessSample | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { cpuSeconds: parseCpuSeconds(stat), rssBytes: parseStatusBytes(status, 'VmRSS') ?? 0 };
  } catch {
    return null;
  }
}

export interface ProcessUsage {
  /** Mean CPU over the window, in cores (1.0 = one core busy all the time). */
  cpuCores: number;
  rssMaxBytes: number;
  rssEndBytes: number;
}

/** Samples a process every intervalMs until stop(); stop() gives CPU over the window and peak RSS. */
export class ProcessWatcher {
  readonly #pid: number;
  readonly #first: ProcessSample | null;
  readonly #startedAt = performance.now();
  readonly #timer: NodeJS.Timeout;
  #rssMax = 0;
  #last: ProcessSample | null;

  constructor(pid: number, intervalMs = 250) {
    this.#pid = pid;
    this.#first = sampleProcess(pid);
    this.#last = this.#first;
    this.#rssMax = this.#first?.rssBytes ?? 0;
    this.#timer = setInterval(() => this.#sample(), intervalMs);
    this.#timer.unref();
  }

  #sample(): void {
    const s = sampleProcess(this.#pid);
    if (!s) return;
    this.#last = s;
    if (s.rssBytes > this.#rssMax) this.#rssMax = s.rssBytes;
  }

  stop(): ProcessUsage {
    clearInterval(this.#timer);
    this.#sample();
    const seconds = (performance.now() - this.#startedAt) / 1000;
    const cpu = this.#first && this.#last ? this.#last.cpuSeconds - this.#first.cpuSeconds : 0;
    return { cpuCores: seconds > 0 ? cpu / seconds : 0, rssMaxBytes: this.#rssMax, rssEndBytes: this.#last?.rssBytes ?? 0 };
  }
}

/** Busy and total jiffies of all CPUs together, from the first line of /proc/stat. */
export function parseMachineCpu(procStat: string): { busy: number; total: number } {
  const fields = procStat.split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
  // user nice system idle iowait irq softirq steal: idle and iowait are the idle ones.
  const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
  const idle = (fields[3] ?? 0) + (fields[4] ?? 0);
  return { busy: total - idle, total };
}

/** How many cores the whole machine kept busy between construction and stop(). */
export class MachineCpuWatcher {
  readonly #first = parseMachineCpu(readFileSync('/proc/stat', 'utf8'));
  readonly #cores: number;

  constructor(cores: number) {
    this.#cores = cores;
  }

  stop(): number {
    const last = parseMachineCpu(readFileSync('/proc/stat', 'utf8'));
    const total = last.total - this.#first.total;
    return total > 0 ? ((last.busy - this.#first.busy) / total) * this.#cores : 0;
  }
}
