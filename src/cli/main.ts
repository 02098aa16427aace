// The `highwater` command line: `start` runs a broker; `topics` administers topics on a running
// broker over the Kafka protocol (it works against Apache Kafka too).
import { Command, Option } from 'commander';
import { SETTINGS, describeSettings, loadConfig, formatFsyncPolicy, redactSecrets, ConfigError, type BrokerConfig } from '../config.ts';
import { createLogger } from '../logger.ts';
import { VERSION } from '../version.ts';
import { startBroker } from '../acceptor/start.ts';
import { registerTopicsCommand } from './topics.ts';
import { registerBenchCommand } from './bench.ts';
import { registerProduceCommand } from './produce.ts';
import { registerConsumeCommand } from './consume.ts';
import { registerGroupsCommand } from './groups.ts';

// Shard fdatasyncs (syncAll) and the main thread's fetch reads share libuv's thread pool, 4 threads
// by default; more lets a group commit's syncs run side by side without queueing fetches behind them
// (docs/notes/storage.md: 64 partitions, 350 -> 455 MB/s). Set before any pool work starts.
process.env.UV_THREADPOOL_SIZE ??= '16';

const program = new Command('highwater')
  .description('Highwater: a Kafka-wire-compatible message broker')
  .showHelpAfterError();

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
    if (err instanceof ConfigError || err instanceof SyntaxError) {
      console.error(`highwater: ${err.message}`);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger({ level: config.logLevel, pretty: config.logPretty });
  log.info({ version: VERSION, node: process.version, config: { ...redactSecrets(config), fsync: formatFsyncPolicy(config.fsync) } }, 'starting highwater');
  const broker = await startBroker(config, log);
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
});

registerTopicsCommand(program);
registerBenchCommand(program);
registerProduceCommand(program);
registerConsumeCommand(program);
registerGroupsCommand(program);

await program.parseAsync(process.argv);
