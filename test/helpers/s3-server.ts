// A real S3 server (SeaweedFS, built by scripts/s3-server/install.sh) for a test: started on a
// free block of ports in this suite's range on a temp data dir, stopped, or stopped for a while and
// started again on the same data dir (the outage tests). Suites skip only when the binary is absent
// and HIGHWATER_REQUIRE_S3 is unset; CI sets it, so there a missing server fails the suite.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { S3ObjectStore } from '../../src/object-store/s3-store.ts';

const run = promisify(execFile);
const scriptsDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'scripts', 's3-server');

/** Ports 22000-22999 belong to these tests; a server takes a block of 8 (start.sh). */
const RANGE_FIRST = 22000;
const RANGE_LAST = 22999;
const BLOCK = 8;

/** The weed binary: HIGHWATER_WEED, or where install.sh caches it (its pinned version). */
export function weedBinary(): string | null {
  const fromEnv = process.env.HIGHWATER_WEED;
  if (fromEnv !== undefined && fromEnv !== '') return existsSync(fromEnv) ? fromEnv : null;
  const script = readFileSync(path.join(scriptsDir, 'install.sh'), 'utf8');
  const version = process.env.SEAWEEDFS_VERSION ?? /SEAWEEDFS_VERSION:-([^}]+)\}/.exec(script)?.[1];
  if (version === undefined) return null;
  const cache = process.env.HIGHWATER_CACHE_DIR ?? path.join(homedir(), '.cache', 'highwater');
  const bin = path.join(cache, 'seaweedfs', version, 'weed');
  return existsSync(bin) ? bin : null;
}

const required = (process.env.HIGHWATER_REQUIRE_S3 ?? '') !== '';
/** True when S3 suites must skip: no binary and CI did not demand one. */
export const s3Unavailable = weedBinary() === null && !required;
if (s3Unavailable) {
  console.warn('S3 tests skipped: no SeaweedFS binary (run scripts/s3-server/install.sh, or set HIGHWATER_REQUIRE_S3=1 to fail instead)');
}

function portFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** A free port in this suite's range (for brokers started beside an S3 server). */
export async function freePortInRange(count = 1): Promise<number> {
  const blocks = Math.floor((RANGE_LAST - RANGE_FIRST + 1) / count);
  for (let attempt = 0; attempt < 200; attempt++) {
    const first = RANGE_FIRST + Math.floor(Math.random() * blocks) * count;
    let free = true;
    for (let p = first; p < first + count && free; p++) free = await portFree(p);
    if (free) return first;
  }
  throw new Error(`no ${count} free consecutive ports in ${RANGE_FIRST}-${RANGE_LAST}`);
}

export interface S3Server {
  readonly endpoint: string;
  readonly port: number;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  readonly dataDir: string;
  /** An S3ObjectStore on this server's bucket (closed by the caller). */
  store(prefix?: string): S3ObjectStore;
  /** Stops the server (SIGTERM, or SIGKILL with kill), keeping the data dir. */
  stop(options?: { kill?: boolean }): Promise<void>;
  /** Starts it again on the same port and data dir; waits until the bucket answers. */
  start(): Promise<void>;
  /** Stops it, waits `seconds`, starts it again. */
  outage(seconds: number, options?: { kill?: boolean }): Promise<void>;
  /** Stops it and deletes the data dir. */
  destroy(): Promise<void>;
}

export async function startS3Server(options: { bucket?: string } = {}): Promise<S3Server> {
  const weed = weedBinary();
  if (weed === null) {
    throw new Error('no SeaweedFS binary: run scripts/s3-server/install.sh (HIGHWATER_REQUIRE_S3 is set, so S3 tests fail rather than skip)');
  }
  const bucket = options.bucket ?? 'highwater';
  const dataDir = mkdtempSync(path.join(tmpdir(), 'highwater-s3-'));
  const accessKeyId = 'highwater-test';
  const secretAccessKey = 'highwater-test-secret';
  let port = 0;

  const startOn = async (p: number) => {
    await run('bash', [path.join(scriptsDir, 'start.sh'), '--port', String(p), '--data-dir', dataDir, '--bucket', bucket,
      '--access-key', accessKeyId, '--secret-key', secretAccessKey, '--weed', weed, '--max-volumes', '24'], { timeout: 120_000 });
  };
  const stop = async (opts: { kill?: boolean } = {}) => {
    await run('bash', [path.join(scriptsDir, 'stop.sh'), '--data-dir', dataDir, ...(opts.kill === true ? ['--kill'] : [])], { timeout: 60_000 });
  };

  // Another test file may take the same block between the check and weed's bind: try others.
  let lastError: unknown;
  for (let attempt = 0; attempt < 4 && port === 0; attempt++) {
    const candidate = await freePortInRange(BLOCK);
    try {
      await startOn(candidate);
      port = candidate;
    } catch (err) {
      lastError = err;
      await stop().catch(() => {});
    }
  }
  if (port === 0) {
    rmSync(dataDir, { recursive: true, force: true });
    const stderr = (lastError as { stderr?: string } | undefined)?.stderr ?? String(lastError);
    throw new Error(`SeaweedFS did not start: ${stderr}`);
  }

  const endpoint = `http://127.0.0.1:${port}`;
  return {
    endpoint, port, bucket, accessKeyId, secretAccessKey, dataDir,
    store: (prefix = '') => new S3ObjectStore({ bucket, endpoint, region: 'us-east-1', accessKeyId, secretAccessKey, prefix, requestTimeoutMs: 10_000, maxAttempts: 2 }),
    stop,
    start: () => startOn(port),
    async outage(seconds, opts = {}) {
      await stop(opts);
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
      await startOn(port);
    },
    async destroy() {
      await stop().catch(() => {});
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
