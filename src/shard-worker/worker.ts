// A shard worker thread: a thin adapter from its rings to a ShardCore (shard.ts), the only writer of
// its partitions' logs and watermark slots. Each turn drains the request ring, writes what was
// staged before releasing the ring space, syncs (group commit), publishes, and completes.
import { setOpenLogLimit } from '../wal/open-logs.ts';
import { workerData, parentPort } from 'node:worker_threads';
import pino from 'pino';
import { openShardRings } from '../shared-mem/ring.ts';
import { WatermarkWriter } from '../shared-mem/watermarks.ts';
import { MESSAGE_APPEND, SHARD_MESSAGE_FORMAT_VERSION, decodeRequest, type WorkerInit } from '../shared-mem/shard-messages.ts';
import { ShardStats } from '../shared-mem/shard-stats.ts';
import { PartitionLog } from '../wal/partition-log.ts';
import { BatchPool } from './batch-pool.ts';
import { CleanerPool } from './cleaner-pool.ts';
import { ShardCore, systemClock } from './shard.ts';

const init = workerData as WorkerInit;
const log = pino({ level: init.logLevel, base: { shard: init.shardId } });

async function run(): Promise<void> {
  if (init.messageFormatVersion !== SHARD_MESSAGE_FORMAT_VERSION) {
    // Both ends are the same code base today; this catches a pool and a worker from different builds.
    parentPort!.postMessage(`shard message format ${init.messageFormatVersion} from the pool, but this worker speaks ${SHARD_MESSAGE_FORMAT_VERSION}`);
    process.exit(1);
  }
  const rings = openShardRings(init.rings);
  // Compressed-batch checks and recompression: one pool thread, one message per drain.
  if (init.openLogsPerShard !== undefined) setOpenLogLimit(init.openLogsPerShard);
  const pool = new BatchPool();
  // The log cleaner's thread (compacted topics), created on the first clean.
  const cleanerSettings = init.cleaner ?? { enabled: true, backoffMs: 15_000, ioMaxBytesPerSecond: Infinity };
  const cleanerPool = new CleanerPool(cleanerSettings.ioMaxBytesPerSecond);
  const core = new ShardCore({
    validateCompressed: pool.validate,
    recompress: pool.recompress,
    // This thread owns its partitions' slots: the one place outside tests a WatermarkWriter is made.
    watermarks: new WatermarkWriter(init.watermarks),
    openLog: (request, config) => PartitionLog.open({
      dir: init.dataDir, topic: request.topic, partition: request.partition, config,
      logger: log.child({ topic: request.topic, partition: request.partition }),
    }),
    clock: systemClock,
    logger: log,
    fsync: init.fsync,
    retentionCheckMs: init.retentionCheckMs,
    cleaner: { enabled: cleanerSettings.enabled, backoffMs: cleanerSettings.backoffMs, run: (job) => cleanerPool.run(job) },
    stats: new ShardStats(init.stats),
    // A compressed batch's check came back: turn the loop even if the ring stays empty.
    onPoolResult: () => rings.requests.interruptWait(),
    sendCompletion: (c) => {
      // The acceptor drains completions continuously; a full completion ring only waits for that.
      while (!rings.completions.tryWrite(c)) rings.completions.waitForSpace(c.byteLength, 100);
    },
  });
  const onMessage = (message: Uint8Array): void => {
    const request = decodeRequest(message);
    if (request.type === MESSAGE_APPEND) core.append(request.requestId, request.slot, request.flags, request.records);
    else core.control(request.requestId, request.request);
  };
  const writeStaged = (): void => core.writeStaged();

  // A pending Atomics.waitAsync does not keep a thread alive; this timer does, until shutdown.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  parentPort!.postMessage('ready');
  // Parked appends (compressed batches checked off this thread) are finished before stopping.
  while (!core.stopping || core.parkedAppends > 0) {
    // Between drains, never during one's fsync: what came back from the pool is staged first, as
    // it arrived before anything still in the ring.
    // Finished cleans are swapped in first: nothing is staged, everything written is published.
    core.applyCleaned();
    core.applyParked();
    // Too much parked: leave requests in the ring (producers wait for its space) until results return.
    const drained = core.backlogged ? 0 : rings.requests.drain(onMessage, Infinity, writeStaged);
    core.writeStaged();
    if (drained > 0 || core.pendingCompletions > 0) {
      await core.flush();
      core.commit();
    }
    await core.housekeeping();
    // Waiting asynchronously keeps this thread's event loop turning, which the concurrent
    // fdatasyncs of syncAll (libuv thread pool) and the compressed-batch checks need.
    if (core.backlogged || (core.stopping && core.parkedAppends > 0)) await core.nextPoolResult();
    else if (!core.stopping && !rings.requests.hasData()) await rings.requests.waitForDataAsync(core.nextWaitMs());
  }
  clearInterval(keepAlive);
  core.closeAll();
  await pool.close();
  await cleanerPool.close();
  log.debug('shard stopped');
  process.exit(0);
}

run().catch((err) => {
  log.fatal({ err }, 'shard loop failed');
  process.exit(1);
});
