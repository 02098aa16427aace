// A small Kafka protocol client connection on the generated codecs, for the CLI, the bench and
// tests: pipelined requests matched by correlation id, versions negotiated with ApiVersions.
// It speaks to any Kafka-compatible broker, Apache Kafka included.
import net from 'node:net';
import { Reader, Writer } from '../protocol/primitives.ts';
import { encodeRequestHeader, responseHeaderVersion } from '../protocol/headers.ts';
import { apiCodecs, ApiKey } from '../protocol/generated/index.ts';
import { FrameSplitter } from '../protocol/frames.ts';
import type { ApiVersionsResponse } from '../protocol/generated/api-versions-response.ts';

interface InFlight {
  apiKey: number;
  apiVersion: number;
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout | undefined;
}

export interface ConnectOptions {
  clientId?: string;
  negotiate?: boolean;
  /** Give up on the TCP connect after this long; undefined: the OS decides. */
  connectTimeoutMs?: number;
  /** Fail a request (and close the connection, as Kafka's clients do) unanswered after this long; undefined: wait forever. */
  requestTimeoutMs?: number;
}

/**
 * A failure to reach or talk to a broker, worded for a person: what went wrong at which address,
 * and what to check. `code` is the socket error code (ECONNREFUSED...) or our own (ETIMEDOUT, EHTTP).
 */
export class ConnectionError extends Error {
  readonly code: string;
  readonly address: string;
  constructor(address: string, code: string, message: string) {
    super(message);
    this.address = address;
    this.code = code;
  }
}

/** "HTTP" read as a frame size: what an HTTP server's answer to a Kafka request looks like. */
const HTTP_AS_FRAME_SIZE = 0x48545450;

function explainSocketError(address: string, err: NodeJS.ErrnoException): ConnectionError {
  const code = err.code ?? 'ERROR';
  switch (code) {
    case 'ECONNREFUSED':
      return new ConnectionError(address, code, `cannot connect to ${address}: connection refused; is the broker running and is this its Kafka port? (set it with -b or HIGHWATER_BROKERS)`);
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return new ConnectionError(address, code, `cannot connect to ${address}: unknown host; check the host name given with -b or HIGHWATER_BROKERS`);
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return new ConnectionError(address, code, `cannot connect to ${address}: no route to the host; check the address and the network`);
    case 'ECONNRESET':
    case 'EPIPE':
      return new ConnectionError(address, code, `${address} closed the connection; is this a Kafka port (not TLS or SASL-only)?`);
    default:
      return new ConnectionError(address, code, `cannot talk to ${address}: ${err.message}`);
  }
}

export class KafkaConnection {
  readonly #socket: net.Socket;
  readonly #inFlight = new Map<number, InFlight>();
  readonly #frames = new FrameSplitter(1024 * 1024 * 1024);
  readonly #clientId: string;
  readonly #address: string;
  readonly #requestTimeoutMs: number | undefined;
  #nextCorrelationId = 1;
  #closedError: Error | null = null;
  /** The broker's version ranges, once negotiated. */
  readonly brokerVersions = new Map<number, { min: number; max: number }>();

