// The ObjectStore contract, run over every backend: the in-memory store, and the S3 backend
// against a real SeaweedFS (test/helpers/s3-server.ts). What tiering relies on: whole puts, ranged
// reads that are short only at the end, null for a missing key, list in key order across pages,
// deletes of missing keys that succeed, and failures classified by whether a retry can help.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryObjectStore } from '../../../src/object-store/memory-store.ts';
import { ObjectStoreError, type ObjectInfo, type ObjectStore } from '../../../src/object-store/object-store.ts';
import { S3ObjectStore, s3ErrorKind } from '../../../src/object-store/s3-store.ts';
import { freePortInRange, s3Unavailable, startS3Server, type S3Server } from '../../helpers/s3-server.ts';

async function collect(items: AsyncIterable<ObjectInfo>): Promise<ObjectInfo[]> {
  const out: ObjectInfo[] = [];
  for await (const item of items) out.push(item);
  return out;
}

async function kindOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof ObjectStoreError) return err.kind;
    throw err;
  }
  return 'no error';
}

interface Backend {
  name: string;
  /** A fresh store on an empty namespace. */
  open(prefix: string): ObjectStore;
}

function contract(backendOf: () => Backend) {
  const dir = mkdtempSync(path.join(tmpdir(), 'highwater-store-contract-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  let n = 0;
  const fresh = () => backendOf().open(`contract-${process.pid}-${Date.now()}-${n++}`);

  it('stores bytes and reads them back whole, by range and by head; a missing key is null', async () => {
    const store = fresh();
    try {
      const body = randomBytes(10_000);
      await store.putBytes('t/0/00000000000000000000.log', body);
      expect(Buffer.compare(await store.get('t/0/00000000000000000000.log') as Buffer, body)).toBe(0);
      expect(await store.head('t/0/00000000000000000000.log')).toEqual({ key: 't/0/00000000000000000000.log', size: 10_000 });
      expect(Buffer.compare(await store.getRange('t/0/00000000000000000000.log', 100, 1000), body.subarray(100, 1100))).toBe(0);
      // Short only at the end; nothing at or past it.
      expect(Buffer.compare(await store.getRange('t/0/00000000000000000000.log', 9_500, 1000), body.subarray(9_500))).toBe(0);
      expect((await store.getRange('t/0/00000000000000000000.log', 10_000, 10)).length).toBe(0);
      expect(await store.get('t/0/missing')).toBeNull();
      expect(await store.head('t/0/missing')).toBeNull();
      expect(await kindOf(store.getRange('t/0/missing', 0, 10))).toBe('not-found');
      // A put replaces.
      await store.putBytes('t/0/00000000000000000000.log', Buffer.from('short'));
      expect((await store.get('t/0/00000000000000000000.log'))?.toString()).toBe('short');
      await store.putBytes('t/0/empty', new Uint8Array(0));
      expect(await store.head('t/0/empty')).toEqual({ key: 't/0/empty', size: 0 });
    } finally {
      await store.close();
    }
  });

  it('puts the first `length` bytes of a file, below and above the multipart threshold', async () => {
    const store = fresh();
    try {
      const big = randomBytes(12 * 1024 * 1024 + 12_345);
      const file = path.join(dir, `segment-${n}.log`);
      writeFileSync(file, big);
      await store.putFile('seg/small.log', file, 4096);
      expect(Buffer.compare(await store.get('seg/small.log') as Buffer, big.subarray(0, 4096))).toBe(0);
      const length = big.length - 345; // the file may be longer than what is uploaded
      await store.putFile('seg/big.log', file, length);
      expect(await store.head('seg/big.log')).toEqual({ key: 'seg/big.log', size: length });
      const at = 5 * 1024 * 1024 - 10; // across the first part boundary
      expect(Buffer.compare(await store.getRange('seg/big.log', at, 100), big.subarray(at, at + 100))).toBe(0);
      expect(Buffer.compare(await store.get('seg/big.log') as Buffer, big.subarray(0, length))).toBe(0);
      await store.putFile('seg/empty.log', file, 0);
      expect(await store.head('seg/empty.log')).toEqual({ key: 'seg/empty.log', size: 0 });
    } finally {
      await store.close();
    }
  });

  it('lists by prefix in key order across pages and deletes in batches; missing keys delete fine', async () => {
    const store = fresh();
    try {
      const keys = Array.from({ length: 1105 }, (_, i) => `p/${String(i).padStart(20, '0')}.log`);
      for (let i = 0; i < keys.length; i += 32) {
        await Promise.all(keys.slice(i, i + 32).map((key) => store.putBytes(key, Buffer.from(key))));
      }
      await store.putBytes('q/other', Buffer.from('x'));
      const listed = await collect(store.list('p/'));
      expect(listed.map((o) => o.key)).toEqual(keys);
      expect(listed.every((o) => o.size === keys[0]!.length)).toBe(true);
      await store.delete([...keys, 'p/never-existed']);
      expect(await collect(store.list('p/'))).toEqual([]);
      expect((await collect(store.list(''))).map((o) => o.key)).toEqual(['q/other']);
      await store.delete([]);
    } finally {
      await store.close();
    }
  });

  it('keeps stores with different prefixes apart', async () => {
    const a = fresh();
    const b = fresh();
    try {
      await a.putBytes('k', Buffer.from('a'));
      await b.putBytes('k', Buffer.from('b'));
      expect((await a.get('k'))?.toString()).toBe('a');
      expect((await collect(b.list(''))).map((o) => o.key)).toEqual(['k']);
      await a.delete(['k']);
      expect((await b.get('k'))?.toString()).toBe('b');
    } finally {
      await a.close();
      await b.close();
    }
  });
}

describe('MemoryObjectStore', () => {
  const shared = new Map<string, MemoryObjectStore>();
  contract(() => ({
    name: 'memory',
    open(prefix) {
      // Same shape as a prefixed S3 store: one namespace per prefix.
      let store = shared.get(prefix);
      if (store === undefined) shared.set(prefix, store = new MemoryObjectStore());
      return store;
    },
  }));

  it('fails as unavailable while down', async () => {
    const store = new MemoryObjectStore();
    store.down = true;
    expect(await kindOf(store.putBytes('k', Buffer.from('x')))).toBe('unavailable');
    store.down = false;
    await store.putBytes('k', Buffer.from('x'));
  });
});

describe.skipIf(s3Unavailable)('S3ObjectStore against SeaweedFS', () => {
  let server: S3Server;
  beforeAll(async () => { server = await startS3Server(); }, 120_000);
  afterAll(async () => { await server?.destroy(); }, 60_000);

  contract(() => ({
    name: 's3',
    open: (prefix) => new S3ObjectStore({
      bucket: server.bucket, endpoint: server.endpoint, region: 'us-east-1',
      accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey,
      prefix: `/${prefix}/`, multipartPartBytes: 5 * 1024 * 1024, maxAttempts: 1,
    }),
  }));

  it('maps failures: wrong secret is denied, a missing bucket invalid, nothing listening unavailable', async () => {
    const wrongSecret = new S3ObjectStore({ bucket: server.bucket, endpoint: server.endpoint, region: 'us-east-1', accessKeyId: server.accessKeyId, secretAccessKey: 'wrong', maxAttempts: 1 });
    const noBucket = new S3ObjectStore({ bucket: 'no-such-bucket-here', endpoint: server.endpoint, region: 'us-east-1', accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey, maxAttempts: 1 });
    const nowhere = new S3ObjectStore({ bucket: 'b', endpoint: `http://127.0.0.1:${await freePortInRange()}`, region: 'us-east-1', accessKeyId: 'a', secretAccessKey: 'b', maxAttempts: 1, connectionTimeoutMs: 2000 });
    try {
      expect(await kindOf(wrongSecret.putBytes('k', Buffer.from('x')))).toBe('denied');
      expect(await kindOf(noBucket.getRange('k', 0, 1))).toBe('invalid');
      expect(await kindOf(nowhere.putBytes('k', Buffer.from('x')))).toBe('unavailable');
      expect(await kindOf(nowhere.get('k'))).toBe('unavailable');
    } finally {
      await Promise.all([wrongSecret.close(), noBucket.close(), nowhere.close()]);
    }
  });

  it('is unavailable while the server is down and works again once it is back', async () => {
    const store = server.store('outage');
    try {
      await store.putBytes('before', Buffer.from('kept'));
      await server.stop({ kill: true });
      expect(await kindOf(store.get('before'))).toBe('unavailable');
      expect(await kindOf(store.putBytes('during', Buffer.from('x')))).toBe('unavailable');
      await server.start();
      expect((await store.get('before'))?.toString()).toBe('kept');
      await store.putBytes('after', Buffer.from('y'));
      expect((await collect(store.list(''))).map((o) => o.key)).toEqual(['after', 'before']);
    } finally {
      await store.close();
    }
  }, 120_000);
});

describe('s3ErrorKind', () => {
  it('classifies S3 answers and socket errors', () => {
    const answer = (name: string, status: number) => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status } });
    expect(s3ErrorKind(answer('SlowDown', 503))).toBe('throttled');
    expect(s3ErrorKind(answer('TooManyRequests', 429))).toBe('throttled');
    expect(s3ErrorKind(answer('InternalError', 500))).toBe('unavailable');
    expect(s3ErrorKind(answer('ServiceUnavailable', 503))).toBe('unavailable');
    expect(s3ErrorKind(answer('NoSuchKey', 404))).toBe('not-found');
    expect(s3ErrorKind(answer('NotFound', 404))).toBe('not-found');
    expect(s3ErrorKind(answer('NoSuchBucket', 404))).toBe('invalid');
    expect(s3ErrorKind(answer('AccessDenied', 403))).toBe('denied');
    expect(s3ErrorKind(answer('InvalidArgument', 400))).toBe('invalid');
    expect(s3ErrorKind(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }))).toBe('unavailable');
    expect(s3ErrorKind(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }))).toBe('unavailable');
    expect(s3ErrorKind(Object.assign(new Error('timed out'), { name: 'TimeoutError' }))).toBe('unavailable');
  });
});
