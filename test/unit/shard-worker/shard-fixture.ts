// Test helper: a ShardCore in-process on a temp dir, with real PartitionLogs, a real WatermarkWriter
// on a real SharedArrayBuffer (read back through a WatermarkReader), a fake clock, and drains run
// in the worker's order; plus real record batches and a partition whose disk is full.
import { rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import type { FsyncPolicy } from '../../../src/config.ts';
import { buildRecordBatch } from '../../../src/protocol/records.ts';
import { partitionDirName } from '../../../src/segments/layout.ts';
import type { LogConfig } from '../../../src/segments/log-config.ts';
import {
  MESSAGE_APPEND, decodeCompletion, type AppendCompletion, type ControlCompletion, type ControlRequest, type OpenPartitionRequest,
} from '../../../src/shared-mem/shard-messages.ts';
import { ShardStats } from '../../../src/shared-mem/shard-stats.ts';
import type { TxnMarker } from '../../../src/shared-mem/txn-marker.ts';
import { WatermarkReader, WatermarkWriter } from '../../../src/shared-mem/watermarks.ts';
import type { CompressedValidator, Recompressor } from '../../../src/shard-worker/parked-appends.ts';
import { ShardCore, type ShardClock, type ShardCoreOptions } from '../../../src/shard-worker/shard.ts';
import { PartitionLog } from '../../../src/wal/partition-log.ts';
import { silentLogger, tempDir } from '../segments/batch-fixture.ts';

/** Before the real time, so a fresh segment is never "older than segment.ms" by accident. */
export const START_WALL_MS = 1_700_000_000_000n;

export class FakeClock implements ShardClock {
  wall = START_WALL_MS;
  monotonic = 1_000;
  wallMs(): bigint {
    return this.wall;
  }
  monotonicMs(): number {
    return this.monotonic;
  }
  advance(ms: number): void {
    this.wall += BigInt(ms);
    this.monotonic += ms;
  }
}

export type Completion = ({ type: typeof MESSAGE_APPEND } & AppendCompletion) | ({ type: 2 } & ControlCompletion);

export interface ShardHarness {
  core: ShardCore;
  reader: WatermarkReader;
  clock: FakeClock;
  stats: ShardStats;
  dir: string;
  /** The log each slot was last opened with. */
  logs: Map<number, PartitionLog>;
  /** Every completion sent, decoded, in the order the core sent it. */
  sent: Completion[];
  /** Called as each completion is sent, before the next one (to look at what was published by then). */
  onSend: ((c: Completion) => void) | undefined;
  /** Slots whose log is opened on a full disk (writes fail with ENOSPC). */
  fullDisk: Set<number>;
  open(slot: number, config?: Record<string, string>): ControlCompletion;
  control(request: ControlRequest): ControlCompletion;
  /**
   * One ring drain, as worker.ts runs it: the appends, writeStaged, flush, commit; then the same
   * for parked appends as their compressed-batch checks come back, until none is parked.
   */
  drain(appends: Array<{ slot: number; records: Buffer; flags?: number }>): Promise<AppendCompletion[]>;
  /** One drain holding a transaction marker for `slot` (after `appends`, in the same drain): its completion. */
  marker(slot: number, marker: TxnMarker, appends?: Array<{ slot: number; records: Buffer }>): Promise<ControlCompletion>;
  cleanup(): void;
}

export function shardHarness(options: { fsync?: FsyncPolicy; retentionCheckMs?: number; validateCompressed?: CompressedValidator; recompress?: Recompressor; cleaner?: ShardCoreOptions['cleaner']; openBudgetMs?: number } = {}): ShardHarness {
  const { dir, cleanup } = tempDir();
  const reader = WatermarkReader.create(16);
  const clock = new FakeClock();
  const stats = new ShardStats();
  const logs = new Map<number, PartitionLog>();
  const sent: Completion[] = [];
  let nextRequestId = 1;
  const fullDisk = new Set<number>();
  const openLog = (request: OpenPartitionRequest, config: LogConfig): PartitionLog => {
    const o = { dir, topic: request.topic, partition: request.partition, config, logger: silentLogger };
    if (fullDisk.has(request.slot)) pointActiveSegmentAtFullDisk(o);
    const log = PartitionLog.open(o);
    logs.set(request.slot, log);
    return log;
  };
  const h: ShardHarness = {
    reader, clock, stats, dir, logs, sent, fullDisk, onSend: undefined,
    core: new ShardCore({
      watermarks: new WatermarkWriter(reader.buffer),
      openLog,
      clock,
      logger: silentLogger,
      fsync: options.fsync ?? { kind: 'always' },
      retentionCheckMs: options.retentionCheckMs ?? 30_000,
      stats,
      validateCompressed: options.validateCompressed,
      recompress: options.recompress,
      cleaner: options.cleaner,
      // open() answers in the same turn unless a test asks for the queue of opens (shard-control.test.ts).
      openBudgetMs: options.openBudgetMs ?? Infinity,
      sendCompletion: (message) => {
        const c = decodeCompletion(message) as Completion;
        sent.push(c);
        h.onSend?.(c);
      },
    }),
    open(slot, config = {}) {
      return h.control({ op: 'open', slot, topic: 'orders', partition: slot, dir: join(dir, `orders-${slot}`), config });
    },
    control(request) {
      const requestId = nextRequestId++;
      // As the worker does: a request left in the ring (a commit was pending) runs again once
      // commit() has finished what was before it.
      for (let attempt = 0; !h.core.control(requestId, request); attempt++) {
        if (attempt >= 3) throw new Error(`control request ${requestId} still waits for a commit`);
        h.core.commit();
      }
      h.core.commit();
      const c = sent.find((s) => s.requestId === requestId);
      if (!c || c.type === MESSAGE_APPEND) throw new Error(`no control completion for request ${requestId}`);
      return c;
    },
    async drain(appends) {
      const first = sent.length;
      for (const a of appends) h.core.append(nextRequestId++, a.slot, a.flags ?? 0, a.records);
      h.core.writeStaged();
      await h.core.flush();
      h.core.commit();
      // Then, as the worker's loop does, whatever comes back from the compressed-batch checks.
      while (h.core.parkedAppends > 0) {
        await h.core.nextPoolResult();
        h.core.applyParked();
        h.core.writeStaged();
        await h.core.flush();
        h.core.commit();
      }
      return sent.slice(first).filter((c): c is Completion & AppendCompletion => c.type === MESSAGE_APPEND);
    },
    async marker(slot, marker, appends = []) {
      for (const a of appends) h.core.append(nextRequestId++, a.slot, 0, a.records);
      const requestId = nextRequestId++;
      h.core.control(requestId, { op: 'write-marker', slot, ...marker });
      h.core.writeStaged();
      await h.core.flush();
      h.core.commit();
      while (h.core.parkedAppends > 0) {
        await h.core.nextPoolResult();
        h.core.applyParked();
        h.core.writeStaged();
        await h.core.flush();
        h.core.commit();
      }
      const c = sent.find((s) => s.requestId === requestId);
      if (!c || c.type === MESSAGE_APPEND) throw new Error(`no marker completion for request ${requestId}`);
      return c;
    },
    cleanup() {
      h.core.closeAll();
      cleanup();
    },
  };
  return h;
}

/**
 * Leaves the partition's active segment pointing at /dev/full: created cleanly and empty, then its
 * .log replaced by a link to the device, so the next open succeeds and every write gets ENOSPC.
 */
function pointActiveSegmentAtFullDisk(o: { dir: string; topic: string; partition: number; config: LogConfig; logger: typeof silentLogger }): void {
  PartitionLog.open(o).close();
  const logPath = join(o.dir, partitionDirName(o.topic, o.partition), '00000000000000000000.log');
  rmSync(logPath);
  symlinkSync('/dev/full', logPath);
}

export interface BatchOptions {
  count?: number;
  valueBytes?: number;
  producerId?: bigint;
  producerEpoch?: number;
  baseSequence?: number;
  transactional?: boolean;
}

/** A real RecordBatch v2, built by the protocol's own encoder, as a client would send it. */
export function batch(o: BatchOptions = {}): Buffer {
  const count = o.count ?? 1;
  return buildRecordBatch({
    baseTimestamp: START_WALL_MS,
    producerId: o.producerId,
    producerEpoch: o.producerEpoch,
    baseSequence: o.baseSequence,
    transactional: o.transactional,
    records: Array.from({ length: count }, (_, i) => ({ key: null, value: Buffer.alloc(o.valueBytes ?? 20, i), timestamp: START_WALL_MS + BigInt(i) })),
  });
}

