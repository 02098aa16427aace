// What every client command of the CLI shares: the bootstrap (flag, HIGHWATER_BROKERS, default),
// connect and request timeouts, `--format json`, durations and times as people type them, and
// one place that turns any failure into one line on stderr and a non-zero exit.
import { Option, type Command } from 'commander';
import { ConnectionError, type ConnectOptions } from '../client/kafka-connection.ts';
import { CliError, KafkaCluster } from '../client/kafka-cluster.ts';

export { CliError };

/** The environment variable that stands in for -b: one or more comma-separated host:port. */
export const BROKERS_ENV = 'HIGHWATER_BROKERS';
export const DEFAULT_BOOTSTRAP = '127.0.0.1:9092';
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

export interface ClientFlags {
  bootstrap?: string;
  connectTimeout: string;
  requestTimeout: string;
  format?: string;
}

/** Adds -b, --connect-timeout and --request-timeout (and --format text|json when asked) to a client command. */
export function clientOptions(cmd: Command, options: { json?: boolean } = {}): Command {
  cmd.option('-b, --bootstrap <host:port,...>', `brokers to talk to (default: $${BROKERS_ENV}, else ${DEFAULT_BOOTSTRAP})`)
    .option('--connect-timeout <time>', 'give up connecting after this long (e.g. 500ms, 10s)', `${DEFAULT_CONNECT_TIMEOUT_MS / 1000}s`)
    .option('--request-timeout <time>', 'give up on an unanswered request after this long', `${DEFAULT_REQUEST_TIMEOUT_MS / 1000}s`);
  if (options.json) cmd.addOption(new Option('--format <format>', 'output: text (tables for people) or json (for scripts)').choices(['text', 'json']).default('text'));
  return cmd;
}

/** The bootstrap list: -b, else $HIGHWATER_BROKERS, else the local default. */
export function bootstrapOf(flags: { bootstrap?: string }, env: NodeJS.ProcessEnv = process.env): string {
  return flags.bootstrap ?? (env[BROKERS_ENV]?.trim() || DEFAULT_BOOTSTRAP);
}

export function connectOptionsOf(flags: ClientFlags, clientId: string): ConnectOptions {
  return {
    clientId,
    connectTimeoutMs: parseDuration(flags.connectTimeout, '--connect-timeout'),
    requestTimeoutMs: parseDuration(flags.requestTimeout, '--request-timeout'),
  };
}

export function connectCluster(flags: ClientFlags, clientId: string): Promise<KafkaCluster> {
  return KafkaCluster.connect(bootstrapOf(flags), connectOptionsOf(flags, clientId));
}

/** Runs `work` on a cluster connection and closes it, whatever happens. */
export async function withCluster<T>(flags: ClientFlags, clientId: string, work: (cluster: KafkaCluster) => Promise<T>): Promise<T> {
  const cluster = await connectCluster(flags, clientId);
  try {
    return await work(cluster);
  } finally {
    await cluster.close();
  }
}

const DURATION_UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 };

/**
 * "500ms", "10s", "2m", "1h30m", "1d", a bare number of milliseconds, or an ISO 8601 duration
 * ("PT1H", "P1DT2H", as kafka-consumer-groups' --by-duration takes). Returns milliseconds.
 */
export function parseDuration(text: string, what = 'duration'): number {
  const t = text.trim();
  if (/^\d+$/.test(t)) return Number(t);
  const iso = /^P(?:(\d+)D)?(?:T(?:(\d+)H)?(?:(\d+)M)?(?:(\d+(?:\.\d+)?)S)?)?$/i.exec(t);
  if (iso && t.length > 1 && !/T$/i.test(t)) {
    const [, d, h, m, s] = iso;
    return Number(d ?? 0) * 86_400_000 + Number(h ?? 0) * 3_600_000 + Number(m ?? 0) * 60_000 + Math.round(Number(s ?? 0) * 1000);
  }
  const parts = [...t.matchAll(/(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)/gi)];
  if (parts.length > 0 && parts.map((p) => p[0]).join('') === t.replace(/\s+/g, '')) {
    return Math.round(parts.reduce((sum, p) => sum + Number(p[1]) * DURATION_UNITS[p[2]!.toLowerCase()]!, 0));
  }
  throw new CliError(`${what} takes a duration such as 500ms, 10s, 5m, 1h or PT1H, not "${text}"`);
}

