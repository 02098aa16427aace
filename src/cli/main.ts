// The `highwater` command line: `start` runs a broker; the client commands (topics, groups,
// cluster, produce, consume, bench) talk to a running broker over the Kafka protocol, Apache Kafka
// included. Any failure prints one line and exits non-zero (src/cli/common.ts).
import module from 'node:module';
import { Command, Option } from 'commander';
import type { BrokerConfig } from '../config.ts';
import { VERSION } from '../version.ts';

// Shard fdatasyncs (syncAll) and the main thread's fetch reads share libuv's thread pool, 4 threads
// by default; more lets a group commit's syncs run side by side without queueing fetches behind them
// (docs/notes/storage.md: 64 partitions, 350 -> 455 MB/s). Set before any pool work starts
// (before the dynamic imports below).
process.env.UV_THREADPOOL_SIZE ??= '16';

// Node's compile cache keeps the type-stripped, compiled form of every module imported from here
// on (the command modules below are imported dynamically for this): a client command then starts
// in a fraction of the time (docs/notes/cli-client.md). It lives in the OS temp dir; failing to
// enable it only costs speed.
module.enableCompileCache?.();
const { SETTINGS, describeSettings, loadConfig, formatFsyncPolicy, redactSecrets, ConfigError } = await import('../config.ts');

const program = new Command('highwater')
  .description('Highwater: a Kafka-wire-compatible message broker')
  .version(VERSION, '-V, --version', 'print the version')
  .addHelpText('after', '\nClient commands take -b host:port[,host:port...]; without it they use $HIGHWATER_BROKERS, else 127.0.0.1:9092.\nHIGHWATER_DEBUG=1 adds stack traces to errors.')
  // Commander's own errors (an unknown option, a missing argument) as one line like every other.
  .configureOutput({ outputError: (text, write) => write(`highwater: ${text.trim().replace(/^error: /, '')} (add --help for usage)\n`) });

const start = program.command('start').description('start a broker (defaults: port 9092, data in ./data)')
  .addHelpText('after', `\nEvery setting, with its environment variable and default:\n${describeSettings()}\n\nPrecedence: flags > environment > --config file > defaults.`)
  .option('--config <file>', 'JSON config file (keys: the setting names, camelCase or as flags)');
for (const s of SETTINGS) {
  const flag = s.kind === 'bool' ? `--${s.flag} [bool]` : `--${s.flag} <value>`;
  start.addOption(new Option(flag, s.description));
}

start.action(async (opts: Record<string, unknown>) => {
  let config: BrokerConfig;
  try {
    const flags: Record<string, unknown> = {};
    for (const s of SETTINGS) {
      const v = opts[s.key];
      if (v !== undefined) flags[s.key] = v === true ? 'true' : v;
    }
    config = loadConfig(flags, process.env, opts.config as string | undefined);
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(`highwater: ${err.message}`);
      process.exit(2);
    }
    if (err instanceof SyntaxError) {
      console.error(`highwater: --config ${String(opts.config)} is not valid JSON: ${err.message}`);
      process.exit(2);
    }
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
      console.error(`highwater: --config ${String(opts.config)}: no such file; give the path of a JSON config file`);
      process.exit(2);
    }
    if (typeof (err as NodeJS.ErrnoException).code === 'string' && opts.config !== undefined) {
      console.error(`highwater: --config ${String(opts.config)}: cannot be read (${(err as NodeJS.ErrnoException).code}); give the path of a readable JSON file`);
      process.exit(2);
    }
    throw err;
  }
  // Before the logger: its pretty transport is a thread, and this may re-execute the process.
  const { followNpmParent, openFileLimits, prepareProcess, processSettingsFor } = await import('./start-process.ts');
  const fdLimit = prepareProcess(processSettingsFor(config));
  const { createLogger } = await import('../logger.ts');
  const log = createLogger({ level: config.logLevel, pretty: config.logPretty });
  if (fdLimit.warning) log.warn({ openFiles: openFileLimits() }, fdLimit.warning);
  log.info({ version: VERSION, node: process.version, dataDir: config.dataDir, openFileLimit: openFileLimits()?.soft }, 'starting highwater');
  log.debug({ config: { ...redactSecrets(config), fsync: formatFsyncPolicy(config.fsync) } }, 'configuration');
  const { startBroker } = await import('../acceptor/start.ts');
  let broker: Awaited<ReturnType<typeof startBroker>>;
  try {
    broker = await startBroker(config, log);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE') {
      console.error(`highwater: port ${(err as { port?: number }).port ?? config.port} is already in use (another broker?); stop it or pick another with --port / --http-port`);
      process.exit(1);
    }
    if (code === 'EACCES') {
      console.error(`highwater: no permission to listen on port ${(err as { port?: number }).port ?? config.port}; ports below 1024 need privileges, pick another with --port`);
      process.exit(1);
    }
    throw err;
  }
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) {
      log.warn({ signal }, 'second signal: exiting at once');
      process.exit(1);
    }
    stopping = true;
    log.info({ signal }, 'shutting down');
    const began = performance.now();
    // Bounded: in-flight requests get 5 s to finish, the whole stop 20 s, or the process exits 1.
    setTimeout(() => {
      log.error('shutdown did not finish within 20 s; exiting');
      process.exit(1);
    }, 20_000).unref();
    broker.stop({ drainMs: 5000 }).then(() => {
      log.info({ ms: Math.round(performance.now() - began) }, 'stopped cleanly');
      log.flush?.();
      process.exit(0);
    }, (err) => {
      log.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  // Certificates rotate: SIGHUP reads the TLS key material again for every new connection.
  process.on('SIGHUP', () => {
    broker.reloadTls().catch((err: Error) => log.error({ err: err.message }, 'TLS reload failed; the previous key material stays in use'));
  });
  process.on('SIGTERM', () => shutdown('SIGTERM'));
  process.on('SIGINT', () => shutdown('SIGINT'));
  followNpmParent(() => shutdown('parent process exited'));
});

// Only the command being run is loaded (all of them for help): a client command does not pay for
// loading the broker, nor `topics` for the bench's worker code.
const COMMANDS: Record<string, () => Promise<(program: Command) => void>> = {
  topics: async () => (await import('./topics.ts')).registerTopicsCommand,
  bench: async () => (await import('./bench.ts')).registerBenchCommand,
  produce: async () => (await import('./produce.ts')).registerProduceCommand,
  consume: async () => (await import('./consume.ts')).registerConsumeCommand,
  groups: async () => (await import('./groups.ts')).registerGroupsCommand,
  cluster: async () => (await import('./cluster.ts')).registerClusterCommand,
};
const ALIASES: Record<string, string> = { topic: 'topics', group: 'groups' };
const named = process.argv.slice(2).find((a) => !a.startsWith('-'));
const wanted = named === undefined ? undefined : COMMANDS[named] ? named : ALIASES[named];
for (const [name, load] of Object.entries(COMMANDS)) {
  if (named === 'start') break;
  if (wanted === undefined || wanted === name) (await load())(program);
}

const { reportFailure } = await import('./common.ts');
try {
  await program.parseAsync(process.argv);
} catch (err) {
  reportFailure(err);
}
