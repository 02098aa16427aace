// The cleaner thread behind cleaner-pool.ts: runs one cleanSegments job at a time, throttled to the
// broker's log.cleaner.io.max.bytes.per.second by sleeping (this thread may block; the shard never
// does). It owns no partition: it writes `.cleaned` files only, and the shard swaps them in.
import { parentPort } from 'node:worker_threads';
import { cleanSegments, type CleanJob, type CleanResult } from '../segments/cleaner.ts';

export interface CleanerRequest {
  id: number;
  job: Omit<CleanJob, 'throttle'>;
  /** Bytes per second read plus written; Infinity for no limit. */
  maxBytesPerSecond: number;
}

export type CleanerReply = { id: number; ok: true; result: CleanResult; elapsedMs: number } | { id: number; ok: false; message: string };

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Kafka's Throttler: sleeps whenever the bytes so far would exceed the rate since the start. */
function throttler(maxBytesPerSecond: number): ((bytes: number) => void) | undefined {
  if (!Number.isFinite(maxBytesPerSecond) || maxBytesPerSecond <= 0) return undefined;
  const start = performance.now();
  let total = 0;
  return (bytes) => {
    total += bytes;
    const dueMs = (total / maxBytesPerSecond) * 1000;
    const aheadMs = dueMs - (performance.now() - start);
    if (aheadMs > 1) Atomics.wait(sleeper, 0, 0, aheadMs);
  };
}

parentPort!.on('message', (m: CleanerRequest) => {
  const began = performance.now();
  let reply: CleanerReply;
  try {
    const result = cleanSegments({ ...m.job, throttle: throttler(m.maxBytesPerSecond) });
    reply = { id: m.id, ok: true, result, elapsedMs: performance.now() - began };
  } catch (err) {
    reply = { id: m.id, ok: false, message: (err as Error).message };
  }
  parentPort!.postMessage(reply);
});
