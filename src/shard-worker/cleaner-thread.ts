// The cleaner thread behind cleaner-pool.ts: runs one cleanSegments job at a time, throttled to the
// broker's log.cleaner.io.max.bytes.per.second by sleeping (this thread may block; the shard never
// does). It owns no partition: it writes `.cleaned` files only, and the shard swaps them in.
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
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

/**
 * Cleaning is background work: on Linux this thread lowers its own scheduling priority to the
 * lowest (nice 19; setpriority on a thread id applies to that thread only), so on a machine with
 * no idle core the shards and the acceptor get the CPU first (docs/notes/compaction.md measures it).
 * Elsewhere it runs at normal priority, and the throttle is the only brake.
 */
function lowerOwnPriority(): void {
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(threadId) && threadId > 0) setPriority(threadId, 19);
  } catch {
    // Not Linux, or no /proc: normal priority.
  }
}
lowerOwnPriority();

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
