import { closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { writeFramesAt } from '../../../src/wal/write-frames.ts';
import { tempDir } from '../segments/batch-fixture.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  while (cleanups.length) cleanups.pop()!();
});

describe('writeFramesAt', () => {
  it('writes more frames than one writev takes, back to back from the position, in order', () => {
    const { dir, cleanup } = tempDir();
    cleanups.push(cleanup);
    const path = join(dir, 'frames');
    const fd = openSync(path, 'w+');
    const frames = Array.from({ length: 2500 }, (_, i) => Buffer.alloc(1 + (i % 7), i & 0xff));
    writeFramesAt(fd, [Buffer.from('head')], 0);
    writeFramesAt(fd, frames, 4);
    closeSync(fd);
    expect(readFileSync(path).equals(Buffer.concat([Buffer.from('head'), ...frames]))).toBe(true);
  });
});
