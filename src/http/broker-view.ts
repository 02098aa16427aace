// What the HTTP side port reads from a running broker: a narrow, read-only view, satisfied by the
// broker the entry point wires up (src/acceptor/start.ts), so src/http/ never imports the acceptor.
import type { EventLoopUtilization } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { BrokerMetrics } from '../metrics.ts';
import type { ShardStats } from '../shared-mem/shard-stats.ts';
import type { CoordinatorReadApi } from './group-view.ts';

/** One partition as the operator surface sees it. */
export interface PartitionSlotView {
  partition: number;
  shard: number;
  slot: number;
}

export interface ShardsView {
  readonly size: number;
  ringUsage(shard: number): { usedBytes: number; capacityBytes: number; waitingMessages: number; pausedConnections: number };
  eventLoopUtilization(shard: number): EventLoopUtilization | undefined;
  restarts(shard: number): number;
  isRunning(shard: number): boolean;
  stats(shard: number): ShardStats;
  /** The shard thread's V8 heap; absent where the view has no threads to ask (tests' fakes). */
  heapStatistics?(shard: number): Promise<{ totalBytes: number; usedBytes: number; externalBytes: number } | undefined>;
}

/** A damaged batch the scrubber found in a closed segment (src/acceptor/scrubber.ts). */
export interface DamagedBatchView {
  topic: string;
  partition: number;
  segment: string;
  position: number;
  baseOffset: string;
  lastOffset: string;
  reason: string;
  foundAt: number;
}

export interface HttpBrokerView {
  /** True once every partition is recovered and the listener accepts. */
  readonly ready: boolean;
  /** While not ready: what the broker is doing (e.g. "recovering partitions: 3 of 10 topics opened"). */
  readonly notReadyReason?: string | null;
  /** What the background scrubber has found so far (empty when it is off or found nothing). */
  damagedBatches?(): DamagedBatchView[];
  readonly log: Logger;
  readonly metrics: BrokerMetrics;
  readonly metadata: { readonly topics: Iterable<{ name: string }> };
  partitions(topicName: string): readonly (PartitionSlotView | undefined)[] | undefined;
  partition(topicName: string, partition: number): PartitionSlotView | undefined;
  readonly watermarks: {
    highWatermark(slot: number): bigint;
    lastStableOffset(slot: number): bigint;
    logStartOffset(slot: number): bigint;
    localLogStartOffset(slot: number): bigint;
    logEndBytes(slot: number): bigint;
    dirtyRatio(slot: number): number;
    lastCleanMs(slot: number): number;
  };
  readonly shards: ShardsView;
  /** Looked up on every use: opened during start-up, closed at stop. */
  readonly groupCoordinator: CoordinatorReadApi | undefined;
}
