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
}

export interface HttpBrokerView {
  /** True once every partition is recovered and the listener accepts. */
  readonly ready: boolean;
  readonly log: Logger;
  readonly metrics: BrokerMetrics;
  readonly metadata: { readonly topics: Iterable<{ name: string }> };
  partitions(topicName: string): readonly (PartitionSlotView | undefined)[] | undefined;
  partition(topicName: string, partition: number): PartitionSlotView | undefined;
  readonly watermarks: {
    highWatermark(slot: number): bigint;
    logStartOffset(slot: number): bigint;
    logEndBytes(slot: number): bigint;
    dirtyRatio(slot: number): number;
    lastCleanMs(slot: number): number;
  };
  readonly shards: ShardsView;
  /** Looked up on every use: opened during start-up, closed at stop. */
  readonly groupCoordinator: CoordinatorReadApi | undefined;
}
