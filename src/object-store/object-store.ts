// The storage interface tiered storage (issue 17) is written against: the few operations an
// S3-compatible bucket offers that the tiering code needs. The S3 backend (AWS SDK v3) and the
// in-memory store for unit tests implement it; a GCS or Azure backend would too.
//
// Keys are relative to the store's configured path prefix. Every operation may throw an
// ObjectStoreError; `kind` says whether retrying can help, so callers retry with backoff only
// on 'unavailable' and 'throttled'.

export type ObjectStoreErrorKind =
  | 'unavailable' // connection refused, reset, timed out, 5xx: the store may come back
  | 'throttled' // 503 SlowDown, 429: back off harder
  | 'not-found' // the key does not exist (getRange, head on a missing key)
  | 'denied' // 401/403: credentials or policy; retrying does not help
  | 'invalid'; // anything else the store refused (4xx): a bug or a misconfiguration

export class ObjectStoreError extends Error {
  readonly kind: ObjectStoreErrorKind;
  constructor(kind: ObjectStoreErrorKind, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'ObjectStoreError';
    this.kind = kind;
  }

  get retriable(): boolean {
    return this.kind === 'unavailable' || this.kind === 'throttled';
  }
}

export interface ObjectInfo {
  readonly key: string;
  readonly size: number;
}

export interface ObjectStore {
  /** Stores bytes under key, replacing any object there. Resolves once the store confirmed it. */
  putBytes(key: string, body: Uint8Array, signal?: AbortSignal): Promise<void>;
  /**
   * Stores `length` bytes of a local file from position 0, streaming it (multipart above the
   * backend's part size), so a 1 GiB segment never sits in memory whole. The file must not
   * change while it is uploaded: tiering only uploads rolled, synced segments.
   */
  putFile(key: string, filePath: string, length: number, signal?: AbortSignal): Promise<void>;
  /** Bytes [start, start + length) of an object; fewer only at the object's end. */
  getRange(key: string, start: number, length: number, signal?: AbortSignal): Promise<Buffer>;
  /** The whole object, or null when it does not exist. For manifests and small indexes. */
  get(key: string, signal?: AbortSignal): Promise<Buffer | null>;
  /** Size of the object, or null when it does not exist. */
  head(key: string, signal?: AbortSignal): Promise<ObjectInfo | null>;
  /** Every object whose key starts with prefix, in key order, paging as the backend needs. */
  list(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectInfo>;
  /** Deletes the keys; a key that does not exist is not an error. */
  delete(keys: readonly string[], signal?: AbortSignal): Promise<void>;
  /** Releases sockets and agents. */
  close(): Promise<void>;
}
