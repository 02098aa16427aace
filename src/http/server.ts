// The broker's HTTP side port: /metrics (Prometheus text), /healthz, /readyz, and the live dashboard
// (/, its assets, /api/state and the /api/events SSE stream). Served from the acceptor's main
// thread with node:http; every handler is a short read of in-memory state, never a blocking call.
import http from 'node:http';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import type { DamagedBatchView, HttpBrokerView } from './broker-view.ts';
import { BrokerSampler, groupLag, partitionRows, shardRows, type ThroughputSample } from './broker-state.ts';
import { groupViewOf, type GroupView } from './group-view.ts';
import { registerScrapeTimeMetrics } from './scrape-metrics.ts';

export interface HttpSurfaceOptions {
  port: number;
  host?: string;
  /** Sampling interval of the dashboard's rates and the shard utilisation gauge. */
  sampleIntervalMs?: number;
  /** Overrides the broker's own group coordinator (tests). */
  groups?: () => GroupView;
  /** The data dir, for the disk-free gauges. */
  dataDir?: string;
}

export interface HttpSurface {
  readonly port: number;
  readonly sampler: BrokerSampler;
  close(): Promise<void>;
}

/** The dashboard lists at most this many partitions per update; the count of the rest is given. */
const DASHBOARD_PARTITION_ROWS = 500;

const here = path.dirname(fileURLToPath(import.meta.url));
const requireFromHere = createRequire(import.meta.url);

