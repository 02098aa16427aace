// A tiny in-memory ObjectStore for the tiering tests of arch/tier-core, until the real S3 server
// helper lands: bytes in a Map, with switches to make it fail like an unreachable store.
import { readFile } from 'node:fs/promises';
import { ObjectStoreError, type ObjectInfo, type ObjectStore } from '../../src/object-store/object-store.ts';

export class MemoryObjectStore implements ObjectStore {
  readonly objects = new Map<string, Buffer>();
  /** When set, every operation fails as 'unavailable'. */
  down = false;
  gets = 0;
  puts = 0;

  #check(): void {
    if (this.down) throw new ObjectStoreError('unavailable', 'store is down (test switch)');
  }

  async putBytes(key: string, body: Uint8Array): Promise<void> {
    this.#check();
    this.puts++;
    this.objects.set(key, Buffer.from(body));
  }

  async putFile(key: string, filePath: string, length: number): Promise<void> {
    this.#check();
    const bytes = await readFile(filePath);
    this.puts++;
    this.objects.set(key, bytes.subarray(0, length));
  }

  async getRange(key: string, start: number, length: number): Promise<Buffer> {
    this.#check();
    this.gets++;
    const bytes = this.objects.get(key);
    if (!bytes) throw new ObjectStoreError('not-found', `no object ${key}`);
    return Buffer.from(bytes.subarray(start, start + length));
  }

  async get(key: string): Promise<Buffer | null> {
    this.#check();
    this.gets++;
    const bytes = this.objects.get(key);
    return bytes ? Buffer.from(bytes) : null;
  }

  async head(key: string): Promise<ObjectInfo | null> {
    this.#check();
    const bytes = this.objects.get(key);
    return bytes ? { key, size: bytes.length } : null;
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    this.#check();
    for (const key of [...this.objects.keys()].sort()) if (key.startsWith(prefix)) yield { key, size: this.objects.get(key)!.length };
  }

  async delete(keys: readonly string[]): Promise<void> {
    this.#check();
    for (const key of keys) this.objects.delete(key);
  }

  async close(): Promise<void> {}

  keys(prefix = ''): string[] {
    return [...this.objects.keys()].filter((k) => k.startsWith(prefix)).sort();
  }
}
