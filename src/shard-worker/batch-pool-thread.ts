// The pool thread behind batch-pool.ts: takes a drain's compressed batches in one message, checks
// each synchronously (the cheapest way to inflate here) or rebuilds it with the topic's codec,
// and answers them in one message, in order. It owns no partition and writes nothing.
import { parentPort } from 'node:worker_threads';
import { recompressBatchAsync } from '../protocol/recompress.ts';
import { validateBatchRecords } from '../protocol/record-validation.ts';
import type { PoolAnswer, PoolJob } from './batch-pool.ts';
import { PARTITION_LEADER_EPOCH } from './shard-options.ts';

function asBuffer(b: Uint8Array): Buffer {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength);
}

async function run(job: PoolJob): Promise<PoolAnswer> {
  try {
    if (job.target === null) return validateBatchRecords(asBuffer(job.batch), 0);
    return await recompressBatchAsync(asBuffer(job.batch), { codec: job.target.codec, level: job.target.level, partitionLeaderEpoch: PARTITION_LEADER_EPOCH, keyRequired: job.target.keyRequired === true });
  } catch (err) {
    return { ok: false, error: 'UNKNOWN_SERVER_ERROR', reason: (err as Error).message };
  }
}

parentPort!.on('message', (m: { id: number; jobs: PoolJob[] }) => {
  void Promise.all(m.jobs.map(run)).then((answers) => {
    // Rebuilt batches are moved back, not cloned, each in its own buffer (Node's pooled slab
    // cannot be transferred).
    const out = answers.map((a) => ('batch' in a && a.ok ? { ok: true as const, batch: new Uint8Array(a.batch) } : a));
    parentPort!.postMessage({ id: m.id, answers: out }, out.flatMap((a) => ('batch' in a ? [a.batch.buffer as ArrayBuffer] : [])));
  });
});
