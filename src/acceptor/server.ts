// The Kafka listeners on the main thread: accepts connections (plain TCP, or TLS through a
// tls.Server the accepted sockets are handed to), applies the connection limits, hands each
// connection the handler registry, the services and its listener's settings, owns the one socket
// read buffer the plain connections share, and drains them at shutdown.
import net from 'node:net';
import tls from 'node:tls';
import type { Logger } from 'pino';
import { Connection, type ConnectionHost, type TestHooks } from './connection.ts';
import type { FileSender } from './file-sender.ts';
import type { BrokerEndpoint, HandlerRegistry, HandlerServices } from './registry.ts';
import type { BrokerMetrics } from '../metrics.ts';
import { RequestMemoryBudget } from './request-memory.ts';
import { WarningDigest } from './warning-digest.ts';
import type { ListenerSpec } from '../security-config.ts';
import type { SaslListenerSettings } from './sasl/authenticator.ts';
import { certificatePrincipal, type SslPrincipalMapper, type TlsServerOptions } from './tls.ts';
import { ConnectionLimits, normalizeAddress, type ConnectionLimitSettings } from './connection-limits.ts';

/** Size of the acceptor's shared socket read buffer: the most one read can take in. */
const SOCKET_READ_BUFFER_BYTES = 256 * 1024;

/** One listener as the server runs it. */
export interface ListenerRuntime {
  spec: ListenerSpec;
  /** SASL_PLAINTEXT and SASL_SSL listeners. */
  sasl: SaslListenerSettings | null;
  /** SSL and SASL_SSL listeners: the key material, and the client-certificate principal mapping. */
  tls: { options: TlsServerOptions; principalMapper: SslPrincipalMapper } | null;
}

/** A TLS handshake that has not finished in this long is dropped (node:tls's own default is 120 s). */
const TLS_HANDSHAKE_TIMEOUT_MS = 30_000;

