// The S3 backend of ObjectStore (AWS SDK for JavaScript v3): AWS S3 or any S3-compatible server
// (SeaweedFS in the tests, path-style addressing). Every SDK failure leaves this file as an
// ObjectStoreError whose kind says whether retrying can help; the mapping is in s3ErrorKind.
import { createReadStream } from 'node:fs';
import {
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { ObjectStoreError, type ObjectInfo, type ObjectStore, type ObjectStoreErrorKind } from './object-store.ts';

export interface S3StoreOptions {
  bucket: string;
  /** e.g. http://127.0.0.1:8333; empty or absent: AWS's endpoint for the region. */
  endpoint?: string;
  region: string;
  /** Both empty or absent: the SDK's default chain (AWS_ACCESS_KEY_ID, profiles, instance roles). */
  accessKeyId?: string;
  secretAccessKey?: string;
  /** Bucket in the path rather than the host name; the default when an endpoint is given. */
  forcePathStyle?: boolean;
  /** Prefix inside the bucket every key is relative to ('' or 'a/b'; slashes at the ends are dropped). */
  prefix?: string;
  /** Per-request socket timeout; a request that sees no bytes for this long fails as 'unavailable'. */
  requestTimeoutMs?: number;
  connectionTimeoutMs?: number;
  /** Sockets per endpoint (the agent's maxSockets). */
  maxSockets?: number;
  /** Attempts per request by the SDK's retry strategy, before the caller's own backoff. */
  maxAttempts?: number;
  /** putFile above this many bytes goes as a multipart upload in parts of this size (>= 5 MiB). */
  multipartPartBytes?: number;
}

/** S3's per-request limit of DeleteObjects. */
export const DELETE_BATCH_KEYS = 1000;
const MIN_PART_BYTES = 5 * 1024 * 1024;
const SILENT_LOGGER = { trace() {}, debug() {}, info() {}, warn() {}, error() {} };

export class S3ObjectStore implements ObjectStore {
  readonly bucket: string;
  readonly prefix: string;
  readonly #client: S3Client;
  readonly #partBytes: number;

  constructor(options: S3StoreOptions) {
    if (options.bucket === '') throw new ObjectStoreError('invalid', 'S3 object store: the bucket name is empty');
    this.bucket = options.bucket;
    const trimmed = (options.prefix ?? '').replace(/^\/+|\/+$/g, '');
    this.prefix = trimmed === '' ? '' : `${trimmed}/`;
    this.#partBytes = Math.max(MIN_PART_BYTES, options.multipartPartBytes ?? 16 * 1024 * 1024);
    const endpoint = options.endpoint === '' ? undefined : options.endpoint;
    const hasKeys = (options.accessKeyId ?? '') !== '' || (options.secretAccessKey ?? '') !== '';
    this.#client = new S3Client({
      region: options.region,
      endpoint,
      forcePathStyle: options.forcePathStyle ?? endpoint !== undefined,
      credentials: hasKeys ? { accessKeyId: options.accessKeyId ?? '', secretAccessKey: options.secretAccessKey ?? '' } : undefined,
      maxAttempts: options.maxAttempts ?? 3,
      // The SDK's retry middleware writes to console when no logger is given (once per failed
      // streaming upload: a flood during an outage). Failures reach the caller as ObjectStoreErrors,
      // which the tier manager logs, aggregated.
      logger: SILENT_LOGGER,
      // Checksums only where S3 requires them (DeleteObjects): S3-compatible servers differ in
      // which of the newer flexible checksums they accept, and the segment files carry CRCs anyway.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        requestTimeout: options.requestTimeoutMs ?? 30_000,
        // Without this the SDK only warns when a request exceeds requestTimeout, and a request to
        // a server that stopped answering on an open socket hangs the upload that made it.
        throwOnRequestTimeout: true,
        connectionTimeout: options.connectionTimeoutMs ?? 5_000,
        httpAgent: { maxSockets: options.maxSockets ?? 16, keepAlive: true },
        httpsAgent: { maxSockets: options.maxSockets ?? 16, keepAlive: true },
      },
    });
  }

  #key(key: string): string {
    if (key === '') throw new ObjectStoreError('invalid', 'object key is empty');
    return this.prefix + key;
  }

  async putBytes(key: string, body: Uint8Array, signal?: AbortSignal): Promise<void> {
    const Key = this.#key(key);
    try {
      await this.#client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: body, ContentLength: body.byteLength }), { abortSignal: signal });
    } catch (err) {
      throw toObjectStoreError(err, 'PutObject', Key);
    }
  }

  async putFile(key: string, filePath: string, length: number, signal?: AbortSignal): Promise<void> {
    const Key = this.#key(key);
    // createReadStream's end is inclusive; an empty file is an empty body.
    const body = () => (length === 0 ? new Uint8Array(0) : createReadStream(filePath, { start: 0, end: length - 1 }));
    try {
      if (length <= this.#partBytes) {
        await this.#client.send(new PutObjectCommand({ Bucket: this.bucket, Key, Body: body(), ContentLength: length }), { abortSignal: signal });
        return;
      }
      // Multipart: parts of #partBytes, two in flight, so a segment of any size holds at most
      // about three parts in memory. A failed upload is aborted by lib-storage (no orphan parts).
      const upload = new Upload({
        client: this.#client,
        params: { Bucket: this.bucket, Key, Body: body() },
        partSize: this.#partBytes,
        queueSize: 2,
        leavePartsOnError: false,
      });
      const onAbort = () => { void upload.abort(); };
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        if (signal?.aborted) onAbort();
        await upload.done();
      } finally {
        signal?.removeEventListener('abort', onAbort);
      }
    } catch (err) {
      throw toObjectStoreError(err, 'PutObject', Key);
    }
  }

  async getRange(key: string, start: number, length: number, signal?: AbortSignal): Promise<Buffer> {
    const Key = this.#key(key);
    if (length <= 0) {
      // Still answer not-found for a missing key, as a ranged GET would.
      if ((await this.head(key, signal)) === null) throw new ObjectStoreError('not-found', `${Key}: no such object`);
      return Buffer.alloc(0);
    }
    try {
      const res = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key, Range: `bytes=${start}-${start + length - 1}` }), { abortSignal: signal });
      return await bodyBytes(res.Body);
    } catch (err) {
      // 416: the range starts at or past the end; the interface answers "fewer bytes" (none).
      if (httpStatus(err) === 416 || errorName(err) === 'InvalidRange') return Buffer.alloc(0);
      throw toObjectStoreError(err, 'GetObject', Key);
    }
  }

  async get(key: string, signal?: AbortSignal): Promise<Buffer | null> {
    const Key = this.#key(key);
    try {
      const res = await this.#client.send(new GetObjectCommand({ Bucket: this.bucket, Key }), { abortSignal: signal });
      return await bodyBytes(res.Body);
    } catch (err) {
      const mapped = toObjectStoreError(err, 'GetObject', Key);
      if (mapped.kind === 'not-found') return null;
      throw mapped;
    }
  }

  async head(key: string, signal?: AbortSignal): Promise<ObjectInfo | null> {
    const Key = this.#key(key);
    try {
      const res = await this.#client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }), { abortSignal: signal });
      return { key, size: res.ContentLength ?? 0 };
    } catch (err) {
      const mapped = toObjectStoreError(err, 'HeadObject', Key);
      if (mapped.kind === 'not-found') return null;
      throw mapped;
    }
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectInfo> {
    let token: string | undefined;
    do {
      let res;
      try {
        res = await this.#client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken: token }), { abortSignal: signal });
      } catch (err) {
        throw toObjectStoreError(err, 'ListObjectsV2', this.prefix + prefix);
      }
      for (const object of res.Contents ?? []) {
        if (object.Key === undefined || !object.Key.startsWith(this.prefix)) continue;
        yield { key: object.Key.slice(this.prefix.length), size: object.Size ?? 0 };
      }
      token = res.IsTruncated === true ? res.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  async delete(keys: readonly string[], signal?: AbortSignal): Promise<void> {
    for (let i = 0; i < keys.length; i += DELETE_BATCH_KEYS) {
      const batch = keys.slice(i, i + DELETE_BATCH_KEYS).map((key) => ({ Key: this.#key(key) }));
      let res;
      try {
        res = await this.#client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: batch, Quiet: true } }), { abortSignal: signal });
      } catch (err) {
        throw toObjectStoreError(err, 'DeleteObjects', batch[0]!.Key);
      }
      // A missing key is not an error (S3 reports it deleted); any per-key error fails the call,
      // so the caller keeps the deletion pending and retries it.
      const failed = (res.Errors ?? []).filter((e) => e.Code !== 'NoSuchKey');
      if (failed.length > 0) {
        const first = failed[0]!;
        throw new ObjectStoreError(kindOfCode(first.Code ?? '', undefined), `DeleteObjects: ${failed.length} of ${batch.length} keys not deleted; first ${first.Key}: ${first.Code} ${first.Message ?? ''}`.trim());
      }
    }
  }

  close(): Promise<void> {
    this.#client.destroy();
    return Promise.resolve();
  }
}

async function bodyBytes(body: unknown): Promise<Buffer> {
  if (body === undefined || body === null) return Buffer.alloc(0);
  const bytes = await (body as { transformToByteArray(): Promise<Uint8Array> }).transformToByteArray();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function httpStatus(err: unknown): number | undefined {
  return (err as { $metadata?: { httpStatusCode?: number } } | null)?.$metadata?.httpStatusCode;
}

function errorName(err: unknown): string {
  if (err === null || typeof err !== 'object') return '';
  const e = err as { name?: unknown; Code?: unknown };
  return typeof e.Code === 'string' ? e.Code : typeof e.name === 'string' ? e.name : '';
}

const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN',
  'ECONNABORTED', 'ENOTFOUND', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT',
]);
const UNAVAILABLE_NAMES = new Set([
  'TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'InternalError', 'ServiceUnavailable',
  'NetworkingError', 'ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE',
]);
const THROTTLED_NAMES = new Set(['SlowDown', 'Throttling', 'ThrottlingException', 'TooManyRequests', 'TooManyRequestsException', 'RequestLimitExceeded']);
const NOT_FOUND_NAMES = new Set(['NoSuchKey', 'NotFound']);
const DENIED_NAMES = new Set(['AccessDenied', 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'ExpiredToken', 'InvalidToken', 'CredentialsProviderError']);

function kindOfCode(name: string, status: number | undefined): ObjectStoreErrorKind {
  if (THROTTLED_NAMES.has(name) || status === 429) return 'throttled';
  if (NOT_FOUND_NAMES.has(name)) return 'not-found';
  if (DENIED_NAMES.has(name) || status === 401 || status === 403) return 'denied';
  if (UNAVAILABLE_NAMES.has(name) || (status !== undefined && status >= 500)) return 'unavailable';
  // NoSuchBucket is a 404 too, but a missing bucket is a misconfiguration, not a missing key.
  if (name === 'NoSuchBucket') return 'invalid';
  if (status === 404) return 'not-found';
  return 'invalid';
}

/** Maps an SDK or socket error to an ObjectStoreError. Exported for its unit test. */
export function s3ErrorKind(err: unknown): ObjectStoreErrorKind {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'string' && UNAVAILABLE_CODES.has(code)) return 'unavailable';
  const status = httpStatus(err);
  const name = errorName(err);
  if (status === undefined && !THROTTLED_NAMES.has(name) && !NOT_FOUND_NAMES.has(name) && !DENIED_NAMES.has(name) && name !== 'NoSuchBucket') {
    // No HTTP answer at all: the request never reached a server (refused, reset, timed out).
    return 'unavailable';
  }
  return kindOfCode(name, status);
}

function toObjectStoreError(err: unknown, operation: string, key: string): ObjectStoreError {
  if (err instanceof ObjectStoreError) return err;
  // An abort the caller asked for stays an abort: it is not the store's failure.
  if (err instanceof Error && err.name === 'AbortError') throw err;
  const kind = s3ErrorKind(err);
  const status = httpStatus(err);
  const detail = err instanceof Error ? `${errorName(err) || err.name}: ${err.message}` : String(err);
  return new ObjectStoreError(kind, `${operation} ${key}: ${detail}${status !== undefined ? ` (HTTP ${status})` : ''}`, { cause: err });
}
