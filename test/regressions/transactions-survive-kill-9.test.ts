// kill -9 of a broker in the middle of transactions (issue 13): after the restart nothing is lost or
// doubled, the open transaction is still open (LSO held at its first offset, its records hidden
// from read_committed until its marker), aborted records stay hidden (the .txnindex rebuilt, even
// when its files are deleted), and a transaction whose markers reached only some partitions
// completes when the coordinator writes the rest (a resent marker changes nothing).
import { spawn } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { startBroker, tempDataDir } from '../helpers/broker.ts';
import { connect } from '../helpers/fetch.ts';
import { committedView, fetchIsolated, listLatest, txnProducer, writeMarker } from '../helpers/txn.ts';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/txn-crash-child.ts');
const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** Runs the child's scenario to its last step, then kills it with SIGKILL. */
async function runAndKill(dataDir: string, scenario: string): Promise<string[]> {
  const child = spawn(process.execPath, [CHILD, dataDir, scenario], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HIGHWATER_TEST_LOG_LEVEL: 'error' } });
  const steps: string[] = [];
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child did not reach its last step:\n${output}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      output += d.toString();
      for (const line of d.toString().split('\n')) {
        if (!line.startsWith('STEP ')) continue;
        steps.push(line.slice(5));
        if (line === 'STEP ready') {
          clearTimeout(timer);
          resolve();
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
    void exited.then(() => { clearTimeout(timer); reject(new Error(`child exited early:\n${output}`)); });
  }).catch(async (err: unknown) => { child.kill('SIGKILL'); await exited; throw err; });
  child.kill('SIGKILL');
  await exited;
  return steps;
}

const open = txnProducer(7000n);
const committedAndPlain = ['plain-0', 'committed-1', 'committed-2'];

describe('transactions survive kill -9', () => {
  it('mid-transaction: the open transaction resumes with its LSO held, aborted records stay hidden, even with the .txnindex deleted', async () => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    expect(await runAndKill(dataDir, 'mid-transaction')).toEqual(['mid-transaction', 'ready']);
    // Recovery must rebuild what the .txnindex said from the log alone.
    for (const name of readdirSync(dataDir)) {
      if (!name.startsWith('crash-txn-')) continue;
      for (const file of readdirSync(path.join(dataDir, name))) if (file.endsWith('.txnindex')) rmSync(path.join(dataDir, name, file));
    }
    const b = await startBroker({ transactionPartitionVerificationEnable: false }, dataDir);
    const c = await connect(b.bootstrap);
    try {
      for (const partition of [0, 1]) {
        expect(await listLatest(c, 'crash-txn', partition, 0)).toBe(9n);
        expect(await listLatest(c, 'crash-txn', partition, 1)).toBe(4n);
        const all = await fetchIsolated(c, 'crash-txn', partition, 0n, { isolationLevel: 0 });
        // Every record once, offsets as written.
        expect(all.records.map((r) => [r.offset, r.value!.toString()])).toEqual([
          [0n, 'plain-0'], [1n, 'committed-1'], [2n, 'committed-2'], [3n, 'aborted-3'], [4n, 'open-4'], [5n, 'open-5'], [8n, 'plain-8'],
        ]);
        const rc = await fetchIsolated(c, 'crash-txn', partition, 0n);
        expect(rc.lastStableOffset).toBe(4n);
        expect(rc.abortedTransactions).toEqual([{ producerId: 7002n, firstOffset: 3n }]);
        expect(committedView(rc)).toEqual(committedAndPlain);
        // The coordinator ends the resumed transaction.
        expect(await writeMarker(b.broker, open, 'crash-txn', partition, true)).toEqual({ errorCode: ErrorCode.NONE, errorMessage: '' });
        const after = await fetchIsolated(c, 'crash-txn', partition, 0n);
        expect(after.lastStableOffset).toBe(10n);
        expect(committedView(after)).toEqual([...committedAndPlain, 'open-4', 'open-5', 'plain-8']);
      }
    } finally {
      c.close();
      await b.stop();
    }
  });

  it('between markers on different partitions: the partition without its marker stays unstable until it is written; a resent marker changes nothing', async () => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    expect(await runAndKill(dataDir, 'between-markers')).toEqual(['mid-transaction', 'between-markers', 'ready']);
    const b = await startBroker({ transactionPartitionVerificationEnable: false }, dataDir);
    const c = await connect(b.bootstrap);
    try {
      expect(await listLatest(c, 'crash-txn', 0, 1)).toBe(10n);
      expect(await listLatest(c, 'crash-txn', 1, 1)).toBe(4n);
      expect(committedView(await fetchIsolated(c, 'crash-txn', 0, 0n))).toEqual([...committedAndPlain, 'open-4', 'open-5', 'plain-8']);
      expect(committedView(await fetchIsolated(c, 'crash-txn', 1, 0n))).toEqual(committedAndPlain);
      // The coordinator, recovering, writes the commit to every partition of the transaction again.
      for (const partition of [0, 1]) expect((await writeMarker(b.broker, open, 'crash-txn', partition, true)).errorCode).toBe(ErrorCode.NONE);
      expect(await listLatest(c, 'crash-txn', 0, 1)).toBe(11n);
      expect(await listLatest(c, 'crash-txn', 1, 1)).toBe(10n);
      for (const partition of [0, 1]) {
        expect(committedView(await fetchIsolated(c, 'crash-txn', partition, 0n))).toEqual([...committedAndPlain, 'open-4', 'open-5', 'plain-8']);
      }
    } finally {
      c.close();
      await b.stop();
    }
  });
});
