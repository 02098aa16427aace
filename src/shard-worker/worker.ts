// A shard worker thread: a thin adapter from its rings to a ShardCore (shard.ts), the only writer of
// its partitions' logs and watermark slots. Each turn finishes the group commit whose sync settled
// (publish, complete), drains the request ring, writes what was staged before releasing the ring
// space, and seals what the drains since the last commit wrote into the next commit, whose sync
// runs while the following drains are written (a pipelined group commit).
import { setOpenLogLimit } from '../wal/open-logs.ts';
import { workerData, parentPort } from 'node:worker_threads';
import { createThreadLogger } from '../logger.ts';
import { openShardRings } from '../shared-mem/ring.ts';
import { WatermarkWriter } from '../shared-mem/watermarks.ts';
import { MESSAGE_APPEND, SHARD_MESSAGE_FORMAT_VERSION, decodeRequest, type WorkerInit } from '../shared-mem/shard-messages.ts';
import { ShardStats } from '../shared-mem/shard-stats.ts';
import { readFileSync } from 'node:fs';
import { PartitionLog, setSyncFaultForTests } from '../wal/partition-log.ts';
import { BatchPool } from './batch-pool.ts';
import { CleanerPool } from './cleaner-pool.ts';
import { ShardCore, systemClock } from './shard.ts';

const init = workerData as WorkerInit;
const log = createThreadLogger({ level: init.logLevel, pretty: init.logPretty ?? false, tty: init.logTty ?? false }, { shard: init.shardId });

/**
 * Group commits whose syncs may be in flight at once. 1: the drains written during a sync are
 * sealed into the next commit the moment it settles (docs/notes/storage.md has the measurements
 * of deeper pipelines). HIGHWATER_BENCH_COMMIT_DEPTH overrides it for benchmarks only.
 */
const COMMIT_DEPTH = Math.max(1, Number(process.env.HIGHWATER_BENCH_COMMIT_DEPTH ?? 1) || 1);
/**
 * Benchmarks only: HIGHWATER_BENCH_COMMIT_WAKE=settle makes the shard sleep through ring doorbells
 * while a sync is in flight (it drains what arrived when the sync settles, as the sequential loop
 * did), so the cost of waking per request under a sync can be told from the gain of overlapping.
 */
const WAKE_ONLY_ON_SETTLE = process.env.HIGHWATER_BENCH_COMMIT_WAKE === 'settle';

/**
 * Tests only: HIGHWATER_TEST_SYNC_FAULT_FILE names a file read before every group-commit fdatasync,
 * one instruction a line: "delay:<ms>" makes each sync that much slower, "fail" makes every sync
 * fail (EIO) and "fail:<topic>-<partition>" that partition's; no file leaves syncs alone.
 * Regression tests change it while a broker runs.
 */
function installSyncFault(path: string): void {
  setSyncFaultForTests(async (partitionLog) => {
    let lines: string[];
    try { lines = readFileSync(path, 'utf8').split('\n').map((l) => l.trim()); } catch { return; }
    for (const line of lines) {
      const delay = /^delay:(\d+)$/.exec(line);
      if (delay) await new Promise((resolve) => setTimeout(resolve, Number(delay[1])));
    }
    if (lines.includes('fail') || lines.includes(`fail:${partitionLog.topic}-${partitionLog.partition}`)) {
      throw Object.assign(new Error('EIO: i/o error, fdatasync (HIGHWATER_TEST_SYNC_FAULT_FILE)'), { code: 'EIO' });
    }
  });
}

async function run(): Promise<void> {
  if (init.messageFormatVersion !== SHARD_MESSAGE_FORMAT_VERSION) {
    // Both ends are the same code base today; this catches a pool and a worker from different builds.
    parentPort!.postMessage(`shard message format ${init.messageFormatVersion} from the pool, but this worker speaks ${SHARD_MESSAGE_FORMAT_VERSION}`);
    process.exit(1);
  }
  const rings = openShardRings(init.rings);
  if (process.env.HIGHWATER_TEST_SYNC_FAULT_FILE) installSyncFault(process.env.HIGHWATER_TEST_SYNC_FAULT_FILE);
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
    // A group commit's sync settled: turn the loop to publish and answer it.
    onCommitSettled: () => rings.requests.interruptWait(),
    sendCompletion: (c) => {
      // The acceptor drains completions continuously; a full completion ring only waits for that.
      while (!rings.completions.tryWrite(c)) rings.completions.waitForSpace(c.byteLength, 100);
    },
  });
  // false leaves a control request in the ring until the syncs in flight have settled (ShardCore.control).
  const onMessage = (message: Uint8Array): boolean => {
    const request = decodeRequest(message);
    if (request.type !== MESSAGE_APPEND) return core.control(request.requestId, request.request);
    core.append(request.requestId, request.slot, request.flags, request.records);
    return true;
  };
  const writeStaged = (): void => core.writeStaged();

  // A pending Atomics.waitAsync does not keep a thread alive; this timer does, until shutdown.
  const keepAlive = setInterval(() => undefined, 1 << 30);
  parentPort!.postMessage('ready');
  // Parked appends (compressed batches checked off this thread) and every commit are finished before stopping.
  while (!core.stopping || core.parkedAppends > 0 || core.commitsPending) {
    // A sync that settled: publish and answer its commit (and those behind it that settled), in order.
    core.commit();
    if (!core.commitsPending) {
      // Nothing written is unpublished and no sync is in flight: what replaces or deletes files
      // runs here (finished cleans swapped in, retention, the interval fsync).
      core.applyCleaned();
      await core.housekeeping();
    }
    // What came back from the pool arrived before anything still in the ring: staged first.
    core.applyParked();
    // Too much parked: leave requests in the ring (producers wait for its space) until results
    // return. Work that needs the pipeline empty (a control request left in the ring among them):
    // nothing more is drained until every commit is finished.
    if (!core.backlogged && !(core.wantsIdle && core.commitsPending)) rings.requests.drain(onMessage, Infinity, writeStaged);
    core.writeStaged();
    // Everything written since the last commit becomes the next one; its sync starts now unless
    // COMMIT_DEPTH syncs are in flight, and the next drains are written while it runs.
    core.startCommit(COMMIT_DEPTH);
    if (core.commitReady || (core.wantsIdle && !core.commitsPending)) continue;
    // Waiting asynchronously keeps this thread's event loop turning, which the concurrent
    // fdatasyncs (libuv thread pool) and the compressed-batch checks need; a settled sync and a
    // pool result both interrupt the ring wait.
    const syncSettled = core.syncsInFlight > 0 ? [core.nextCommitSettled()] : [];
    if (core.backlogged || (core.stopping && core.parkedAppends > 0)) await Promise.race([core.nextPoolResult(), ...syncSettled]);
    else if ((core.wantsIdle || core.stopping || (WAKE_ONLY_ON_SETTLE && syncSettled.length > 0)) && core.commitsInFlight) await core.nextCommitSettled();
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