export interface BrokerServerOptions {
  /** The one PLAINTEXT listener when `listeners` is not given. */
  host: string;
  port: number;
  listeners?: ListenerRuntime[];
  limits?: ConnectionLimitSettings;
  /** connections.max.idle.ms; -1 or absent: never. */
  idleMs?: number;
  maxFrameBytes: number;
  /** queued.max.request.bytes: request memory of all connections together; 0 or less, none. */
  queuedMaxRequestBytes?: number;
  registry: HandlerRegistry;
  /** The sendfile addon for Fetch responses (file-sender.ts); absent or null: Node writes every response. */
  fileSender?: FileSender | null;
  /** Given to every request. */
  services: HandlerServices;
  metrics: Pick<BrokerMetrics, 'connections' | 'connectionsTotal' | 'requestStarted' | 'requestFinished' | 'requestFailed'>
    & Partial<Pick<BrokerMetrics, 'responseErrors' | 'queuedRequestBytes' | 'connectionsRejected'>>;
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
  readonly fileSender: FileSender | null;
  readonly #o: BrokerServerOptions;
  #servers: Array<{ runtime: ListenerRuntime; server: net.Server; tls: tls.Server | null }> = [];
  readonly #limits: ConnectionLimits;
  /** Accepted sockets waiting for a slot under max.connections. */
  readonly #waitingSockets = new Set<net.Socket>();
  /** The coarse clock connections stamp their activity with (connections.max.idle.ms). */
  readonly #idleClock = { now: 0 };
  #idleSweep: NodeJS.Timeout | undefined;
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
    this.fileSender = options.fileSender ?? null;
    this.requestMemory = new RequestMemoryBudget(options.queuedMaxRequestBytes ?? -1);
    this.warnings = new WarningDigest(options.log);
    if (options.metrics.queuedRequestBytes) options.metrics.queuedRequestBytes = () => this.requestMemory.usedBytes;
    const unlimited = 2_147_483_647;
    this.#limits = new ConnectionLimits(options.limits ?? { maxConnections: unlimited, maxConnectionsPerIp: unlimited, perIpOverrides: new Map() });
  }

  get #runtimes(): ListenerRuntime[] {
    return this.#o.listeners ?? [{
      spec: { name: 'PLAINTEXT', securityProtocol: 'PLAINTEXT', host: this.#o.host, port: this.#o.port, advertisedHost: '', advertisedPort: 0 },
      sasl: null,
      tls: null,
    }];
  }

  /** The bound port of the first listener, once listening. */
  get port(): number {
    return this.listenerPort(this.#runtimes[0]!.spec.name);
  }

  /** The bound port of a listener by name, once listening. */
  listenerPort(name: string): number {
    const entry = this.#servers.find((s) => s.runtime.spec.name === name);
    const address = entry?.server.address();
    if (typeof address === 'object' && address) return address.port;
    return this.#runtimes.find((r) => r.spec.name === name)?.spec.port ?? -1;
  }

  async listen(): Promise<void> {
    const idleMs = this.#o.idleMs ?? -1;
    if (idleMs > 0) {
      // Kafka's selector closes channels idle past connections.max.idle.ms; one sweep per tick
      // here, so a connection is closed between idleMs and idleMs + one tick after its last byte.
      const tickMs = Math.max(50, Math.min(Math.floor(idleMs / 4), 10_000));
      const started = performance.now();
      this.#idleSweep = setInterval(() => {
        const now = performance.now() - started;
        this.#idleClock.now = now;
        for (const c of this.#connections) {
          if (c.inFlight === 0 && now - c.lastActivity > idleMs) c.close('idle longer than connections.max.idle.ms', { idleMs }, 'debug');
        }
      }, tickMs);
      this.#idleSweep.unref();
    }
    for (const runtime of this.#runtimes) {
      const tlsServer = runtime.tls ? this.#tlsServer(runtime) : null;
      // Accepted paused: a plain Connection moves the socket onto the shared read buffer first; a
      // TLS socket is injected into the listener's tls.Server, which does the handshake.
      const server = net.createServer({ pauseOnConnect: true }, (socket) => this.#admit(runtime, tlsServer, socket));
      this.#servers.push({ runtime, server, tls: tlsServer });
      const { host, port } = runtime.spec;
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(port, host, () => resolve());
      });
    }
  }

  /**
   * Swaps the key material of every TLS listener. Connections already open keep the context they
   * were made with; every new handshake uses the new one.
   */
  reloadTls(load: (runtime: ListenerRuntime) => Promise<TlsServerOptions>): Promise<void> {
    return Promise.all(this.#servers.filter((s) => s.tls).map(async (s) => {
      const options = await load(s.runtime);
      s.tls!.setSecureContext(options);
      s.runtime.tls!.options = options;
    })).then(() => undefined);
  }

  #tlsServer(runtime: ListenerRuntime): tls.Server {
    const { options } = runtime.tls!;
    const server = tls.createServer({ ...options, handshakeTimeout: TLS_HANDSHAKE_TIMEOUT_MS });
    server.on('secureConnection', (socket: tls.TLSSocket) => {
      const verdict = certificatePrincipal(socket, runtime.tls!.principalMapper);
      if ('refused' in verdict) {
        this.#rejected(runtime, 'client-certificate', { reason: verdict.refused, remote: socket.remoteAddress });
        socket.destroy();
        return;
      }
      this.#start(runtime, socket, verdict.principal, false);
    });
    // A garbage ClientHello, a wrong protocol version, a missing or untrusted client certificate:
    // node:tls has already destroyed the socket; count it and log at debug (no flood at warn).
    server.on('tlsClientError', (err: Error & { code?: string }, socket: tls.TLSSocket) => {
      this.#rejected(runtime, 'tls-handshake', { error: err.code ?? err.message, remote: socket.remoteAddress });
    });
    return server;
  }

  #rejected(runtime: ListenerRuntime, reason: string, details: Record<string, unknown>): void {
    this.metrics.connectionsRejected?.inc({ listener: runtime.spec.name, reason });
    this.log.debug({ listener: runtime.spec.name, why: reason, ...details }, 'connection rejected');
  }

  /** The connection limits first (Kafka's ConnectionQuotas), then TLS or straight to a Connection. */
  #admit(runtime: ListenerRuntime, tlsServer: tls.Server | null, socket: net.Socket): void {
    const ip = normalizeAddress(socket.remoteAddress);
    const begin = () => {
      if (tlsServer) {
        socket.once('close', () => this.#limits.release(ip));
        tlsServer.emit('connection', socket);
      } else {
        this.#start(runtime, socket, undefined, true);
      }
    };
    const verdict = this.#limits.admit(ip, (admitted) => {
      this.#waitingSockets.delete(socket);
      if (!admitted || socket.destroyed) {
        if (admitted) this.#limits.release(ip);
        socket.destroy();
        return;
      }
      begin();
    });
    switch (verdict) {
      case 'accepted':
        begin();
        return;
      case 'waiting':
        this.#waitingSockets.add(socket);
        return;
      case 'over-ip-limit':
        // Kafka logs this at info ("Rejected connection from ..."); counted, logged at debug here.
        this.#rejected(runtime, 'max-connections-per-ip', { remote: ip });
        socket.destroy();
        return;
      case 'backlog-full':
        this.#rejected(runtime, 'max-connections', { remote: ip });
        socket.destroy();
        return;
    }
  }

  #start(runtime: ListenerRuntime, socket: net.Socket, principal: string | undefined, plain: boolean): void {
    const spec = runtime.spec;
    const advertised: BrokerEndpoint | undefined = this.#o.listeners ? {
      nodeId: this.services.node.nodeId,
      host: spec.advertisedHost,
      port: spec.advertisedPort > 0 ? spec.advertisedPort : this.listenerPort(spec.name),
    } : undefined;
    // A plain socket's handle moves to a new Socket (socket-reads.ts), whose close releases the
    // limit slot; a TLS connection's slot is released by its TCP socket's close (#admit).
    const ip = normalizeAddress(socket.remoteAddress);
    const onClose = plain ? () => this.#limits.release(ip) : undefined;
    const connection = new Connection(this.#nextConnectionId++, socket, this, this.#readBuffer, {
      advertised,
      sasl: runtime.sasl,
      principal,
      adoptReads: plain,
      idleClock: this.#idleClock,
      onClose,
    });
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
    const servers = this.#servers;
    this.#servers = [];
    clearInterval(this.#idleSweep);
    const closed = Promise.all(servers.map(({ server }) => new Promise<void>((resolve) => server.close(() => resolve()))));
    this.#limits.clearWaiting();
    for (const socket of this.#waitingSockets) socket.destroy();
    this.#waitingSockets.clear();
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
