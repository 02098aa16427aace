// Shared by the Node.js compatibility drivers: arguments, the records every driver writes, their
// verification and the PASS/FAIL/SKIP lines of docs/compat.md.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { parseArgs } from 'node:util';

export const RECORDS = 5000;
export const PARTITIONS = 3;
export const GROUP_PARTITIONS = 4;
export const GROUP_RECORDS_PER_PARTITION = 100;
export const GROUP_COMMIT_OFFSET = 50;
export const LONG_POLL_MAX_WAIT_MS = 5000;
export const CODECS = ['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const;
export type Codec = (typeof CODECS)[number];
export const ACKS = [0, 1, -1] as const;
/** Exit code of a driver whose client is not installed (the runner reports "not installed"). */
export const NOT_INSTALLED_EXIT = 3;

export const ALL_SCENARIOS = [
  'metadata',
  ...CODECS.map((codec) => `produce-consume-${codec}`),
  'list-offsets',
  'idempotent',
  'long-poll',
  'transactions',
  'group-resume-1',
];

/** The transactions scenario (docs/compat.md): input records, the aborted ones, partitions. */
export const TXN_INPUT = 300;
export const TXN_ABORTED = 10;
export const TXN_PARTITIONS = 3;

/** A record of the transactions scenario's output topic as read back. */
export interface TxnRecord {
  partition: number;
  key: string;
  value: string;
}

/**
 * The output of the transactions scenario: every input record transformed exactly once (value
 * + "-out", same partition), the committed "tail" record written after the abort, and the aborted
 * records only when read_uncommitted.
 */
export function checkTxnOutput(records: TxnRecord[], withAborted: boolean): void {
  const what = withAborted ? 'read_uncommitted' : 'read_committed';
  const seen = new Set<string>();
  let aborted = 0;
  for (const record of records) {
    if (seen.has(record.key)) throw new Check(`${what}: key ${record.key} read twice`);
    seen.add(record.key);
    if (record.key.startsWith('aborted-')) {
      aborted++;
      continue;
    }
    if (record.key === 'tail') continue;
    const i = Number(record.key.slice('key-'.length));
    if (record.value !== `${value(i).toString()}-out`) throw new Check(`${what}: value of ${record.key} differs`);
    if (record.partition !== i % TXN_PARTITIONS) throw new Check(`${what}: ${record.key} in partition ${record.partition}`);
  }
  expect(`${what}: aborted records`, aborted, withAborted ? TXN_ABORTED : 0);
  expect(`${what}: records`, records.length, TXN_INPUT + 1 + (withAborted ? TXN_ABORTED : 0));
  if (!seen.has('tail')) throw new Check(`${what}: the committed record after the abort was not read`);
}

const PAD = '0123456789'.repeat(8);

export const key = (i: number): Buffer => Buffer.from(`key-${i}`);
export const value = (i: number): Buffer => Buffer.from(`value-${i}-${PAD}`);
export const headers = (i: number, client: string): Array<[string, Buffer]> => [
  ['index', Buffer.from(String(i))],
  ['client', Buffer.from(client)],
];
export const acksName = (acks: number): string => (acks === -1 ? 'all' : String(acks));

/** A record as read back, whatever the client's own type. */
export interface ReadRecord {
  offset: bigint;
  key: Buffer | null | undefined;
  value: Buffer | null | undefined;
  headers: Array<[string, Buffer]>;
}

export class Skip extends Error {
  override name = 'Skip';
}
export class Check extends Error {
  override name = 'Check';
}

export function expect(what: string, got: unknown, want: unknown): void {
  if (String(got) !== String(want)) throw new Check(`${what}: got ${String(got)}, expected ${String(want)}`);
}

/** Every record exactly once, in order per partition, with key, value and headers intact. */
export function verify(byPartition: Map<number, ReadRecord[]>, count: number, partitions: number, client: string): void {
  let total = 0;
  for (let p = 0; p < partitions; p++) {
    const records = byPartition.get(p) ?? [];
    const expected = Math.floor((count - p + partitions - 1) / partitions);
    if (records.length !== expected) throw new Check(`partition ${p}: ${records.length} records, expected ${expected}`);
    records.forEach((record, j) => {
      const i = j * partitions + p;
      if (record.offset !== BigInt(j)) throw new Check(`partition ${p}: record ${j} has offset ${record.offset}`);
      if (!key(i).equals(record.key ?? Buffer.alloc(0)) || !value(i).equals(record.value ?? Buffer.alloc(0))) {
        throw new Check(`partition ${p} offset ${j}: key ${String(record.key)} differs from record ${i}`);
      }
      const want = headers(i, client);
      const same =
        record.headers.length === want.length &&
        want.every(([name, bytes], h) => record.headers[h]![0] === name && bytes.equals(record.headers[h]![1]));
      if (!same) throw new Check(`partition ${p} offset ${j}: headers differ`);
    });
    total += records.length;
  }
  if (total !== count) throw new Check(`${total} records read, expected ${count}`);
}

export interface DriverArgs {
  bootstrap: string;
  scenario: string;
  prefix: string;
}

export function driverArgs(): DriverArgs {
  const { values } = parseArgs({
    options: {
      bootstrap: { type: 'string', default: '127.0.0.1:9092' },
      scenario: { type: 'string', default: 'all' },
      'topic-prefix': { type: 'string', default: 'compat-node' },
    },
  });
  return { bootstrap: values.bootstrap, scenario: values.scenario, prefix: values['topic-prefix'] };
}

/** The installed version of a package, found from its entry point (some do not export package.json). */
export function packageVersion(name: string): string {
  const require = createRequire(import.meta.url);
  let dir = dirname(require.resolve(name));
  while (dir !== dirname(dir)) {
    try {
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === name) return pkg.version ?? 'unknown';
    } catch {
      // No package.json at this level: keep walking up.
    }
    dir = dirname(dir);
  }
  return 'unknown';
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const result = await probe();
      if (result !== undefined) return result;
    } catch (error) {
      lastError = error;
    }
    await sleep(100);
  }
  throw new Check(`${what} after ${timeoutMs} ms${lastError ? `: ${(lastError as Error).message}` : ''}`);
}

export type Scenarios = Record<string, (args: DriverArgs) => Promise<string>>;

/** Prints the versions, then one result line per scenario; exits when done (clients keep timers). */
export async function runDriver(versions: string[], scenarios: Scenarios): Promise<never> {
  const args = driverArgs();
  for (const version of versions) console.log(`VERSION ${version}`);
  const names = args.scenario === 'all' ? ALL_SCENARIOS : args.scenario.split(',');
  for (const name of names) {
    const run = scenarios[name];
    try {
      if (!run) throw new Skip('unknown scenario');
      const detail = await run(args);
      console.log(`PASS ${name}${detail ? `: ${detail}` : ''}`);
    } catch (error) {
      if (error instanceof Skip) {
        console.log(`SKIP ${name}: ${error.message}`);
      } else {
        console.error(error);
        const reason = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
        console.log(`FAIL ${name}: ${reason.replace(/\n/g, ' ')}`);
      }
    }
  }
  process.exit(0);
}
