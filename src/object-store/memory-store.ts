// An ObjectStore held in a Map, for unit tests only (the integration tests use a real S3 server).
// It keeps the contract the S3 backend keeps (copies in and out, key order in list, a missing key
// deleted without error) and has a switch that makes it fail like an unreachable store.
import { open } from 'node:fs/promises';
import { ObjectStoreError, type ObjectInfo, type ObjectStore } from './object-store.ts';

export class MemoryObjectStore implements ObjectStore {
  readonly #objects = new Map<string, Buffer>();
  /** While set, every operation fails as 'unavailable'. */
  down = false;

  #check(key?: string, signal?: AbortSignal): void {
    signal?.throwIfAborted();
    if (this.down) throw new ObjectStoreError('unavailable', 'memory store: down (test switch)');
    if (key === '') throw new ObjectStoreError('invalid', 'object key is empty');
  }

  async putBytes(key: string, body: Uint8Array, signal?: AbortSignal): Promise<void> {
    this.#check(key, signal);
    this.#objects.set(key, Buffer.from(body));
  }

  async putFile(key: string, filePath: string, length: number, signal?: AbortSignal): Promise<void> {
    this.#check(key, signal);
    const bytes = Buffer.alloc(length);
    const fd = await open(filePath, 'r');
    try {
      let done = 0;
      while (done < length) {
        const { bytesRead } = await fd.read(bytes, done, length - done, done);
        if (bytesRead === 0) throw new ObjectStoreError('invalid', `${filePath}: shorter than ${length} bytes`);
        done += bytesRead;
      }
    } finally {
      await fd.close();
    }
    this.#check(key, signal);
    this.#objects.set(key, bytes);
  }

  async getRange(key: string, start: number, length: number, signal?: AbortSignal): Promise<Buffer> {
    this.#check(key, signal);
    const bytes = this.#objects.get(key);
    if (bytes === undefined) throw new ObjectStoreError('not-found', `${key}: no such object`);
    return Buffer.from(bytes.subarray(start, start + Math.max(0, length)));
  }

  async get(key: string, signal?: AbortSignal): Promise<Buffer | null> {
    this.#check(key, signal);
    const bytes = this.#objects.get(key);
    return bytes === undefined ? null : Buffer.from(bytes);
  }

  async head(key: string, signal?: AbortSignal): Promise<ObjectInfo | null> {
    this.#check(key, signal);
    const bytes = this.#objects.get(key);
    return bytes === undefined ? null : { key, size: bytes.length };
  }

  async *list(prefix: string, signal?: AbortSignal): AsyncIterable<ObjectInfo> {
    this.#check(undefined, signal);
    // S3 lists in UTF-8 byte order; for the ASCII keys tiering writes that is code-unit order.
    const keys = [...this.#objects.keys()].filter((k) => k.startsWith(prefix)).sort();
    for (const key of keys) {
      const bytes = this.#objects.get(key);
      if (bytes !== undefined) yield { key, size: bytes.length };
    }
  }

  async delete(keys: readonly string[], signal?: AbortSignal): Promise<void> {
    for (const key of keys) this.#check(key, signal);
    for (const key of keys) this.#objects.delete(key);
  }

  async close(): Promise<void> {}
}
