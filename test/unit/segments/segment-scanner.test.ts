import { writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HeaderWalk, SegmentScanner } from '../../../src/segments/segment-scanner.ts';
import { simpleBatch, tempDir } from './batch-fixture.ts';

const cleanups: Array<() => void | Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});

/** A segment file of `counts.length` contiguous batches from offset 100, and a scanner over it. */
async function segment(counts: number[]): Promise<{ scanner: SegmentScanner; batches: Buffer[] }> {
  const { dir, cleanup } = tempDir();
  cleanups.push(cleanup);
  let offset = 100n;
  const batches = counts.map((count) => {
    const batch = simpleBatch(count, 50);
    batch.writeBigInt64BE(offset, 0);
    offset += BigInt(count);
    return batch;
  });
  const path = join(dir, 'segment.log');
  writeFileSync(path, Buffer.concat(batches));
  const handle = await open(path, 'r');
  cleanups.push(() => handle.close());
  return { scanner: new SegmentScanner(handle), batches };
}

describe('HeaderWalk', () => {
  it('walks contiguous headers in order and ends at the end of the bytes', async () => {
    const { scanner, batches } = await segment([1, 2, 3]);
    const walk = new HeaderWalk(scanner, 0, 100n, 1_000n, 64);
    const seen = [];
    for (let header = await walk.next(); typeof header !== 'string'; header = await walk.next()) {
      const frame = walk.loadedFrame(header) ?? (await walk.loadFrame(header));
      expect(frame?.equals(batches[seen.length]!)).toBe(true);
      seen.push([header.baseOffset, header.lastOffset]);
    }
    expect(seen).toEqual([[100n, 100n], [101n, 102n], [103n, 105n]]);
    expect(await walk.next()).toBe('end');
    expect(walk.expected).toBe(106n);
  });

  it('stops at the high watermark without reading the header there', async () => {
    const { scanner, batches } = await segment([1, 2, 3]);
    const walk = new HeaderWalk(scanner, 0, 100n, 101n, 1);
    expect(await walk.next()).toMatchObject({ baseOffset: 100n });
    expect(await walk.next()).toBe('hwm');
    // Only the first header's bytes were read.
    expect(scanner.has(batches[0]!.length, 1)).toBe(false);
  });

  it('reports a batch before the expected offset, reads one after it (a compacted gap), and refuses what is not a v2 header', async () => {
    const { scanner, batches } = await segment([2, 2]);
    expect(await new HeaderWalk(scanner, 0, 101n, 1_000n, 64).next()).toBe('gap');
    expect(await new HeaderWalk(scanner, 0, 99n, 1_000n, 64).next()).toMatchObject({ baseOffset: 100n });
    await expect(new HeaderWalk(scanner, 3, 100n, 1_000n, 64).next()).rejects.toThrow(/not a RecordBatch v2 header/);
    const second = new HeaderWalk(scanner, batches[0]!.length, 102n, 1_000n, 64);
    expect(await second.next()).toMatchObject({ baseOffset: 102n, position: batches[0]!.length });
  });
});
