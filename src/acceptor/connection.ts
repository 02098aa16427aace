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
import type { RequestMemoryBudget } from './request-memory.ts';
import type { WarningDigest } from './warning-digest.ts';
import { NO_RESPONSE, type ApiHandler, type BrokerEndpoint, type ConnectionInfo, type HandlerRegistry, type HandlerServices, type RequestContext } from './registry.ts';
import { SaslAuthenticator, type SaslListenerSettings } from './sasl/authenticator.ts';
import { chargeRequestTime, withRequestThrottle } from './quotas/enforce.ts';
import { fileSendCounters, socketFd, type FileSender, type SendPiece } from './file-sender.ts';
import { FileRange, releaseFileRangePieces, releaseFileRanges } from '../segments/file-range.ts';


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
    responseErrors?(apiKey: number, response: unknown): void;
  };
  readonly log: Logger;
  readonly maxFrameBytes: number;
  readonly testHooks: TestHooks;
  /** queued.max.request.bytes: shared by every connection of the listener. */
  readonly requestMemory: RequestMemoryBudget;
  /** Repeated warnings (connections closed for bad input) are aggregated here. */
  readonly warnings: WarningDigest;
  /** Writes Fetch responses whose records are file ranges (sendfile); null or absent: Node writes everything. */
  readonly fileSender?: FileSender | null;
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
  /** Request bytes counted in the memory budget until the request is done with (0 once released). */
  charged: number;
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
  /** Budget reserved for the frame being received across reads (its announced size), or 0. */
  #reservedPartial = 0;
  /** Cancels the wait for request memory, while this connection waits for it. */
  #cancelMemoryWait: (() => void) | undefined;
  readonly advertised: BrokerEndpoint | undefined;
  readonly #sasl: SaslAuthenticator | null;
  readonly #transportPrincipal: string | undefined;
  /** The reason to close once every queued response is written (a refused authentication). */
  #endAfterFlush: string | undefined;
  readonly #idleClock: { now: number };
  /** The idle clock's value at the last read or write. */
  lastActivity: number;
  /** The sendfile path's sender and this socket's fd, when both exist (not TLS, addon loaded). */
  readonly #fileSender: FileSender | null;
  readonly #fd: number;
  /** Node writes whose callback has not come yet: a file job starts only when this is 0. */
  #pendingWrites = 0;
  /** A file job waits for #pendingWrites to reach 0. */
  #waitingForWrites = false;
  /** The file job writing a response now (its id), or null; later responses wait for it. */
  #fileJob: number | null = null;

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
    this.#fd = host.fileSender ? socketFd(socket) : -1;
    this.#fileSender = this.#fd >= 0 ? host.fileSender! : null;
    this.remoteAddress = `${socket.remoteAddress}:${socket.remotePort}`;
    this.#log = host.log.child({ connection: id, remote: this.remoteAddress });
    this.#frames = new FrameSplitter(host.maxFrameBytes);
    socket.setNoDelay(true);
    socket.on('drain', () => this.resume('socket-drain'));
    socket.on('error', (err) => this.#log.debug({ err: err.message }, 'socket error'));
    socket.on('close', () => {
      this.#closed = true;
      this.#cancelFileJob();
      this.#releaseMemory();
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

  /** Whether Fetch may answer with FileRange record sets: this connection writes them with sendfile. */
  get sendsFileRanges(): boolean {
    return this.#fileSender !== null;
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
    // Warnings go through the digest: a flood of bad connections must not become a flood of lines.
    if (level === 'warn') this.#host.warnings.report(reason, { connection: this.id, remote: this.remoteAddress, ...details });
    else this.#log.debug({ reason, ...details }, 'closing connection');
    this.#cancelFileJob();
    this.#socket.destroy();
    this.#releaseMemory();
  }

  /** A file job still writing on a closing connection stops (it holds a dup of the socket). */
  #cancelFileJob(): void {
    if (this.#fileJob !== null) this.#fileSender?.cancel(this.#fileJob);
  }

  /**
   * A closed connection gives back everything at once: its budget, its partial frame and reused
   * buffers, its queued requests. Requests still running elsewhere (a JoinGroup waiting for a
   * rebalance) may keep this object reachable for a while; it then holds next to nothing.
   */
  #releaseMemory(): void {
    const budget = this.#host.requestMemory;
    budget.release(this.#reservedPartial);
    this.#reservedPartial = 0;
    for (const slot of this.#queue) {
      this.#releaseCharge(slot);
      if (slot.bytes) releaseFileRangePieces(slot.bytes);
    }
    this.#queue.length = 0;
    this.#cancelMemoryWait?.();
    this.#cancelMemoryWait = undefined;
    this.#frames.release();
  }

  #releaseCharge(slot: PendingResponse): void {
    this.#host.requestMemory.release(slot.charged);
    slot.charged = 0;
  }

  /** A chunk in memory that is reused once this returns: every frame in it is dealt with or copied. */
  #onData(chunk: Buffer): void {
    if (this.#closed) return;
    this.lastActivity = this.#idleClock.now;
    // A frame already being received completes (if it does) as the first frame of this chunk; its
    // reservation is then handed over to the request it becomes (#onFrame charges it).
    let completing = this.#reservedPartial > 0;
    const badSize = this.#frames.pushTransient(chunk, (frame) => {
      if (completing) {
        completing = false;
        this.#host.requestMemory.release(this.#reservedPartial);
        this.#reservedPartial = 0;
      }
      if (!this.#closed) this.#onFrame(frame);
    });
    if (badSize !== undefined) {
      this.close('frame size out of range', { size: badSize, maxFrameBytes: this.#frames.maxFrameBytes });
      return;
    }
    if (!this.#closed) this.#checkMemory();
  }

  /**
   * After each read: a frame left partial needs its announced size reserved, and when the budget
   * is spent the socket is not read again until memory comes back. A connection that holds its
   * reservation keeps reading, so the frames that hold the memory can finish and give it back.
   */
  #checkMemory(): void {
    const budget = this.#host.requestMemory;
    if (!budget.bounded) return;
    const pending = this.#frames.pendingFrameSize;
    const blocked = pending > 0 ? !this.#holdPartialReservation(pending, budget) : budget.exhausted;
    if (blocked && this.#cancelMemoryWait === undefined) {
      this.pause('request-memory');
      this.#cancelMemoryWait = budget.whenRoom(() => {
        this.#cancelMemoryWait = undefined;
        if (this.#closed) return;
        const stillPending = this.#frames.pendingFrameSize;
        if (stillPending > 0 && !this.#holdPartialReservation(stillPending, budget)) this.#checkMemory();
        else this.resume('request-memory');
      });
    }
  }

  /**
   * Reserves the partial frame's announced size unless that is held already; true when it is held.
   * Memory the budget vouches for lets the splitter put the rest of the frame in one buffer of its size.
   */
  #holdPartialReservation(pending: number, budget: RequestMemoryBudget): boolean {
    if (this.#reservedPartial === 0 && budget.tryReserve(pending)) this.#reservedPartial = pending;
    if (this.#reservedPartial === 0) return false;
    this.#frames.wholeFrameReserved();
    return true;
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
    if (sasl) {
      const admission = sasl.admit(apiKey, performance.now());
      if (admission.verdict === 'close') {
        this.close(admission.reason, { apiKey, apiVersion, correlationId });
        return;
      }
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
    // Counted from decode until the request is done with its frame (Kafka releases its pool
    // buffer after the handler, too).
    const slot: PendingResponse = { apiKey, bytes: undefined, charged: frame.length };
    this.#host.requestMemory.charge(frame.length);
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
    // An in-place Produce frame is done with when its handler returns (its batches are in ring
    // memory, which the rings bound themselves).
    if (inPlace) this.#releaseCharge(slot);
    // The request_percentage quota counts the main-thread time of the handler's synchronous part.
    const requestThrottleMs = chargeRequestTime(ctx, process.hrtime.bigint() - handleStarted);
    const trace = this.#log.isLevelEnabled('trace');
    if (trace) this.#log.trace({ apiKey, apiVersion, correlationId, request }, 'request');
    const finish = (res: unknown) => {
      this.#releaseCharge(slot);
      metrics.requestFinished(apiKey, started);
      if (trace) this.#log.trace({ apiKey, apiVersion, correlationId, response: res === NO_RESPONSE ? null : res }, 'response');
      if (res !== NO_RESPONSE) metrics.responseErrors?.(apiKey, res);
      if (this.#closed) {
        if (apiKey === ApiKey.Fetch) releaseFetchRanges(res);
        return;
      }
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
    this.#releaseCharge(slot);
    this.#host.metrics.requestFailed(apiKey);
    if (this.#closed) return;
    let bytes: Uint8Array[] | null = null;
    let errorResponseErr: unknown;
    try {
      const response = handler.errorResponse(ctx, request, ErrorCode.UNKNOWN_SERVER_ERROR);
      if (response !== null) {
        this.#host.metrics.responseErrors?.(apiKey, response);
        bytes = this.#encode(apiKey, apiVersion, correlationId, response);
      }
    } catch (e) {
      errorResponseErr = e;
    }
    if (bytes === null) {
      this.#host.warnings.report(`${handler.name} handler failures`, { err, errorResponseErr, apiVersion }, { level: 'error', subject: 'request' });
      this.close('internal error while handling a request', { api: handler.name, apiVersion });
      return;
    }
    // One crafted request repeated must not flood the log either: aggregated per API.
    this.#host.warnings.report(`${handler.name} handler failures answered UNKNOWN_SERVER_ERROR`, { err, apiVersion }, { level: 'error', subject: 'request' });
    slot.bytes = bytes;
    this.#flush();
  }

  /** A bare SASL token after a v0 handshake: answered with a bare size-prefixed token, or closed. */
  #onRawSaslToken(sasl: SaslAuthenticator, token: Buffer): void {
    const slot: PendingResponse = { apiKey: ApiKey.SaslAuthenticate, bytes: undefined, charged: 0 };
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
    this.#queue.push({ apiKey: ApiKey.ApiVersions, bytes, charged: 0 });
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

  /**
   * Writes every finished response at the head of the queue; stops at the first still running.
   * A response with file ranges goes to the sendfile addon as one job, which starts only when every
   * Node write before it has reached the kernel (their callbacks came) and which every later
   * response waits for: the socket has one writer at a time, in request order.
   */
  #flush(): void {
    const hooks = this.#host.testHooks;
    this.lastActivity = this.#idleClock.now;
    while (this.#queue.length > 0 && this.#queue[0]!.bytes !== undefined) {
      if (this.#fileJob !== null) return;
      const bytes = this.#queue[0]!.bytes;
      const withFiles = bytes ? hasFileRanges(bytes) : false;
      if (withFiles && this.#pendingWrites > 0) {
        this.#waitingForWrites = true;
        return;
      }
      const { apiKey } = this.#queue.shift()!;
      if (!bytes) continue;
      if (hooks.beforeResponseWrite?.(this, apiKey, bytes) === 'drop-connection') {
        if (withFiles) releaseFileRangePieces(bytes);
        this.close('test hook dropped the connection before a response');
        return;
      }
      if (withFiles) {
        this.#startFileJob(bytes);
        return;
      }
      let drained = true;
      const onWritten = this.#fileSender ? this.#onWritten : undefined;
      if (onWritten) this.#pendingWrites++;
      if (bytes.length === 1) {
        drained = this.#socket.write(bytes[0]!, onWritten);
      } else {
        // One vectored write for the pieces of a spliced response.
        this.#socket.cork();
        for (let i = 0; i < bytes.length; i++) drained = this.#socket.write(bytes[i]!, i === bytes.length - 1 ? onWritten : undefined);
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

  readonly #onWritten = (): void => {
    this.#pendingWrites--;
    if (this.#pendingWrites === 0 && this.#waitingForWrites) {
      this.#waitingForWrites = false;
      if (!this.#closed) this.#flush();
    }
  };

  /**
   * Hands a response with file ranges to the sender thread. The addon dups the files' descriptors
   * before submit returns, so the ranges' leases are given back at once. The socket is not read
   * while the job runs, as while Node's writes wait for 'drain'.
   */
  #startFileJob(bytes: Uint8Array[]): void {
    const sender = this.#fileSender;
    const pieces: SendPiece[] = bytes.map((chunk) => (chunk instanceof FileRange ? [chunk.fd, chunk.position, chunk.length] : chunk));
    try {
      if (sender === null) throw new Error('a file range on a connection without the sendfile path');
      this.#fileJob = sender.submit(this.#fd, pieces, this.#onFileJobDone);
      fileSendCounters.jobs++;
    } catch (err) {
      this.#fileJob = null;
      this.close('could not start writing a fetch response', { error: (err as Error).message });
      return;
    } finally {
      releaseFileRangePieces(bytes);
    }
    this.pause('file-send');
  }

  readonly #onFileJobDone = (errno: number, bytesSent: number): void => {
    this.#fileJob = null;
    fileSendCounters.bytes += bytesSent;
    this.resume('file-send');
    if (this.#closed) return;
    this.lastActivity = this.#idleClock.now;
    if (errno !== 0) {
      // The peer went away (EPIPE, ECONNRESET) or the socket failed: as a failed Node write would.
      this.close('writing a fetch response failed', { errno, bytesSent }, 'debug');
      return;
    }
    this.#flush();
  };

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

function hasFileRanges(bytes: Uint8Array[]): boolean {
  for (const chunk of bytes) if (chunk instanceof FileRange) return true;
  return false;
}

/** A Fetch response encoded for nobody (its connection closed): its file ranges go back. */
function releaseFetchRanges(response: unknown): void {
  const topics = (response as { responses?: { partitions?: { records?: unknown }[] }[] } | null)?.responses;
  if (!Array.isArray(topics)) return;
  for (const topic of topics) if (Array.isArray(topic.partitions)) releaseFileRanges(topic.partitions);
}
