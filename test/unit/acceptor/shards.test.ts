// ShardPool, the main thread's side of the shards, against one real shard worker on a temp dir:
// a full ring pauses what feeds it through the Backpressure interface and resumes it once drained,
// DeleteRecords answers with a bigint log start, and a refused control request throws its Kafka code.
import { join } from 'node:path';
import { Writable } from 'node:stream';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { ShardPool, type Backpressure } from '../../../src/acceptor/shards.ts';
import { BrokerMetrics } from '../../../src/metrics.ts';
import { ErrorCode, KafkaError } from '../../../src/protocol/errors.ts';
import { WatermarkReader } from '../../../src/shared-mem/watermarks.ts';
import { silentLogger, simpleBatch, tempDir } from '../segments/batch-fixture.ts';

const RING_BYTES = 64 * 1024;

let pool: ShardPool | undefined;
let cleanup: (() => void) | undefined;
afterEach(async () => {
  await pool?.stop();
  cleanup?.();
  pool = undefined;
});

class RecordingBackpressure implements Backpressure {
  readonly events: string[] = [];
  pause(reason: string): void {
    this.events.push(`pause ${reason}`);
  }
  resume(reason: string): void {
    this.events.push(`resume ${reason}`);
  }
}

async function startPool(more: { ringInitialBytes?: number; log?: pino.Logger } = {}): Promise<{ pool: ShardPool; watermarks: WatermarkReader; dir: string }> {
  const t = tempDir();
  cleanup = t.cleanup;
  const watermarks = WatermarkReader.create(8);
  pool = new ShardPool({
    shards: 1, dataDir: t.dir, fsync: { kind: 'never' }, ringBytes: RING_BYTES, ringInitialBytes: more.ringInitialBytes, watermarks,
    log: more.log ?? silentLogger, metrics: new BrokerMetrics(), partitionsOf: () => [],
  });
  await pool.start();
  await pool.openPartition(0, { slot: 2, topic: 'orders', partition: 0, dir: join(t.dir, 'orders-0'), config: {} });
  return { pool, watermarks, dir: t.dir };
}

