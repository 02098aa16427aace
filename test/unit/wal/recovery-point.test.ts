import { afterEach, describe, expect, it } from 'vitest';
import { logConfig } from '../../../src/segments/log-config.ts';
import { Segment } from '../../../src/segments/segment.ts';
import { SegmentSet } from '../../../src/segments/segment-set.ts';
import { CheckpointFile, type RecoveryCheckpoint } from '../../../src/wal/checkpoint.ts';
import { RecoveryPoint } from '../../../src/wal/recovery-point.ts';
import { silentLogger, tempDir } from '../segments/batch-fixture.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

const at = (segmentBase: bigint, position: number, offset: bigint): RecoveryCheckpoint => ({ logStartOffset: 0n, segmentBase, position, offset });

function setup(): { dir: string; point: RecoveryPoint; lso: { value: bigint }; stored: () => RecoveryCheckpoint | null } {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  const lso = { value: 0n };
  const point = new RecoveryPoint(new CheckpointFile(dir), dir, at(0n, 0, 0n), () => lso.value, silentLogger);
  const stored = (): RecoveryCheckpoint | null => {
    const file = new CheckpointFile(dir);
    file.close();
    return file.loaded;
  };
  return { dir, point, lso, stored };
}

describe('RecoveryPoint', () => {
  it('moves only forward, and records the current log start offset with each move', () => {
    const { point, lso, stored } = setup();
    point.advance(at(0n, 100, 5n));
    expect(stored()).toEqual(at(0n, 100, 5n));
    point.advance(at(0n, 50, 2n));
    expect(stored()).toEqual(at(0n, 100, 5n));
    lso.value = 3n;
    point.advance(at(10n, 0, 10n));
    expect(stored()).toEqual({ logStartOffset: 3n, segmentBase: 10n, position: 0, offset: 10n });
    point.close();
  });

  it('persists a raised log start offset without moving the point', () => {
    const { point, lso, stored } = setup();
    point.advance(at(0n, 100, 5n));
    lso.value = 4n;
    point.persistLogStartOffset();
    expect(stored()).toEqual({ logStartOffset: 4n, segmentBase: 0n, position: 100, offset: 5n });
    point.close();
  });

  it('moves past a rolled segment only once its background sync is done, and not at all after close', async () => {
    const { dir, point, stored } = setup();
    const set = new SegmentSet(dir, [Segment.create(dir, 0n, 1n)], 0n, logConfig(), silentLogger);
    cleanups.push(() => set.closeDescriptors());
    point.record(at(0n, 0, 0n));
    const first = set.roll(10n, 1n);
    point.syncRolledInBackground(first.rolled, first.logDescriptor, at(10n, 0, 10n));
    expect(point.rolledPending).toBe(true);
    expect(point.anyStillPending([first.rolled])).toBe(true);
    expect(stored()).toEqual(at(0n, 0, 0n));
    await point.rolledSyncs;
    expect(point.rolledPending).toBe(false);
    expect(stored()).toEqual(at(10n, 0, 10n));

    const second = set.roll(20n, 1n);
    point.syncRolledInBackground(second.rolled, second.logDescriptor, at(20n, 0, 20n));
    point.syncRolledNow();
    expect(point.rolledPending).toBe(false);
    point.close();
    await point.rolledSyncs;
    expect(stored()).toEqual(at(10n, 0, 10n));
  });
});
