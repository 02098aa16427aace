// One client connection: frames in, requests decoded and dispatched in arrival order, responses
// written strictly in request order even when handlers finish out of order (DESIGN.md §4).
import type { Socket } from 'node:net';
import type { Logger } from 'pino';
import { Reader, Writer } from '../protocol/primitives.ts';
import { decodeRequestHeader, encodeResponseHeader, responseHeaderVersion } from '../protocol/headers.ts';
import { apiCodecs, ApiKey } from '../protocol/generated/index.ts';
import { ErrorCode } from '../protocol/errors.ts';
import { FrameSplitter } from '../protocol/frames.ts';
import { adoptWithReadBuffer } from './socket-reads.ts';
import { NO_RESPONSE, type ApiHandler, type BrokerEndpoint, type ConnectionInfo, type HandlerRegistry, type HandlerServices, type RequestContext } from './registry.ts';
import { SaslAuthenticator, type SaslListenerSettings } from './sasl/authenticator.ts';
import { chargeRequestTime, withRequestThrottle } from './quotas/enforce.ts';


export interface TestHooks {
  /** Called before each response is written; 'drop-connection' closes the socket instead. */
  beforeResponseWrite?: (connection: Connection, apiKey: number, response: Uint8Array[]) => 'drop-connection' | void;
}

/** What a connection needs from the server that accepted it. */
export interface ConnectionHost {
  readonly registry: HandlerRegistry;
  readonly services: HandlerServices;
  readonly metrics: {
    requestStarted(apiKey: number): bigint;
    requestFinished(apiKey: number, started: bigint): void;
    requestFailed(apiKey: number): void;
  };
  readonly log: Logger;
  readonly maxFrameBytes: number;
  readonly testHooks: TestHooks;
  connectionClosed(connection: Connection): void;
}

/** What the listener a connection came through decides for it (server.ts). */
export interface ConnectionOptions {
  /** The listener's advertised endpoint (Metadata, FindCoordinator, DescribeCluster). */
  advertised?: BrokerEndpoint;
  /** Set on SASL listeners: nothing but ApiVersions and the SASL exchange until authenticated. */
  sasl?: SaslListenerSettings | null;
  /** The principal the transport established (a TLS client certificate); SASL replaces it. */
  principal?: string;
  /** TLS sockets decrypt in Node's stream and are read through 'data' events. */
  adoptReads?: boolean;
  /**
   * A coarse clock (ms) the server advances on a timer; the connection stamps it on every read
   * and write, and the server's sweep closes connections idle past connections.max.idle.ms. A
   * stamp is one store, where a per-socket timeout would re-arm a timer on every read and write.
   */
  idleClock?: { now: number };
  /** Told when the connection closes, after the host (connection limits). */
  onClose?: () => void;
}

/** Record sets at least this large are written to the socket by reference, not copied. */
const SPLICE_RECORDS_FROM_BYTES = 16 * 1024;

/**
 * The largest frame read before a SASL client is authenticated: Kafka's
 * sasl.server.max.receive.size default. A larger one closes the connection, as Kafka's
 * InvalidReceiveException does, so an unauthenticated client cannot make the broker buffer much.
 */
const SASL_MAX_RECEIVE_BYTES = 524_288;

/** Pipelined requests allowed before the socket stops being read. */
const MAX_IN_FLIGHT = 256;

interface PendingResponse {
  apiKey: number;
  /** The encoded response in pieces; undefined while the handler runs; null when none is sent. */
  bytes: Uint8Array[] | null | undefined;
}

export class Connection implements ConnectionInfo {
  readonly id: number;
  readonly remoteAddress: string;
  readonly #socket: Socket;
  readonly #host: ConnectionHost;
  readonly #log: Logger;
  readonly #frames: FrameSplitter;
  readonly #queue: PendingResponse[] = [];
  /** Why the socket is not being read; it is read again when this is empty. */
  readonly #pauses = new Set<string>();
  #closed = false;
  readonly advertised: BrokerEndpoint | undefined;
  readonly #sasl: SaslAuthenticator | null;
  readonly #transportPrincipal: string | undefined;
  /** The reason to close once every queued response is written (a refused authentication). */
  #endAfterFlush: string | undefined;
  readonly #idleClock: { now: number };
  /** The idle clock's value at the last read or write. */
  lastActivity: number;

