// `highwater bench produce|consume|e2e`: a Kafka-protocol load generator for Highwater or any
// Kafka-compatible broker, in the shape of kafka-producer-perf-test (engine: bench/generator/).
import type { Command } from 'commander';
import { BenchOptionError, DEFAULT_OPTIONS, parseBenchOptions, type RawBenchFlags } from '../../bench/generator/options.ts';
import { runBench } from '../../bench/generator/run.ts';
import { formatSummary } from '../../bench/generator/report.ts';
import { action, bootstrapOf, BROKERS_ENV } from './common.ts';

export function registerBenchCommand(program: Command): void {
  const d = DEFAULT_OPTIONS;
  program.command('bench <mode>')
    .description('load-test a Kafka-compatible broker: produce, consume (catch-up read from the start) or e2e (produce→consume latency)')
    .option('-b, --bootstrap <host:port>', `broker to load (default: $${BROKERS_ENV}, else ${d.bootstrap})`)
    .option('-t, --topic <name>', 'topic (created when missing, except for consume)', d.topic)
    .option('-p, --partitions <n>', 'partitions of a created topic', String(d.partitions))
    .option('--no-create-topic', 'fail instead of creating a missing topic')
    .option('-n, --records <count>', 'stop after this many records (e.g. 100000, 1m); overrides the default duration')
    .option('-d, --duration <time>', 'measured time (e.g. 15s, 2m)', `${d.durationMs / 1000}s`)
    .option('--warmup <time>', 'time before measuring starts (produce, e2e)', `${d.warmupMs / 1000}s`)
    .option('-s, --record-size <bytes>', 'value size (e.g. 1024, 1k)', String(d.recordSize))
    .option('--payload-file <file>', 'take values from this file (cut into record-size slices) instead of random letters')
    .option('-r, --rate <records/s>', 'target records per second over all producers; -1 or max: unthrottled', '-1')
    .option('--producers <n>', 'producer threads, one connection each', String(d.producers))
    .option('--consumers <n>', 'consumer threads, one connection each (partitions are assigned, no group)', String(d.consumers))
    .option('-a, --acks <0|1|all>', 'produce acks', String(d.acks))
    .option('--batch-size <bytes>', 'bytes of records per partition batch (batch.size)', String(d.batchSize))
    .option('--linger <ms>', 'at a target rate, how long a batch fills before it is sent (linger.ms)', String(d.lingerMs))
    .option('-z, --compression <codec>', 'none, gzip, snappy, lz4 or zstd (as produce -z)', d.compression)
    .option('--max-in-flight <n>', 'unanswered produce requests per connection', String(d.maxInFlight))
    .option('--fetch-max-bytes <bytes>', 'fetch.max.bytes', String(d.fetchMaxBytes))
    .option('--partition-fetch-max-bytes <bytes>', 'max.partition.fetch.bytes', String(d.partitionFetchMaxBytes))
    .option('--progress-interval <time>', 'time between progress lines; 0: none', `${d.progressIntervalMs / 1000}s`)
    .option('--json <file>', 'write the result as JSON')
    .option('--html <file>', 'write a self-contained HTML report with charts')
    .option('--label <text>', 'a name for this run in the reports')
    .option('--connect-timeout <time>', 'give up connecting after this long', `${d.connectTimeoutMs / 1000}s`)
    .option('--request-timeout <time>', 'a request unanswered this long ends the run with an error', `${d.requestTimeoutMs / 1000}s`)
    .option('--keep-topic', 'keep the topic afterwards even when this run created it (default: an e2e run deletes a topic it created; produce keeps it for consume)')
    .option('--delete-topic', 'delete the topic afterwards, created by this run or not')
    .action(action(async (mode: string, flags: RawBenchFlags & { rate?: string }, cmd: Command) => {
      let options;
      flags.bootstrap = bootstrapOf(flags);
      try {
        // Without an explicit --duration, --records alone decides when to stop (bounded by an hour).
        if (flags.records !== undefined && cmd.getOptionValueSource('duration') === 'default') flags.duration = '3600s';
        options = parseBenchOptions(mode, flags);
      } catch (err) {
        if (err instanceof BenchOptionError) {
          console.error(`highwater bench: ${err.message}`);
          process.exit(2);
        }
        throw err;
      }
      const interactive = process.stderr.isTTY === true;
      const result = await runBench(options, {
        // On a terminal the progress line rewrites itself; in a log it is one line per interval.
        onProgress: (line) => process.stderr.write(interactive ? `\r\x1b[K${line}` : `${line}\n`),
        onWarning: (message) => process.stderr.write(`${interactive ? '\r\x1b[K' : ''}WARNING: ${message}\n`),
      });
      if (interactive) process.stderr.write('\r\x1b[K');
      console.log(formatSummary(result));
      if (options.jsonOut) console.log(`JSON: ${options.jsonOut}`);
      if (options.htmlOut) console.log(`HTML: ${options.htmlOut}`);
      const failed = (result.produce?.errors ?? 0) + (result.consume?.errors ?? 0) > 0;
      process.exit(failed ? 1 : 0);
    }));
}