const ASSETS: Record<string, { file: () => string; type: string }> = {
  '/': { file: () => path.join(here, 'dashboard', 'index.html'), type: 'text/html; charset=utf-8' },
  '/assets/dashboard.js': { file: () => path.join(here, 'dashboard', 'dashboard.js'), type: 'text/javascript; charset=utf-8' },
  '/assets/dashboard.css': { file: () => path.join(here, 'dashboard', 'dashboard.css'), type: 'text/css; charset=utf-8' },
  '/assets/uPlot.iife.min.js': { file: () => requireFromHere.resolve('uplot/dist/uPlot.iife.min.js'), type: 'text/javascript; charset=utf-8' },
  '/assets/uPlot.min.css': { file: () => requireFromHere.resolve('uplot/dist/uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

/** JSON with bigints as decimal strings (offsets exceed 2^53 in principle). */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
}

/** Why the broker does not serve yet, or null when it does. */
export function readinessReason(broker: HttpBrokerView, shardsRunning: boolean[]): string | null {
  if (!broker.ready) return broker.notReadyReason ?? 'starting';
  const down = shardsRunning.flatMap((running, shard) => (running ? [] : [shard]));
  return down.length > 0 ? `shard thread${down.length > 1 ? 's' : ''} ${down.join(', ')} restarting` : null;
}

export interface DashboardState {
  time: number;
  ready: boolean;
  /** Why not ready (null when ready). */
  readiness: string | null;
  /** Damaged batches the scrubber found in closed segments. */
  damagedBatches: DamagedBatchView[];
  connections: number;
  partitions: ReturnType<typeof partitionRows>;
  partitionsOmitted: number;
  shards: (ReturnType<typeof shardRows>[number] & { utilization: number })[];
  groupsAvailable: boolean;
  groups: { groupId: string; state: string; protocolType: string; groupType: string; members: { memberId: string; clientId: string; clientHost: string }[]; lag: Awaited<ReturnType<typeof groupLag>> }[];
}

export async function dashboardState(broker: HttpBrokerView, sampler: BrokerSampler, groups: GroupView): Promise<DashboardState> {
  const partitions = partitionRows(broker).filter((p) => !p.topic.startsWith('__'));
  partitions.sort((a, b) => (a.topic === b.topic ? a.partition - b.partition : a.topic < b.topic ? -1 : 1));
  const utilization = sampler.latestShardUtilization;
  let groupRows: DashboardState['groups'] = [];
  if (groups.available) {
    try {
      groupRows = await Promise.all((await groups.groups()).map(async (g) => ({ ...g, lag: await groupLag(broker, groups, g.groupId) })));
    } catch (err) {
      broker.log.warn({ err }, 'dashboard: reading consumer groups failed');
    }
  }
  return {
    time: Date.now(),
    ready: broker.ready,
    readiness: readinessReason(broker, Array.from({ length: broker.shards.size }, (_, s) => broker.shards.isRunning(s))),
    damagedBatches: broker.damagedBatches?.() ?? [],
    connections: (await broker.metrics.connections.get()).values[0]?.value ?? 0,
    partitions: partitions.slice(0, DASHBOARD_PARTITION_ROWS),
    partitionsOmitted: Math.max(0, partitions.length - DASHBOARD_PARTITION_ROWS),
    shards: shardRows(broker).map((s) => ({ ...s, utilization: utilization[s.shard] ?? 0 })),
    groupsAvailable: groups.available,
    groups: groupRows,
  };
}

export async function startHttpServer(broker: HttpBrokerView, options: HttpSurfaceOptions): Promise<HttpSurface> {
  const sampler = new BrokerSampler(broker, { intervalMs: options.sampleIntervalMs });
  // Looked up on every use: the coordinator is opened during start-up and closed at stop.
  const groups = options.groups ?? (() => groupViewOf(broker.groupCoordinator));
  const unregister = registerScrapeTimeMetrics(broker, sampler, groups, options.dataDir);
  const streams = new Set<http.ServerResponse>();

  // One state per tick for every open dashboard, built only while someone is watching.
  const unsubscribe = sampler.onSample((sample: ThroughputSample) => {
    if (streams.size === 0) return;
    void dashboardState(broker, sampler, groups()).then((state) => {
      const frame = `event: tick\ndata: ${toJson({ sample, state })}\n\n`;
      for (const res of streams) res.write(frame);
    }, (err: unknown) => broker.log.warn({ err }, 'dashboard: building state failed'));
  });

  const server = http.createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      broker.log.warn({ err, url: req.url }, 'http request failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end('internal error\n');
    });
  });

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    switch (url.pathname) {
      case '/metrics': {
        const body = await broker.metrics.registry.metrics();
        res.writeHead(200, { 'content-type': broker.metrics.registry.contentType }).end(req.method === 'HEAD' ? undefined : body);
        return;
      }
      case '/healthz':
        // Answering at all is the proof of life: the main thread's event loop is turning.
        res.writeHead(200, { 'content-type': 'text/plain' }).end('ok\n');
        return;
      case '/readyz': {
        const shardsRunning = Array.from({ length: broker.shards.size }, (_, s) => broker.shards.isRunning(s));
        const ready = broker.ready && shardsRunning.every(Boolean);
        res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' })
          .end(toJson({ ready, reason: readinessReason(broker, shardsRunning), recovered: broker.ready, shardsRunning }) + '\n');
        return;
      }
      case '/api/state': {
        const state = await dashboardState(broker, sampler, groups());
        res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(toJson({ intervalMs: sampler.intervalMs, history: sampler.history, state }));
        return;
      }
      case '/api/events': {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
        res.write(`retry: 2000\nevent: hello\ndata: ${toJson({ intervalMs: sampler.intervalMs, history: sampler.history })}\n\n`);
        streams.add(res);
        req.on('close', () => streams.delete(res));
        return;
      }
    }
    const asset = ASSETS[url.pathname];
    if (!asset) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    const body = await readFile(asset.file());
    res.writeHead(200, { 'content-type': asset.type, 'content-length': body.length, 'cache-control': 'no-cache' }).end(req.method === 'HEAD' ? undefined : body);
  }

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  sampler.start();
  broker.log.info({ httpPort: (server.address() as AddressInfo).port }, 'http surface listening');

  return {
    port: (server.address() as AddressInfo).port,
    sampler,
    async close() {
      unsubscribe();
      sampler.stop();
      for (const res of streams) res.end();
      streams.clear();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
      unregister();
    },
  };
}