/**
 * A point in time: unix milliseconds, an ISO 8601 date-time ("2026-12-01T10:00:00", local time
 * when it has no zone, as `date` would read it), "now", or relative to now ("-1h", "+30m").
 */
export function parseTime(text: string, now = Date.now()): number {
  const t = text.trim();
  if (t === 'now') return now;
  if (/^\d+$/.test(t)) return Number(t);
  const rel = /^([+-])(.+)$/.exec(t);
  if (rel) {
    const ms = parseDuration(rel[2]!, 'a relative time');
    return rel[1] === '-' ? now - ms : now + ms;
  }
  if (/^\d{4}-\d{2}-\d{2}/.test(t)) {
    const ms = Date.parse(t);
    if (Number.isFinite(ms)) return ms;
  }
  throw new CliError(`"${text}" is not a time: give unix ms, an ISO date-time (2026-12-01T10:00:00) or a relative time (-1h)`);
}

export function parseInteger(text: string, what: string, min = Number.MIN_SAFE_INTEGER): number {
  if (!/^-?\d+$/.test(text.trim()) || Number(text) < min) throw new CliError(`${what} takes a whole number${min > Number.MIN_SAFE_INTEGER ? ` of at least ${min}` : ''}, not "${text}"`);
  return Number(text);
}

/** "name=value" pairs, as -c/--config and --set take them. */
export function parseKeyValues(pairs: string[], flag: string): { name: string; value: string }[] {
  return pairs.map((pair) => {
    const at = pair.indexOf('=');
    if (at <= 0) throw new CliError(`${flag} takes name=value, not "${pair}" (e.g. ${flag} retention.ms=86400000)`);
    return { name: pair.slice(0, at), value: pair.slice(at + 1) };
  });
}

export function collect(value: string, previous: string[] | undefined): string[] {
  return [...(previous ?? []), value];
}

/** JSON with bigints as numbers where exact, else as strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? (v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v.toString()) : v));
}

/** Columns padded to their widest cell, two spaces apart. */
export function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  return [header, ...rows].map((r) => r.map((c, i) => (c ?? '').padEnd(widths[i]!)).join('  ').trimEnd()).join('\n');
}

/** The one line a failure prints: our own errors as they are, system errors explained. */
export function describeError(err: unknown): string {
  if (err instanceof CliError || err instanceof ConnectionError) return err.message;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e === 'object' && typeof e.code === 'string' && typeof e.path === 'string') {
    if (e.code === 'ENOENT') return `${e.path}: no such file`;
    if (e.code === 'EACCES' || e.code === 'EPERM') return `${e.path}: permission denied`;
    if (e.code === 'EISDIR') return `${e.path}: is a directory, not a file`;
    return `${e.path}: ${e.message}`;
  }
  if (e instanceof Error) return e.message.split('\n')[0]!;
  return String(err);
}

/** Prints a failure as one line (the stack too when HIGHWATER_DEBUG is set) and sets the exit code. */
export function reportFailure(err: unknown, exitCode = 1): void {
  console.error(`highwater: ${describeError(err)}`);
  if (process.env.HIGHWATER_DEBUG && err instanceof Error && err.stack) console.error(err.stack);
  process.exitCode = exitCode;
}

/** Wraps a command's action: any failure becomes one line on stderr and exit code 1. */
export function action<A extends unknown[]>(run: (...args: A) => Promise<void>): (...args: A) => Promise<void> {
  return async (...args: A) => {
    try {
      await run(...args);
    } catch (err) {
      reportFailure(err);
    }
  };
}
