// An ObjectStore on a local directory: `--remote-storage-endpoint file:///srv/objects` keeps the
// bucket as <dir>/<bucket>/<prefix>/<key>. For one machine (development, a mounted network file
// system) and for the kill -9 tests, which need a store that outlives the broker process. Each
// put is written to a temporary file, fdatasynced and renamed, so an object is whole or absent.
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { randomUUID } from 'node:crypto';
import { ObjectStoreError, type ObjectInfo, type ObjectStore } from './object-store.ts';

export class FsObjectStore implements ObjectStore {
  readonly root: string;

  constructor(root: string) {
    this.root = root;
  }

  #path(key: string): string {
    if (key === '' || key.split('/').some((part) => part === '..' || part === '.') || key.startsWith('/')) {
      throw new ObjectStoreError('invalid', `object key ${JSON.stringify(key)} is not a relative key`);
    }
    return join(this.root, ...key.split('/'));
  }

  async #atomically(key: string, write: (tmp: string) => Promise<void>): Promise<void> {
    const path = this.#path(key);
    await mkdir(dirname(path), { recursive: true });
    const tmp = `${path}.${randomUUID()}.tmp`;
    try {
      await write(tmp);
      const fd = await open(tmp, 'r+');
      try { await fd.datasync(); } finally { await fd.close(); }
      await rename(tmp, path);
    } catch (err) {
      await rm(tmp, { force: true });
      throw wrap(err);
    }
  }

  putBytes(key: string, body: Uint8Array): Promise<void> {
    return this.#atomically(key, async (tmp) => {
      const fd = await open(tmp, 'w');
      try { await fd.writeFile(body); } finally { await fd.close(); }
    });
  }

  putFile(key: string, filePath: string, length: number, signal?: AbortSignal): Promise<void> {
    return this.#atomically(key, async (tmp) => {
      if (length === 0) {
        const fd = await open(tmp, 'w');
        await fd.close();
        return;
      }
      await pipeline(createReadStream(filePath, { start: 0, end: length - 1, signal }), createWriteStream(tmp));
    });
  }

  async getRange(key: string, start: number, length: number): Promise<Buffer> {
    let fd;
    try {
      fd = await open(this.#path(key), 'r');
    } catch (err) {
      throw wrap(err);
    }
    try {
      const out = Buffer.allocUnsafe(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fd.read(out, got, length - got, start + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return out.subarray(0, got);
    } finally {
      await fd.close();
    }
  }

  async get(key: string): Promise<Buffer | null> {
    try {
      return await readFile(this.#path(key));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw wrap(err);
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    try {
      return { key, size: (await stat(this.#path(key))).size };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw wrap(err);
    }
  }

  async *list(prefix: string): AsyncIterable<ObjectInfo> {
    let entries;
    try {
      entries = await readdir(this.root, { recursive: true, withFileTypes: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw wrap(err);
    }
    const keys: ObjectInfo[] = [];
    for (const e of entries) {
      if (!e.isFile() || e.name.endsWith('.tmp')) continue;
      const key = relative(this.root, join(e.parentPath, e.name)).split(sep).join('/');
      if (key.startsWith(prefix)) keys.push({ key, size: (await stat(join(e.parentPath, e.name))).size });
    }
    keys.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    yield* keys;
  }

  async delete(keys: readonly string[]): Promise<void> {
    for (const key of keys) await rm(this.#path(key), { force: true }).catch((err: unknown) => { throw wrap(err); });
  }

  async close(): Promise<void> {}
}

function wrap(err: unknown): ObjectStoreError {
  if (err instanceof ObjectStoreError) return err;
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new ObjectStoreError('not-found', (err as Error).message, { cause: err });
  if (code === 'EACCES' || code === 'EPERM') return new ObjectStoreError('denied', (err as Error).message, { cause: err });
  return new ObjectStoreError('unavailable', (err as Error).message, { cause: err });
}
