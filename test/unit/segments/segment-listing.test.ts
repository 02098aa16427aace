import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { segmentBasesIn } from '../../../src/segments/layout.ts';
import { logConfig } from '../../../src/segments/log-config.ts';
import { SegmentGoneError, SegmentListing } from '../../../src/segments/segment-listing.ts';
import { PartitionLog } from '../../../src/wal/partition-log.ts';
import { simpleBatch, silentLogger, tempDir } from './batch-fixture.ts';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

function setup(): { log: PartitionLog; listing: SegmentListing; listed: Array<bigint[]> } {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const log = PartitionLog.open({ dir, topic: 'l', partition: 0, config: logConfig({ segmentBytes: 600, indexIntervalBytes: 100, retentionMs: -1 }), logger: silentLogger });
  cleanups.push(() => log.close());
  const listed: Array<bigint[]> = [];
  const listing = new SegmentListing(log.partitionDir, { maxOpenFiles: 2, maxCachedIndexes: 4, onListed: (bases) => listed.push([...bases]) });
  cleanups.push(() => listing.close());
  return { log, listing, listed };
}

describe('SegmentListing', () => {
  it('lists the segments once per segments version, and again when the version moves', async () => {
    const { log, listing, listed } = setup();
    for (let i = 0; i < 10; i++) log.append(simpleBatch(2, 40), 1n);
    await listing.ensureListed(log.segmentsVersion);
    const bases = listing.bases;
    expect(bases.length).toBe(log.segmentCount);
    expect(bases[0]).toBe(0n);
    await listing.ensureListed(log.segmentsVersion);
    expect(listed.length).toBe(1);
    for (let i = 0; i < 10; i++) log.append(simpleBatch(2, 40), 1n);
    await listing.ensureListed(log.segmentsVersion);
    expect(listed.length).toBe(2);
    expect(listing.bases.length).toBe(log.segmentCount);
    expect(listed[1]).toEqual([...listing.bases]);
  });

  it('finds a segment that rolled after the listing, and turns a deleted file into SegmentGoneError', async () => {
    const { log, listing } = setup();
    for (let i = 0; i < 4; i++) log.append(simpleBatch(2, 40), 1n);
    await listing.ensureListed(log.segmentsVersion);
    const first = listing.bases[0];
    for (let i = 0; i < 6; i++) log.append(simpleBatch(2, 40), 1n);
    const newest = segmentBasesIn(readdirSync(log.partitionDir)).at(-1)!;
    expect(listing.bases).not.toContain(newest);
    expect(await listing.segmentStartingAt(newest)).toBe(newest);
    expect(listing.bases).toContain(newest);
    expect(await listing.segmentStartingAt(newest + 1n)).toBeNull();
    expect(log.deleteRecordsBefore(log.logEndOffset).deletedSegments).toBeGreaterThan(0);
    await expect(listing.lease(first)).rejects.toBeInstanceOf(SegmentGoneError);
    const lease = await listing.lease(newest);
    lease.release();
  });

  it('starts a walk for an offset at its offset index floor entry', async () => {
    const { log, listing } = setup();
    for (let i = 0; i < 4; i++) log.append(simpleBatch(2, 40), 1n);
    await listing.ensureListed(log.segmentsVersion);
    expect(await listing.indexFloor(0n, 0n, true)).toEqual({ position: 0, offset: 0n });
    const floor = await listing.indexFloor(0n, 7n, true);
    expect(floor.offset).toBeGreaterThan(0n);
    expect(floor.offset).toBeLessThanOrEqual(7n);
    expect(floor.position).toBeGreaterThan(0);
  });
});