  private constructor(socket: net.Socket, address: string, options: ConnectOptions) {
    this.#socket = socket;
    this.#address = address;
    this.#clientId = options.clientId ?? 'highwater-cli';
    this.#requestTimeoutMs = options.requestTimeoutMs;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.#fail(explainSocketError(address, err)));
    socket.on('close', () => this.#fail(new ConnectionError(address, 'ECLOSED', `${address} closed the connection`)));
  }

  static async connect(host: string, port: number, options: ConnectOptions = {}): Promise<KafkaConnection> {
    const address = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
    const socket = net.connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      const timer = options.connectTimeoutMs === undefined ? undefined : setTimeout(() => {
        socket.destroy();
        reject(new ConnectionError(address, 'ETIMEDOUT', `cannot connect to ${address}: no answer within ${formatMs(options.connectTimeoutMs!)} (--connect-timeout); check the address and any firewall`));
      }, options.connectTimeoutMs);
      socket.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      socket.once('error', (err) => {
        clearTimeout(timer);
        reject(explainSocketError(address, err));
      });
    });
    const connection = new KafkaConnection(socket, address, options);
    if (options.negotiate !== false) await connection.negotiate();
    return connection;
  }

  get address(): string {
    return this.#address;
  }

  get closed(): boolean {
    return this.#closedError !== null;
  }

  async negotiate(): Promise<void> {
    const codec = apiCodecs.get(ApiKey.ApiVersions)!;
    let response = await this.request<ApiVersionsResponse>(ApiKey.ApiVersions, codec.maxVersion, { clientSoftwareName: 'highwater', clientSoftwareVersion: '0.1.0' });
    if (response.errorCode === 35) response = await this.request<ApiVersionsResponse>(ApiKey.ApiVersions, 0, {});
    for (const k of response.apiKeys) this.brokerVersions.set(k.apiKey, { min: k.minVersion, max: k.maxVersion });
  }

  /** The newest version both sides speak, or throws when there is none. */
  version(apiKey: number, ourMax?: number): number {
    const codec = apiCodecs.get(apiKey);
    const broker = this.brokerVersions.get(apiKey);
    if (!codec || !broker) throw new Error(`the broker does not serve ${codec?.name ?? apiKey}`);
    const v = Math.min(ourMax ?? codec.maxVersion, codec.maxVersion, broker.max);
    if (v < broker.min || v < codec.minVersion) throw new Error(`no common version of ${codec.name}`);
    return v;
  }

  #encode(apiKey: number, apiVersion: number, correlationId: number, body: unknown): Buffer {
    const w = new Writer(256);
    const at = w.reserveInt32();
    encodeRequestHeader(w, { apiKey, apiVersion, correlationId, clientId: this.#clientId });
    apiCodecs.get(apiKey)!.encodeRequest(w, apiVersion, body);
    w.patchInt32(at, w.position - at - 4);
    return w.finish();
  }

  /**
   * Sends a request and resolves with its decoded answer. `waitMs` is how long the broker may
   * rightly hold the request (a Fetch's maxWaitMs, a JoinGroup's rebalance timeout): it is added
   * to the request timeout.
   */
  request<T>(apiKey: number, apiVersion: number, body: unknown, options: { waitMs?: number } = {}): Promise<T> {
    if (this.#closedError) return Promise.reject(this.#closedError);
    const correlationId = this.#nextCorrelationId++;
    const frame = this.#encode(apiKey, apiVersion, correlationId, body);
    return new Promise<T>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      if (this.#requestTimeoutMs !== undefined) {
        const limit = this.#requestTimeoutMs + (options.waitMs ?? 0);
        timer = setTimeout(() => {
          const name = apiCodecs.get(apiKey)?.name ?? `API ${apiKey}`;
          // As Kafka's clients do on a request timeout: the connection is closed, so no late
          // answer can be taken for a later request's.
          this.#fail(new ConnectionError(this.#address, 'ETIMEDOUT', `${this.#address} accepted the connection but did not answer ${name} within ${formatMs(limit)} (--request-timeout); is it a Kafka broker, and is it overloaded?`));
          this.#socket.destroy();
        }, limit);
      }
      this.#inFlight.set(correlationId, { apiKey, apiVersion, resolve: resolve as (v: unknown) => void, reject, timer });
      this.#socket.write(frame);
    });
  }

  /** For requests the broker does not answer (Produce with acks=0). Resolves once written. */
  send(apiKey: number, apiVersion: number, body: unknown): Promise<void> {
    if (this.#closedError) return Promise.reject(this.#closedError);
    const frame = this.#encode(apiKey, apiVersion, this.#nextCorrelationId++, body);
    return new Promise((resolve, reject) => this.#socket.write(frame, (err) => (err ? reject(err) : resolve())));
  }

  #onData(chunk: Buffer): void {
    for (const event of this.#frames.push(chunk)) {
      if (event.kind !== 'frame') {
        this.#fail(event.size === HTTP_AS_FRAME_SIZE
          ? new ConnectionError(this.#address, 'EHTTP', `${this.#address} answered in HTTP: it looks like an HTTP server (the broker's HTTP port?), not a Kafka port`)
          : new ConnectionError(this.#address, 'EPROTO', `${this.#address} sent a frame of ${event.size} bytes: it does not speak the Kafka protocol`));
        this.#socket.destroy();
        return;
      }
      const r = new Reader(event.frame);
      const correlationId = r.int32();
      const pending = this.#inFlight.get(correlationId);
      if (!pending) continue;
      this.#inFlight.delete(correlationId);
      clearTimeout(pending.timer);
      try {
        if (responseHeaderVersion(pending.apiKey, pending.apiVersion) >= 1) r.skipTaggedFields();
        pending.resolve(apiCodecs.get(pending.apiKey)!.decodeResponse(r, pending.apiVersion));
      } catch (err) {
        pending.reject(err as Error);
      }
    }
  }

  #fail(err: Error): void {
    if (!this.#closedError) this.#closedError = err;
    for (const p of this.#inFlight.values()) {
      clearTimeout(p.timer);
      p.reject(this.#closedError);
    }
    this.#inFlight.clear();
  }

  close(): void {
    this.#closedError ??= new Error('connection closed by the client');
    this.#socket.destroy();
  }
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

/** Parses "host:port" (IPv6 as "[::1]:9092"). */
export function parseHostPort(text: string, defaultPort = 9092): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:]+)(?::(\d+))?$/.exec(text);
  if (!m) throw new Error(`not a host:port: ${text}`);
  return { host: m[1]!, port: m[2] ? Number(m[2]) : defaultPort };
}
