// The shard worker thread refuses to start when the pool speaks another shard message format:
// it says why in its first message (the pool's start() rejects with it) and exits.
import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { createShardRingBuffers } from '../../../src/shared-mem/ring.ts';
import { SHARD_MESSAGE_FORMAT_VERSION, type WorkerInit } from '../../../src/shared-mem/shard-messages.ts';
import { ShardStats } from '../../../src/shared-mem/shard-stats.ts';
import { createWatermarkBuffer } from '../../../src/shared-mem/watermarks.ts';

describe('shard worker start-up', () => {
  it('refuses a WorkerInit from another message format version', async () => {
    const init: WorkerInit = {
      messageFormatVersion: SHARD_MESSAGE_FORMAT_VERSION + 1,
      shardId: 0, dataDir: '/nonexistent', rings: createShardRingBuffers(1024, 1024), watermarks: createWatermarkBuffer(4),
      fsync: { kind: 'never' }, logLevel: 'silent', retentionCheckMs: 30_000, stats: new ShardStats().buffer,
    };
    const worker = new Worker(new URL('../../../src/shard-worker/worker.ts', import.meta.url), { workerData: init });
    const exited = once(worker, 'exit');
    const [message] = await once(worker, 'message');
    expect(message).toBe(`shard message format ${SHARD_MESSAGE_FORMAT_VERSION + 1} from the pool, but this worker speaks ${SHARD_MESSAGE_FORMAT_VERSION}`);
    expect((await exited)[0]).toBe(1);
  });
});
