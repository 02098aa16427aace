// The Kafka listener on the main thread: accepts connections, hands each the handler registry and
// the services, owns the one socket read buffer they all share, and drains them at shutdown.
import net from 'node:net';
import type { Logger } from 'pino';
import { Connection, type ConnectionHost, type TestHooks } from './connection.ts';
import type { HandlerRegistry, HandlerServices } from './registry.ts';
import type { BrokerMetrics } from '../metrics.ts';
import { RequestMemoryBudget } from './request-memory.ts';
import { WarningDigest } from './warning-digest.ts';

/** Size of the acceptor's shared socket read buffer: the most one read can take in. */
const SOCKET_READ_BUFFER_BYTES = 256 * 1024;

export interface BrokerServerOptions {
  host: string;
  port: number;
  maxFrameBytes: number;
  /** queued.max.request.bytes: request memory of all connections together; 0 or less, none. */
  queuedMaxRequestBytes?: number;
  registry: HandlerRegistry;
  /** Given to every request. */
  services: HandlerServices;
  metrics: Pick<BrokerMetrics, 'connections' | 'connectionsTotal' | 'requestStarted' | 'requestFinished' | 'requestFailed'> & Partial<Pick<BrokerMetrics, 'responseErrors' | 'queuedRequestBytes'>>;
  log: Logger;
}

export class BrokerServer implements ConnectionHost {
  readonly registry: HandlerRegistry;
  readonly services: HandlerServices;
  readonly metrics: BrokerServerOptions['metrics'];
  readonly log: Logger;
  readonly maxFrameBytes: number;
  readonly testHooks: TestHooks = {};
  readonly requestMemory: RequestMemoryBudget;
  readonly warnings: WarningDigest;
  readonly #o: BrokerServerOptions;
  #server: net.Server | undefined;
  /**
   * Every connection's socket reads land here (socket-reads.ts). One buffer serves them all: each
   * read is consumed before the event loop performs the next.
   */
  readonly #readBuffer = Buffer.allocUnsafeSlow(SOCKET_READ_BUFFER_BYTES);
  readonly #connections = new Set<Connection>();
  #nextConnectionId = 1;

  constructor(options: BrokerServerOptions) {
    this.#o = options;
    this.registry = options.registry;
    this.metrics = options.metrics;
    this.log = options.log;
    this.maxFrameBytes = options.maxFrameBytes;
    this.services = options.services;
    this.requestMemory = new RequestMemoryBudget(options.queuedMaxRequestBytes ?? -1);
    this.warnings = new WarningDigest(options.log);
    if (options.metrics.queuedRequestBytes) options.metrics.queuedRequestBytes = () => this.requestMemory.usedBytes;
  }

  /** The bound port, once listening. */
  get port(): number {
    const address = this.#server?.address();
    return typeof address === 'object' && address ? address.port : this.#o.port;
  }

  async listen(): Promise<void> {
    // Accepted paused: each Connection moves the socket onto the shared read buffer first.
    const server = net.createServer({ pauseOnConnect: true }, (socket) => this.#accept(socket));
    this.#server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#o.port, this.#o.host, () => resolve());
    });
  }

  #accept(socket: net.Socket): void {
    const connection = new Connection(this.#nextConnectionId++, socket, this, this.#readBuffer);
    this.#connections.add(connection);
    this.metrics.connections.inc();
    this.metrics.connectionsTotal.inc();
  }

  connectionClosed(connection: Connection): void {
    if (this.#connections.delete(connection)) this.metrics.connections.dec();
  }

  /**
   * No new connections, no new requests read, in-flight requests finished and answered (bounded
   * by `drainMs`), then every connection closed.
   */
  async stop(drainMs: number): Promise<void> {
    const server = this.#server;
    this.#server = undefined;
    const closed = server ? new Promise<void>((resolve) => server.close(() => resolve())) : Promise.resolve();
    for (const c of this.#connections) c.pause('shutdown');
    const deadline = performance.now() + drainMs;
    while ([...this.#connections].some((c) => c.inFlight > 0) && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 5));
    }
    for (const c of this.#connections) c.close('broker shutting down', { inFlight: c.inFlight }, c.inFlight > 0 ? 'warn' : 'debug');
    this.warnings.flush();
    await closed;
  }
}