describe('ShardPool', () => {
  it('pauses the sender while the ring is full and resumes it once everything waiting went in', async () => {
    const { pool, watermarks } = await startPool();
    const sender = new RecordingBackpressure();
    const batch = simpleBatch(10, 1_000);
    expect(batch.length).toBeLessThan(pool.maxAppendBytes);
    // Far more than the ring holds, handed over synchronously as one busy connection would.
    const appends = Array.from({ length: 30 }, () => pool.append(0, 2, Buffer.from(batch), { backpressure: sender }));
    // The shard drains on its own thread meanwhile, so the ring may already have let some in again.
    expect(sender.events[0]).toBe('pause shard-0');
    const results = await Promise.all(appends);
    expect(results.map((r) => r.errorCode)).toEqual(Array(30).fill(ErrorCode.NONE));
    expect(results.map((r) => r.baseOffset)).toEqual(Array.from({ length: 30 }, (_, i) => BigInt(i * 10)));
    // Every pause was released, in order.
    expect(sender.events.length % 2).toBe(0);
    sender.events.forEach((e, i) => expect(e).toBe(i % 2 === 0 ? 'pause shard-0' : 'resume shard-0'));
    expect(watermarks.highWatermark(2)).toBe(300n);
    expect(pool.ringUsage(0)).toMatchObject({ waitingMessages: 0, pausedConnections: 0, capacityBytes: RING_BYTES });
  });

  it('grows a ring smaller than an append once it drains, logging the grow at info and no "ring full" warning', async () => {
    const lines: Array<{ level: number; msg: string; toBytes?: number }> = [];
    const log = pino({ level: 'info' }, new Writable({ write(chunk, _enc, done) { lines.push(JSON.parse(String(chunk))); done(); } }));
    const { pool, watermarks } = await startPool({ ringInitialBytes: 4096, log });
    expect(pool.ringUsage(0).capacityBytes).toBe(4096);
    const sender = new RecordingBackpressure();
    const small = simpleBatch(1, 100);
    const big = simpleBatch(10, 1_000);
    expect(big.length).toBeGreaterThan(4096);
    // Small appends may still be in the ring when the big one comes: it waits, then the ring grows.
    const appends = [
      ...Array.from({ length: 5 }, () => pool.append(0, 2, Buffer.from(small), { backpressure: sender })),
      pool.append(0, 2, Buffer.from(big), { backpressure: sender }),
      pool.append(0, 2, Buffer.from(small), { backpressure: sender }),
    ];
    const results = await Promise.all(appends);
    expect(results.map((r) => r.errorCode)).toEqual(Array(7).fill(ErrorCode.NONE));
    expect(results.map((r) => r.baseOffset)).toEqual([0n, 1n, 2n, 3n, 4n, 5n, 15n]);
    expect(watermarks.highWatermark(2)).toBe(16n);
    expect(pool.ringUsage(0)).toMatchObject({ capacityBytes: 16 * 1024, waitingMessages: 0, pausedConnections: 0 });
    expect(lines.filter((l) => l.msg === 'shard request ring grew').map((l) => l.toBytes)).toEqual([16 * 1024]);
    expect(lines.some((l) => l.level >= 40 || /ring full/.test(l.msg))).toBe(false);
  });

  it('copies what waits behind a full ring: the caller may reuse its buffer as soon as append returns', async () => {
    const { pool } = await startPool();
    const sender = new RecordingBackpressure();
    const reused = Buffer.from(simpleBatch(10, 1_000));
    const appends = Array.from({ length: 30 }, () => pool.append(0, 2, reused, { backpressure: sender }));
    expect(pool.ringUsage(0).waitingMessages).toBeGreaterThan(0);
    // The records after the batch header: what still waits would fail its CRC unless it was copied.
    reused.fill(0xff, 61);
    const results = await Promise.all(appends);
    expect(results.map((r) => r.errorCode)).toEqual(Array(30).fill(ErrorCode.NONE));
  });

  it('answers appends still queued or in flight with NOT_LEADER_OR_FOLLOWER when the shard dies, and empties the queue', async () => {
    const { pool } = await startPool();
    const sender = new RecordingBackpressure();
    const appends = Array.from({ length: 30 }, () => pool.append(0, 2, Buffer.from(simpleBatch(10, 1_000)), { backpressure: sender }));
    expect(pool.ringUsage(0).waitingMessages).toBeGreaterThan(0);
    await pool.crashShardForTest(0);
    const results = await Promise.all(appends);
    // Those the shard completed before it died keep their answer; the rest are retriable.
    for (const r of results) expect([ErrorCode.NONE, ErrorCode.NOT_LEADER_OR_FOLLOWER]).toContain(r.errorCode);
    expect(pool.ringUsage(0)).toMatchObject({ waitingMessages: 0, pausedConnections: 0 });
    expect(sender.events.at(-1)).toBe('resume shard-0');
  });

  it('answers DeleteRecords with the new log start as a bigint, and an out-of-range offset with its code', async () => {
    const { pool } = await startPool();
    await pool.append(0, 2, simpleBatch(8));
    expect(await pool.deleteRecords(0, 2, 5n)).toEqual({ errorCode: ErrorCode.NONE, lowWatermark: 5n });
    expect(await pool.deleteRecords(0, 2, 9n)).toEqual({ errorCode: ErrorCode.OFFSET_OUT_OF_RANGE, lowWatermark: -1n });
  });

  it('throws a refused control request as a KafkaError carrying the shard\'s code', async () => {
    const { pool } = await startPool();
    const refusal = await pool.updateConfig(0, 7, {}).catch((err: unknown) => err);
    expect(refusal).toBeInstanceOf(KafkaError);
    expect((refusal as KafkaError).code).toBe(ErrorCode.UNKNOWN_TOPIC_OR_PARTITION);
    expect((refusal as KafkaError).message).toMatch(/shard 0 update-config/);
  });
});
