// The fetch session cache's own costs: heap bytes per cached partition (the figure behind
// MAX_CACHED_PARTITIONS), and the per-request work of an incremental fetch of a 1,000-partition
// session (newContext + selectIncremental) next to the full fetch that creates one.
// Run: node --expose-gc bench/fetch-sessions.ts [--sessions 100] [--partitions 1000] [--ms 700]
import { parseArgs } from 'node:util';
import { FetchSessionCache, type FetchContext, type PartitionAnswer, type RequestPartition } from '../src/acceptor/fetch-sessions.ts';

const { values: args } = parseArgs({ options: { sessions: { type: 'string', default: '100' }, partitions: { type: 'string', default: '1000' }, ms: { type: 'string', default: '700' } } });
const sessions = Number(args.sessions);
const partitions = Number(args.partitions);
const ms = Number(args.ms);
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with node --expose-gc');

const TOPIC_ID = '5f1e3c2a-9b8d-4e7f-a6b5-c4d3e2f1a0b9';
const request = (n: number): RequestPartition[] => Array.from({ length: n }, (_, partition) => ({
  topicId: TOPIC_ID, topic: 'bench', partition, fetchOffset: 1234n, logStartOffset: -1n, partitionMaxBytes: 1 << 20, currentLeaderEpoch: -1, lastFetchedEpoch: -1,
}));
const quiet: PartitionAnswer[] = Array.from({ length: partitions }, () => ({ errorCode: 0, highWatermark: 1234n, logStartOffset: 0n, recordBytes: 0, preferredReadReplica: -1 }));

// Memory: the heap growth of `sessions` sessions of `partitions` partitions each.
const cache = new FetchSessionCache({ slots: sessions * 8, maxCachedPartitions: sessions * partitions });
gc();
const before = process.memoryUsage().heapUsed;
const ids: number[] = [];
for (let i = 0; i < sessions; i++) {
  const context = cache.newContext({ version: 13, sessionId: 0, sessionEpoch: 0, privileged: false, partitions: request(partitions), forgotten: [] }) as Extract<FetchContext, { kind: 'full' }>;
  ids.push(cache.createSession(context, quiet));
}
gc();
const perPartition = (process.memoryUsage().heapUsed - before) / (sessions * partitions);
console.log(`memory: ${sessions} sessions x ${partitions} partitions = ${cache.cachedPartitions} cached, ${perPartition.toFixed(0)} heap bytes per cached partition`);

// Per request: an incremental fetch naming no partition, its selection with nothing changed.
const id = ids[0]!;
let epoch = 1;
let count = 0;
const start = performance.now();
while (performance.now() - start < ms) {
  for (let i = 0; i < 100; i++) {
    const context = cache.newContext({ version: 13, sessionId: id, sessionEpoch: epoch, privileged: false, partitions: [], forgotten: [] });
    if (context.kind !== 'incremental') throw new Error(context.kind);
    cache.selectIncremental(context, quiet);
    epoch++;
    count++;
  }
}
const incrementalUs = ((performance.now() - start) * 1000) / count;
console.log(`incremental fetch of a ${partitions}-partition session (context + selection): ${incrementalUs.toFixed(1)} µs`);
