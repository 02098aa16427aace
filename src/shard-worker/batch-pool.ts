// The shard's pool for compressed-batch work: one helper thread per shard, handed every batch a
// drain parks in ONE message (DESIGN.md §1, "batch every hand-off"). Measured on this machine, a
// per-batch async zlib call costs the shard's thread more than inflating synchronously (its
// stream machinery runs on the caller), while one hop per drain of 64 batches costs it 2–7 µs a
// batch (docs/notes/validation.md). The thread owns nothing: results come back to the shard,
// which alone applies them (parked-appends.ts).
import { Worker } from 'node:worker_threads';
import type { Recompressed } from '../protocol/recompress.ts';
import type { RecordsValidation } from '../protocol/record-validation.ts';
import type { CompressionTarget } from './parked-appends.ts';

/** One batch of work, as it crosses to the pool thread. */
export interface PoolJob {
  /** null: check the records; a target: rebuild the batch with it. */
  target: CompressionTarget | null;
  batch: Uint8Array;
}

export type PoolAnswer = RecordsValidation | Recompressed;

interface Pending {
  resolve: (answers: PoolAnswer[]) => void;
  reject: (err: Error) => void;
}

export class BatchPool {
  #worker: Worker | undefined;
  #nextId = 0;
  readonly #waiting = new Map<number, Pending>();
  /** This tick's jobs, sent together once the drain that queued them has returned. */
  #group: { jobs: PoolJob[]; resolvers: Array<(a: PoolAnswer) => void>; rejecters: Array<(e: Error) => void> } | undefined;

  /** Checks a compressed batch's records on the pool thread. */
  readonly validate = (batch: Buffer): Promise<RecordsValidation> => this.#submit({ target: null, batch }) as Promise<RecordsValidation>;

  /** Rebuilds a batch with the topic's codec on the pool thread. */
  readonly recompress = (batch: Buffer, target: CompressionTarget): Promise<Recompressed> =>
    this.#submit({ target, batch }).then((a) => {
      if (!a.ok || !('batch' in a)) return a as Recompressed;
      // Structured clone hands back a Uint8Array: the shard's log wants a Buffer view.
      return { ok: true, batch: Buffer.from(a.batch.buffer, a.batch.byteOffset, a.batch.byteLength) };
    });

  /** Stops the pool thread; work still on it is answered with an error. */
  async close(): Promise<void> {
    const worker = this.#worker;
    this.#worker = undefined;
    if (worker) await worker.terminate();
  }

  #submit(job: PoolJob): Promise<PoolAnswer> {
    if (this.#group === undefined) {
      this.#group = { jobs: [], resolvers: [], rejecters: [] };
      // A drain is synchronous: every batch it parks lands in this group before the microtask runs.
      queueMicrotask(() => this.#send());
    }
    const group = this.#group;
    // Its own bytes, moved (not cloned) to the pool thread: a view would clone its whole parent buffer.
    group.jobs.push({ target: job.target, batch: new Uint8Array(job.batch) });
    return new Promise((resolve, reject) => {
      group.resolvers.push(resolve);
      group.rejecters.push(reject);
    });
  }

  #send(): void {
    const group = this.#group!;
    this.#group = undefined;
    const id = this.#nextId++;
    this.#waiting.set(id, {
      resolve: (answers) => group.resolvers.forEach((r, i) => r(answers[i]!)),
      reject: (err) => group.rejecters.forEach((r) => r(err)),
    });
    try {
      this.#thread().postMessage({ id, jobs: group.jobs }, group.jobs.map((j) => j.batch.buffer as ArrayBuffer));
    } catch (err) {
      this.#waiting.delete(id);
      group.rejecters.forEach((r) => r(err as Error));
    }
  }

  #thread(): Worker {
    if (this.#worker) return this.#worker;
    const worker = new Worker(new URL('./batch-pool-thread.ts', import.meta.url));
    // The shard's own loop keeps the process alive; an idle pool thread must not.
    worker.unref();
    worker.on('message', (m: { id: number; answers: PoolAnswer[] }) => {
      const pending = this.#waiting.get(m.id);
      this.#waiting.delete(m.id);
      pending?.resolve(m.answers);
    });
    const fail = (err: Error): void => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const pending of this.#waiting.values()) pending.reject(err);
      this.#waiting.clear();
    };
    worker.on('error', fail);
    worker.on('exit', (code) => fail(new Error(`batch pool thread exited with code ${code}`)));
    this.#worker = worker;
    return worker;
  }
}
