// The broker's logger: pino. Pretty lines on a terminal and JSON otherwise (the convention of
// log-shipping tools); colour only when stdout is a terminal, so `--log-pretty` into a file or a
// pipe stays free of ANSI escape codes.
import pino, { type Logger } from 'pino';
import pinoPretty from 'pino-pretty';

export interface LoggerOptions {
  level: string;
  /** Human-readable lines instead of JSON. */
  pretty: boolean;
  /** Whether stdout is a terminal: decides colour. Defaults to the process's own stdout. */
  tty?: boolean;
}

/** pino-pretty's options for our lines: colour only on a terminal, one line per entry, to stdout. */
function prettyOptions(options: LoggerOptions) {
  const tty = options.tty ?? Boolean(process.stdout.isTTY);
  return { colorize: tty, translateTime: 'SYS:HH:MM:ss.l', ignore: 'hostname', singleLine: true, destination: 1 };
}

export function createLogger(options: LoggerOptions): Logger {
  if (options.pretty) return pino({ level: options.level, transport: { target: 'pino-pretty', options: prettyOptions(options) } });
  return pino({ level: options.level });
}

/**
 * A worker thread's logger (shard): the same format as the main thread's. Pretty lines are
 * formatted in the thread itself, not by a transport thread of its own: these threads log rarely,
 * and a transport per worker would add a thread each.
 */
export function createThreadLogger(options: LoggerOptions, base: Record<string, unknown>): Logger {
  if (!options.pretty) return pino({ level: options.level, base });
  return pino({ level: options.level, base }, pinoPretty({ ...prettyOptions(options), sync: true }));
}
