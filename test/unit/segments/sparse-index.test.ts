import { describe, expect, it } from 'vitest';
import { OffsetIndexEntries, encodeOffsetIndexEntry } from '../../../src/segments/offset-index.ts';
import { TimeIndexEntries, encodeTimeIndexEntry } from '../../../src/segments/time-index.ts';

function offsetEntries(pairs: Array<[number, number]>): Buffer {
  const buf = Buffer.alloc(pairs.length * 8);
  pairs.forEach(([relativeOffset, position], i) => encodeOffsetIndexEntry(buf, i * 8, relativeOffset, position));
  return buf;
}

function timeEntries(pairs: Array<[bigint, number]>): Buffer {
  const buf = Buffer.alloc(pairs.length * 12);
  pairs.forEach(([timestamp, relativeOffset], i) => encodeTimeIndexEntry(buf, i * 12, timestamp, relativeOffset));
  return buf;
}

describe('OffsetIndexEntries', () => {
  it('grows past its initial capacity and finds the floor entry of any offset', () => {
    const index = new OffsetIndexEntries();
    for (let i = 0; i < 1000; i++) index.append(i * 10, i * 4096);
    expect(index.count).toBe(1000);
    expect(index.floor(-1)).toBe(-1);
    expect(index.floor(0)).toBe(0);
    expect(index.floor(9)).toBe(0);
    expect(index.floor(5555)).toBe(555);
    expect(index.floorPosition(5555)).toBe(555 * 4096);
    expect(index.floorPosition(1_000_000)).toBe(999 * 4096);
    expect(index.relativeOffsetAt(999)).toBe(9990);
    expect(index.positionAt(999)).toBe(999 * 4096);
  });

  it('takes the consistent prefix of encoded entries: increasing, below the log size, whole', () => {
    const index = new OffsetIndexEntries();
    const bytes = offsetEntries([[0, 0], [5, 100], [9, 200], [8, 300], [20, 400]]);
    expect(index.appendEncoded(bytes)).toBe(3 * 8);
    expect(index.count).toBe(3);
    // A position past the log's size ends the prefix, and so does a torn last entry.
    expect(new OffsetIndexEntries().appendEncoded(offsetEntries([[0, 0], [5, 100]]), 100)).toBe(8);
    expect(new OffsetIndexEntries().appendEncoded(offsetEntries([[0, 0], [5, 100]]).subarray(0, 13))).toBe(8);
    // Appending continues from the entries already held.
    expect(index.appendEncoded(offsetEntries([[9, 250]]))).toBe(0);
    expect(index.appendEncoded(offsetEntries([[10, 250]]))).toBe(8);
  });
});

describe('TimeIndexEntries', () => {
  it('grows, finds the floor entry of a timestamp and reports the largest one', () => {
    const index = new TimeIndexEntries();
    expect(index.lastTimestamp).toBe(-1n);
    for (let i = 0; i < 200; i++) index.append(1_000n + BigInt(i) * 100n, i * 3);
    expect(index.count).toBe(200);
    expect(index.floor(999n)).toBe(-1);
    expect(index.floor(1_050n)).toBe(0);
    expect(index.floor(1_100n)).toBe(1);
    expect(index.timestampAt(199)).toBe(20_900n);
    expect(index.relativeOffsetAt(199)).toBe(597);
    expect(index.lastTimestamp).toBe(20_900n);
  });

  it('takes the consistent prefix: timestamps strictly increasing, offsets non-decreasing and below the limit', () => {
    const index = new TimeIndexEntries();
    expect(index.appendEncoded(timeEntries([[10n, 0], [20n, 0], [30n, 5], [30n, 6]]))).toBe(3 * 12);
    expect(new TimeIndexEntries().appendEncoded(timeEntries([[10n, 3], [20n, 2]]))).toBe(12);
    expect(new TimeIndexEntries().appendEncoded(timeEntries([[10n, 3], [20n, 9]]), 9)).toBe(12);
    expect(new TimeIndexEntries().appendEncoded(timeEntries([[10n, -1]]))).toBe(0);
  });
});
