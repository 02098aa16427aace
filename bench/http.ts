// `npm run bench:http`: autocannon against the broker's HTTP side port (/metrics, /healthz), with
// a Highwater started here on a temp dir, under a steady produce load; a topic is filled first so
// /metrics has partitions to report. Bounded: a few seconds per path. Usage: node bench/http.ts [--duration 5] [--connections 10]
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import autocannon from 'autocannon';
import { REPO_ROOT, startHighwater } from './compare/brokers.ts';
import { runBench } from './generator/run.ts';
import { DEFAULT_OPTIONS } from './generator/options.ts';
import { ProcessWatcher } from './compare/proc-stats.ts';

const { values: flags } = parseArgs({
  options: {
    duration: { type: 'string', default: '5' },
    connections: { type: 'string', default: '10' },
    port: { type: 'string', default: '19480' },
    'http-port': { type: 'string', default: '19481' },
    paths: { type: 'string', default: '/metrics,/healthz' },
  },
});

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const resultsDir = path.join(REPO_ROOT, 'bench/results', `http-${stamp}`);
mkdirSync(resultsDir, { recursive: true });
const httpPort = Number(flags['http-port']);
const broker = await startHighwater({
  port: Number(flags.port), httpPort, dataDir: path.join(resultsDir, 'data'), shards: 2, fsync: 'never', logFile: path.join(resultsDir, 'highwater.log'),
});
console.log(`highwater pid ${broker.pid} ready in ${Math.round(broker.startupMs)} ms; HTTP on 127.0.0.1:${httpPort}`);
const summary: Record<string, unknown>[] = [];
try {
  await runBench({ ...DEFAULT_OPTIONS, mode: 'produce', bootstrap: `127.0.0.1:${broker.port}`, topic: 'http-bench', partitions: 8, records: 50_000, warmupMs: 0, progressIntervalMs: 0 });
  // The HTTP paths are measured under produce load: a steady 20,000 rec/s (1 KiB) into the same
  // topic for as long as autocannon runs, so the scrape competes with the Kafka traffic it reports on.
  const paths = flags.paths.split(',');
  const load = runBench({
    ...DEFAULT_OPTIONS, mode: 'produce', bootstrap: `127.0.0.1:${broker.port}`, topic: 'http-bench', partitions: 8,
    rate: 20_000, durationMs: (paths.length * Number(flags.duration) + 2) * 1000, warmupMs: 0, progressIntervalMs: 0,
  });
  for (const urlPath of paths) {
    const watcher = new ProcessWatcher(broker.pid);
    const r = await autocannon({ url: `http://127.0.0.1:${httpPort}${urlPath}`, connections: Number(flags.connections), duration: Number(flags.duration) });
    const usage = watcher.stop();
    const row = {
      path: urlPath, requestsPerSec: r.requests.average, latencyAvgMs: r.latency.average, latencyP50Ms: r.latency.p50, latencyP99Ms: r.latency.p99,
      latencyMaxMs: r.latency.max, bytesPerSec: r.throughput.average, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts,
      brokerCpuCores: Number(usage.cpuCores.toFixed(2)), brokerRssMiB: Math.round(usage.rssMaxBytes / 2 ** 20),
    };
    summary.push(row);
    console.log(`${urlPath}: ${Math.round(row.requestsPerSec)} req/s, latency avg ${row.latencyAvgMs} ms p99 ${row.latencyP99Ms} ms max ${row.latencyMaxMs} ms, ` +
      `${row.non2xx} non-2xx, ${row.errors} errors, broker ${row.brokerCpuCores} cores, RSS ${row.brokerRssMiB} MiB`);
  }
  const produced = await load;
  console.log(`meanwhile produced ${produced.produce?.records ?? 0} records (${Math.round(produced.produce?.recordsPerSec ?? 0)} rec/s, target 20,000)`);
} finally {
  await broker.stop();
}
writeFileSync(path.join(resultsDir, 'http.json'), `${JSON.stringify({ connections: Number(flags.connections), durationS: Number(flags.duration), results: summary }, null, 2)}\n`);
console.log(`results: ${path.relative(REPO_ROOT, resultsDir)}/http.json`);
