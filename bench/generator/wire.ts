// The load generator's connection: pre-encoded request frames written as they are, answers matched
// by correlation id, many in flight. Lighter than src/client/kafka-connection.ts on the hot path:
// no per-request encoding and no promise per request.
import net from 'node:net';
import { Reader, Writer } from '../../src/protocol/primitives.ts';
import { encodeRequestHeader, responseHeaderVersion } from '../../src/protocol/headers.ts';
import { apiCodecs } from '../../src/protocol/generated/index.ts';
import { FrameSplitter } from '../../src/protocol/frames.ts';

/** Where the correlation id sits in a request frame: after size, api key and api version. */
export const CORRELATION_ID_POSITION = 8;

export const BENCH_CLIENT_ID = 'highwater-bench';

export type ResponseHandler = (response: unknown, error: Error | null) => void;

interface Pending {
  apiKey: number;
  apiVersion: number;
  onResponse: ResponseHandler;
  sentAt: number;
}

/** A request unanswered this long fails the connection, so a broker that stops answering ends the run instead of hanging it. */
export const BENCH_REQUEST_TIMEOUT_MS = 30_000;
export const BENCH_CONNECT_TIMEOUT_MS = 10_000;

/** A whole request frame (size prefix included) with correlation id 0, to be patched per send. */
export function encodeRequestFrame(apiKey: number, apiVersion: number, body: unknown, clientId = BENCH_CLIENT_ID): Buffer {
  const w = new Writer(1024);
  const at = w.reserveInt32();
  encodeRequestHeader(w, { apiKey, apiVersion, correlationId: 0, clientId });
  apiCodecs.get(apiKey)!.encodeRequest(w, apiVersion, body);
  w.patchInt32(at, w.position - at - 4);
  return Buffer.from(w.finish());
}

export class PipelinedConnection {
  readonly #socket: net.Socket;
  readonly #pending = new Map<number, Pending>();
  readonly #frames = new FrameSplitter(1024 * 1024 * 1024);
  #nextCorrelationId = 1;
  #error: Error | null = null;
  /** Called once when the connection fails or closes, after pending handlers got the error. */
  onClose: ((error: Error) => void) | null = null;

  readonly #watchdog: NodeJS.Timeout;

  private constructor(socket: net.Socket, address: string, requestTimeoutMs: number) {
    this.#socket = socket;
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => this.#onData(chunk));
    socket.on('error', (err) => this.#fail(err));
    socket.on('close', () => this.#fail(new Error('connection closed')));
    // The oldest request is the first in the map (insertion order): one look per second is enough.
    this.#watchdog = setInterval(() => {
      const oldest = this.#pending.values().next();
      if (!oldest.done && performance.now() - oldest.value.sentAt > requestTimeoutMs) {
        this.#fail(new Error(`${address} did not answer a request within ${requestTimeoutMs / 1000} s`));
        this.#socket.destroy();
      }
    }, 1000);
    this.#watchdog.unref();
  }

  static async connect(host: string, port: number, requestTimeoutMs = BENCH_REQUEST_TIMEOUT_MS, connectTimeoutMs = BENCH_CONNECT_TIMEOUT_MS): Promise<PipelinedConnection> {
    const socket = net.connect({ host, port });
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(new Error(`cannot connect to ${host}:${port}: no answer within ${connectTimeoutMs / 1000} s`));
      }, connectTimeoutMs);
      socket.once('connect', () => { clearTimeout(timer); resolve(); });
      socket.once('error', (err) => { clearTimeout(timer); reject(err); });
    });
    return new PipelinedConnection(socket, `${host}:${port}`, requestTimeoutMs);
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  get failed(): Error | null {
    return this.#error;
  }

  /**
   * Patches a fresh correlation id into `frame` and writes it. The frame must not be changed until
   * the answer (or, with `onResponse` null, the write callback) says the socket is done with it.
   */
  sendFrame(frame: Buffer, apiKey: number, apiVersion: number, onResponse: ResponseHandler | null, onWritten?: () => void): void {
    if (this.#error) {
      onResponse?.(null, this.#error);
      return;
    }
    const correlationId = this.#nextCorrelationId++;
    if (this.#nextCorrelationId > 0x7fffffff) this.#nextCorrelationId = 1;
    frame.writeInt32BE(correlationId, CORRELATION_ID_POSITION);
    if (onResponse) this.#pending.set(correlationId, { apiKey, apiVersion, onResponse, sentAt: performance.now() });
    this.#socket.write(frame, onWritten ? () => onWritten() : undefined);
  }

  request<T>(apiKey: number, apiVersion: number, body: unknown): Promise<T> {
    const frame = encodeRequestFrame(apiKey, apiVersion, body);
    return new Promise<T>((resolve, reject) => {
      this.sendFrame(frame, apiKey, apiVersion, (response, error) => (error ? reject(error) : resolve(response as T)));
    });
  }

  #onData(chunk: Buffer): void {
    for (const event of this.#frames.push(chunk)) {
      if (event.kind !== 'frame') {
        this.#fail(new Error(`bad response frame size ${event.size}`));
        this.#socket.destroy();
        return;
      }
      const r = new Reader(event.frame);
      const correlationId = r.int32();
      const pending = this.#pending.get(correlationId);
      if (!pending) continue;
      this.#pending.delete(correlationId);
      let response: unknown;
      try {
        if (responseHeaderVersion(pending.apiKey, pending.apiVersion) >= 1) r.skipTaggedFields();
        response = apiCodecs.get(pending.apiKey)!.decodeResponse(r, pending.apiVersion);
      } catch (err) {
        pending.onResponse(null, err as Error);
        continue;
      }
      pending.onResponse(response, null);
    }
  }

  #fail(err: Error): void {
    clearInterval(this.#watchdog);
    if (this.#error) return;
    this.#error = err;
    const pending = [...this.#pending.values()];
    this.#pending.clear();
    for (const p of pending) p.onResponse(null, err);
    this.onClose?.(err);
  }

  /** Resolves once everything written has been handed to the kernel. */
  async drainWrites(): Promise<void> {
    if (this.#error || this.#socket.writableLength === 0) return;
    await new Promise<void>((resolve) => this.#socket.write(Buffer.alloc(0), () => resolve()));
  }

  close(): void {
    clearInterval(this.#watchdog);
    this.#error ??= new Error('connection closed by the bench');
    this.#socket.destroy();
  }
}
