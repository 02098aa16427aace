// kill -9 at an arbitrary point of a stream of transactions (issue 13): whatever step the broker
// was in (a transactional batch, a marker on the first partition, on the second), after the
// restart every acknowledged step is there exactly once, offsets are contiguous, committed
// transactions are visible to read_committed and aborted ones are not, and the transactions left
// open (no marker, or a marker on one partition only) hold the LSO until the coordinator's markers
// are (re)written, after which each is visible exactly once.
import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import { ErrorCode } from '../../src/protocol/errors.ts';
import { startBroker, tempDataDir } from '../helpers/broker.ts';
import { connect } from '../helpers/fetch.ts';
import { committedView, fetchIsolated, txnProducer, writeMarker } from '../helpers/txn.ts';

const CHILD = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/txn-load-child.ts');
const dirs: string[] = [];
afterAll(() => { for (const d of dirs) rmSync(d, { recursive: true, force: true }); });

/** Runs the stream until `steps` acknowledgements were printed (plus a few more in flight), then SIGKILL. */
async function runAndKill(dataDir: string, steps: number): Promise<string[]> {
  const child = spawn(process.execPath, [CHILD, dataDir], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HIGHWATER_TEST_LOG_LEVEL: 'error' } });
  const acks: string[] = [];
  let output = '';
  let partial = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child did not get far enough:\n${output}`)), 60_000);
    child.stdout!.on('data', (d: Buffer) => {
      partial += d.toString();
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const line of lines) {
        if (!line.startsWith('ACK ')) continue;
        acks.push(line.slice(4));
        if (acks.length === steps) {
          clearTimeout(timer);
          // Killed while the next step is in flight, not between steps.
          child.kill('SIGKILL');
          resolve();
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => { output += d.toString(); });
    void exited.then(() => { clearTimeout(timer); resolve(); });
  });
  await exited;
  // Lines printed before the kill landed are acknowledged too.
  for (const line of partial.split('\n')) if (line.startsWith('ACK ')) acks.push(line.slice(4));
  return acks;
}

// Each transaction is four steps: batch on 0, batch on 1, marker on 0, marker on 1.
const IN_FLIGHT = ['a batch on partition 0', 'a batch on partition 1', 'a marker on partition 0', 'a marker on partition 1'];
for (const steps of [25, 26, 23]) {
  it(`survives a kill -9 after ${steps} acknowledged steps (in flight: ${IN_FLIGHT[steps % 4]})`, async () => {
    const dataDir = tempDataDir();
    dirs.push(dataDir);
    const acks = await runAndKill(dataDir, steps);
    expect(acks.length).toBeGreaterThanOrEqual(steps);
    const b = await startBroker({ transactionPartitionVerificationEnable: false }, dataDir);
    const c = await connect(b.bootstrap);
    try {
      const lastTxn = Number(acks.at(-1)!.split(' ')[0]);
      // Every transaction that may have data in the log gets its markers (again), as a recovering
      // coordinator would: the ones acknowledged complete are untouched by a resent marker.
      for (let txn = 0; txn <= lastTxn + 1; txn++) {
        const p = txnProducer(10_000n + BigInt(txn));
        for (const partition of [0, 1]) expect((await writeMarker(b.broker, p, 'txn-load', partition, txn % 2 === 0)).errorCode).toBe(ErrorCode.NONE);
      }
      for (const partition of [0, 1]) {
        const all = await fetchIsolated(c, 'txn-load', partition, 0n, { isolationLevel: 0 });
        const values = all.records.map((r) => r.value!.toString());
        // Nothing doubled, offsets contiguous (data and markers together).
        expect(new Set(values).size).toBe(values.length);
        const offsets = [...all.records.map((r) => r.offset), ...all.markers].sort((x, y) => (x < y ? -1 : 1));
        expect(offsets).toEqual(Array.from({ length: Number(all.highWatermark) }, (_, i) => BigInt(i)));
        const committed = await fetchIsolated(c, 'txn-load', partition, 0n);
        expect(committed.lastStableOffset).toBe(committed.highWatermark);
        const visible = committedView(committed);
        for (const ack of acks) {
          const [txnText, kind, partText] = ack.split(' ');
          const txn = Number(txnText);
          if (kind !== 'data' || Number(partText) !== partition) continue;
          const mine = [`t${txn}-p${partition}-a`, `t${txn}-p${partition}-b`];
          // Acknowledged data is in the log once, and visible exactly when its transaction committed.
          for (const v of mine) expect(values.filter((x) => x === v)).toHaveLength(1);
          for (const v of mine) expect(visible.includes(v)).toBe(txn % 2 === 0);
        }
        // No aborted record is visible at all.
        expect(visible.every((v) => Number(v.slice(1, v.indexOf('-'))) % 2 === 0)).toBe(true);
      }
    } finally {
      c.close();
      await b.stop();
    }
  });
}