  /**
   * Takes over a socket the listener accepted paused. Its reads land in the acceptor's one shared
   * read buffer when the runtime allows that (socket-reads.ts), else in buffers Node allocates.
   */
  constructor(id: number, accepted: Socket, host: ConnectionHost, readBuffer: Buffer, options: ConnectionOptions = {}) {
    this.id = id;
    this.#host = host;
    this.advertised = options.advertised;
    this.#transportPrincipal = options.principal;
    this.#idleClock = options.idleClock ?? { now: 0 };
    this.lastActivity = this.#idleClock.now;
    const adopted = options.adoptReads === false ? null : adoptWithReadBuffer(accepted, readBuffer, (chunk) => this.#onData(chunk));
    const socket = adopted ?? accepted;
    if (socket === accepted) {
      socket.on('data', (chunk: Buffer) => this.#onData(chunk));
      socket.resume();
    }
    this.#socket = socket;
    this.remoteAddress = `${socket.remoteAddress}:${socket.remotePort}`;
    this.#log = host.log.child({ connection: id, remote: this.remoteAddress });
    this.#frames = new FrameSplitter(host.maxFrameBytes);
    socket.setNoDelay(true);
    socket.on('drain', () => this.resume('socket-drain'));
    socket.on('error', (err) => this.#log.debug({ err: err.message }, 'socket error'));
    socket.on('close', () => {
      this.#closed = true;
      host.connectionClosed(this);
      options.onClose?.();
    });
    this.#sasl = options.sasl ? new SaslAuthenticator(options.sasl, this.remoteAddress) : null;
    if (this.#sasl) this.#frames.maxFrameBytes = Math.min(host.maxFrameBytes, SASL_MAX_RECEIVE_BYTES);
  }

  /** The SASL principal once authenticated, else the transport's (TLS client certificate), else none. */
  get principal(): string | undefined {
    return this.#sasl?.principal ?? this.#transportPrincipal;
  }

  get sasl(): SaslAuthenticator | null {
    return this.#sasl;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get inFlight(): number {
    return this.#queue.length;
  }

  pause(reason: string): void {
    this.#pauses.add(reason);
    this.#socket.pause();
  }

  resume(reason: string): void {
    if (!this.#pauses.delete(reason)) return;
    if (this.#pauses.size === 0 && !this.#closed) this.#socket.resume();
  }

  /** Closes the connection with a logged reason: what a Kafka broker does with input it cannot trust. */
  close(reason: string, details?: Record<string, unknown>, level: 'warn' | 'debug' = 'warn'): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#log[level]({ reason, ...details }, 'closing connection');
    this.#socket.destroy();
  }

  /** A chunk in memory that is reused once this returns: every frame in it is dealt with or copied. */
  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    this.lastActivity = this.#idleClock.now;
    const badSize = this.#frames.pushTransient(chunk, (frame) => {
      if (!this.#closed) this.#onFrame(frame);
    });
    if (badSize !== undefined) this.close('frame size out of range', { size: badSize, maxFrameBytes: this.#frames.maxFrameBytes });
  }

  #onFrame(transientFrame: Buffer): void {
    const sasl = this.#sasl;
    if (sasl?.expectsRawToken) {
      this.#onRawSaslToken(sasl, Buffer.from(transientFrame));
      return;
    }
    // A Produce handler is done with its frame when it returns (every append is in a shard ring
    // by then), so Produce frames are decoded in place. Any other request may keep pieces of its
    // frame (group metadata, assignments) and gets its own copy; those frames are small.
    const inPlace = transientFrame.length >= 2 && transientFrame.readInt16BE(0) === ApiKey.Produce;
    const frame = inPlace ? transientFrame : Buffer.from(transientFrame);
    const reader = new Reader(frame);
    const header = decodeRequestHeader(reader);
    if (!header.ok) {
      this.close('malformed request header', { error: header.error });
      return;
    }
    const { apiKey, apiVersion, correlationId } = header;
    const handler = this.#host.registry.get(apiKey);
    let refuseReason: string | undefined;
    if (sasl) {
      const admission = sasl.admit(apiKey, performance.now());
      if (admission.verdict === 'close') {
        this.close(admission.reason, { apiKey, apiVersion, correlationId });
        return;
      }
      if (admission.verdict === 'refuse') refuseReason = admission.reason;
    }
    if (!handler) {
      this.close('unsupported api key', { apiKey, apiVersion, correlationId });
      return;
    }
    if (apiVersion < handler.minVersion || apiVersion > handler.maxVersion) {
      if (apiKey === ApiKey.ApiVersions) {
        // The one request a client may send at a version we do not know: answer at v0 with the
        // ranges we do serve, so the client can pick one (KIP-511).
        this.#enqueueImmediate(this.#encode(ApiKey.ApiVersions, 0, correlationId, {
          errorCode: ErrorCode.UNSUPPORTED_VERSION,
          apiKeys: this.#host.registry.apiVersions(),
        }));
        return;
      }
      this.close('unsupported api version', { apiKey, apiVersion, correlationId });
      return;
    }
    const codec = apiCodecs.get(apiKey)!;
    let request: unknown;
    try {
      request = codec.decodeRequest(reader, apiVersion);
    } catch (err) {
      this.close('malformed request body', { apiKey, apiVersion, correlationId, error: (err as Error).message });
      return;
    }
    const ctx: RequestContext = {
      apiKey, apiVersion, correlationId, clientId: header.clientId, services: this.#host.services, connection: this,
    };
    if (refuseReason !== undefined) {
      // Kafka answers a request other than SaslAuthenticate during authentication with that
      // request's error response (IllegalSaslStateException), then closes.
      let bytes: Uint8Array[] | null = null;
      try {
        const response = handler.errorResponse(ctx, request, ErrorCode.ILLEGAL_SASL_STATE);
        if (response !== null) bytes = this.#encode(apiKey, apiVersion, correlationId, response);
      } catch { /* no answer: just close */ }
      this.#endAfterFlush = refuseReason;
      this.#queue.push({ apiKey, bytes });
      this.#flush();
      return;
    }
    const slot: PendingResponse = { apiKey, bytes: undefined };
    this.#queue.push(slot);
    if (this.#queue.length >= MAX_IN_FLIGHT) this.pause('in-flight');
    const metrics = this.#host.metrics;
    const started = metrics.requestStarted(apiKey);
    let result: unknown;
    const handleStarted = process.hrtime.bigint();
    try {
      result = handler.handle(ctx, request);
    } catch (err) {
      this.#handlerFailed(err, handler, ctx, request, slot);
      return;
    }
    // The request_percentage quota counts the main-thread time of the handler's synchronous part.
    const requestThrottleMs = chargeRequestTime(ctx, process.hrtime.bigint() - handleStarted);
    const trace = this.#log.isLevelEnabled('trace');
    if (trace) this.#log.trace({ apiKey, apiVersion, correlationId, request }, 'request');
    const finish = (res: unknown) => {
      metrics.requestFinished(apiKey, started);
      if (trace) this.#log.trace({ apiKey, apiVersion, correlationId, response: res === NO_RESPONSE ? null : res }, 'response');
      if (this.#closed) return;
      try {
        if (requestThrottleMs > 0) withRequestThrottle(res, requestThrottleMs);
        slot.bytes = res === NO_RESPONSE ? null : this.#encode(apiKey, apiVersion, correlationId, res);
      } catch (err) {
        this.#handlerFailed(err, handler, ctx, request, slot);
        return;
      }
      if (sasl) this.#afterSaslStep(sasl);
      this.#flush();
    };
    if (result instanceof Promise) result.then(finish, (err) => this.#handlerFailed(err, handler, ctx, request, slot));
    else finish(result);
  }

  /**
   * A handler threw, or its response would not encode: answer with UNKNOWN_SERVER_ERROR, what
   * Kafka sends for an unexpected exception, in the API's own error fields, and keep the
   * connection. It closes only where the API has no response to carry the error (the handler's
   * errorResponse says null). Mapping an exception to a more precise code is errors.ts's business.
   */
  #handlerFailed(err: unknown, handler: ApiHandler, ctx: RequestContext, request: unknown, slot: PendingResponse): void {
    const { apiKey, apiVersion, correlationId } = ctx;
    this.#host.metrics.requestFailed(apiKey);
    if (this.#closed) return;
    let bytes: Uint8Array[] | null = null;
    let errorResponseErr: unknown;
    try {
      const response = handler.errorResponse(ctx, request, ErrorCode.UNKNOWN_SERVER_ERROR);
      if (response !== null) bytes = this.#encode(apiKey, apiVersion, correlationId, response);
    } catch (e) {
      errorResponseErr = e;
    }
    if (bytes === null) {
      this.#log.error({ err, errorResponseErr, api: handler.name, apiVersion }, 'request handler failed');
      this.close('internal error while handling a request', { api: handler.name, apiVersion });
      return;
    }
    this.#log.error({ err, api: handler.name, apiVersion }, 'request handler failed; answered UNKNOWN_SERVER_ERROR');
    slot.bytes = bytes;
    this.#flush();
  }

  /** A bare SASL token after a v0 handshake: answered with a bare size-prefixed token, or closed. */
  #onRawSaslToken(sasl: SaslAuthenticator, token: Buffer): void {
    const slot: PendingResponse = { apiKey: ApiKey.SaslAuthenticate, bytes: undefined };
    this.#queue.push(slot);
    this.pause('sasl');
    sasl.authenticateRaw(token).then((response) => {
      if (this.#closed) return;
      if (response === null) {
        this.close(sasl.takeCloseReason() ?? 'SASL authentication failed');
        return;
      }
      const size = Buffer.allocUnsafe(4);
      size.writeInt32BE(response.length, 0);
      slot.bytes = [size, response];
      this.#afterSaslStep(sasl);
      this.resume('sasl');
      this.#flush();
    }, (err: Error) => this.close('SASL step failed', { error: err.message }));
  }

  #afterSaslStep(sasl: SaslAuthenticator): void {
    this.#endAfterFlush ??= sasl.takeCloseReason();
    this.#frames.maxFrameBytes = sasl.authenticated ? this.#host.maxFrameBytes : Math.min(this.#host.maxFrameBytes, SASL_MAX_RECEIVE_BYTES);
  }

  #enqueueImmediate(bytes: Uint8Array[]): void {
    this.#queue.push({ apiKey: ApiKey.ApiVersions, bytes });
    this.#flush();
  }

  #encode(apiKey: number, apiVersion: number, correlationId: number, response: unknown): Uint8Array[] {
    const writer = new Writer(256);
    // Fetch responses reference their record bytes instead of copying them into the response:
    // they go to the socket as they came from the segment reader (no tagged field holds records).
    if (apiKey === ApiKey.Fetch) writer.enableSplicing(SPLICE_RECORDS_FROM_BYTES);
    const sizeAt = writer.reserveInt32();
    encodeResponseHeader(writer, responseHeaderVersion(apiKey, apiVersion), correlationId);
    apiCodecs.get(apiKey)!.encodeResponse(writer, apiVersion, response);
    writer.patchInt32(sizeAt, writer.length - sizeAt - 4);
    return writer.finishChunks();
  }

  /** Writes every finished response at the head of the queue; stops at the first still running. */
  #flush(): void {
    const hooks = this.#host.testHooks;
    this.lastActivity = this.#idleClock.now;
    while (this.#queue.length > 0 && this.#queue[0]!.bytes !== undefined) {
      const { apiKey, bytes } = this.#queue.shift()!;
      if (!bytes) continue;
      if (hooks.beforeResponseWrite?.(this, apiKey, bytes) === 'drop-connection') {
        this.close('test hook dropped the connection before a response');
        return;
      }
      let drained = true;
      if (bytes.length === 1) {
        drained = this.#socket.write(bytes[0]!);
      } else {
        // One vectored write for the pieces of a spliced response.
        this.#socket.cork();
        for (const chunk of bytes) drained = this.#socket.write(chunk);
        this.#socket.uncork();
      }
      if (!drained) this.pause('socket-drain');
    }
    if (this.#endAfterFlush !== undefined && this.#queue.length === 0) {
      this.#endGracefully(this.#endAfterFlush);
      return;
    }
    if (this.#queue.length < MAX_IN_FLIGHT) this.resume('in-flight');
  }

  /** Closes after the answers already written reach the client (a refused authentication). */
  #endGracefully(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#log.debug({ reason }, 'closing connection');
    const socket = this.#socket;
    socket.end();
    // A client that never reads its answer does not keep the socket open.
    setTimeout(() => socket.destroy(), 5000).unref();
  }
}
