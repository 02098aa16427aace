// The shard's cleaner: one helper thread (created on first use) that builds cleaned segment files
// off the shard's hot path, one job at a time. Measured against piscina in docs/notes/compaction.md.
// The thread never becomes a writer of live files: results come back here and the shard swaps
// them in (src/wal/cleaner-swap.ts) between drains.
import { Worker } from 'node:worker_threads';
import type { CleanJob, CleanResult } from '../segments/cleaner.ts';
import type { CleanerReply, CleanerRequest } from './cleaner-thread.ts';

export interface CleanerRun {
  result: CleanResult;
  elapsedMs: number;
}

export class CleanerPool {
  #worker: Worker | undefined;
  #nextId = 0;
  readonly #waiting = new Map<number, { resolve: (r: CleanerRun) => void; reject: (e: Error) => void }>();
  readonly #maxBytesPerSecond: number;

  constructor(maxBytesPerSecond: number) {
    this.#maxBytesPerSecond = maxBytesPerSecond;
  }

  run(job: Omit<CleanJob, 'throttle'>): Promise<CleanerRun> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#waiting.set(id, { resolve, reject });
      const request: CleanerRequest = { id, job, maxBytesPerSecond: this.#maxBytesPerSecond };
      try {
        this.#thread().postMessage(request);
      } catch (err) {
        this.#waiting.delete(id);
        reject(err as Error);
      }
    });
  }

  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker) await worker.terminate();
  }

  #thread(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL('./cleaner-thread.ts', import.meta.url));
    // The shard's loop keeps the process alive; an idle cleaner must not.
    worker.unref();
    worker.on('message', (m: CleanerReply) => {
      const pending = this.#waiting.get(m.id);
      this.#waiting.delete(m.id);
      if (!pending) return;
      if (m.ok) pending.resolve({ result: m.result, elapsedMs: m.elapsedMs });
      else pending.reject(new Error(m.message));
    });
    const fail = (err: Error): void => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const pending of this.#waiting.values()) pending.reject(err);
      this.#waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`cleaner thread exited with code ${code}`)));
    this.#worker = worker;
    return worker;
  }
}
