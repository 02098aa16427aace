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
}

export class KafkaConnection {
  readonly #socket: net.Socket;
  readonly #inFlight = new Map<number, InFlight>();
  readonly #frames = new FrameSplitter(1024 * 1024 * 1024);
  readonly #clientId: string;
  #nextCorrelationId = 1;
  #closedError: Error | null = null;
  /** The broker's version ranges, once negotiated. */
  readonly brokerVersions = new Map<number, { min: number; max: number }>();

  private constructor(socket: net.Socket, clientId: string) {
    this.#socket = socket;
    this.#clientId = clientId;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.#fail(err));
    socket.on('close', () => this.#fail(new Error('connection closed')));
  }

  static async connect(host: string, port: number, options: { clientId?: string; negotiate?: boolean } = {}): Promise<KafkaConnection> {
    const socket = net.connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    const connection = new KafkaConnection(socket, options.clientId ?? 'highwater-cli');
    if (options.negotiate !== false) await connection.negotiate();
    return connection;
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

  request<T>(apiKey: number, apiVersion: number, body: unknown): Promise<T> {
    if (this.#closedError) return Promise.reject(this.#closedError);
    const correlationId = this.#nextCorrelationId++;
    const frame = this.#encode(apiKey, apiVersion, correlationId, body);
    return new Promise<T>((resolve, reject) => {
      this.#inFlight.set(correlationId, { apiKey, apiVersion, resolve: resolve as (v: unknown) => void, reject });
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
        this.#fail(new Error(`bad frame size ${event.size}`));
        this.#socket.destroy();
        return;
      }
      const r = new Reader(event.frame);
      const correlationId = r.int32();
      const pending = this.#inFlight.get(correlationId);
      if (!pending) continue;
      this.#inFlight.delete(correlationId);
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
    for (const p of this.#inFlight.values()) p.reject(err);
    this.#inFlight.clear();
  }

  close(): void {
    this.#closedError ??= new Error('connection closed by the client');
    this.#socket.destroy();
  }
}

/** Parses "host:port" (IPv6 as "[::1]:9092"). */
export function parseHostPort(text: string, defaultPort = 9092): { host: string; port: number } {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(text) ?? /^([^:]+)(?::(\d+))?$/.exec(text);
  if (!m) throw new Error(`not a host:port: ${text}`);
  return { host: m[1]!, port: m[2] ? Number(m[2]) : defaultPort };
}
