// Writing a run of batch frames to a file at a position with as few writev calls as the kernel
// allows, finishing any short write: the one write path of the active segment's .log.
import { writevSync } from 'node:fs';
import { writeFully } from '../segments/segment.ts';

// Linux writev takes at most IOV_MAX (1024) buffers per call.
const MAX_IOVECS = 1024;

/** Writes `frames` back to back from `position`; returns only when every byte is written. */
export function writeFramesAt(fd: number, frames: Buffer[], position: number): void {
  let at = position;
  for (let first = 0; first < frames.length; first += MAX_IOVECS) {
    const group = frames.length <= MAX_IOVECS ? frames : frames.slice(first, first + MAX_IOVECS);
    let groupBytes = 0;
    for (const frame of group) groupBytes += frame.length;
    const written = writevSync(fd, group, at);
    if (written < groupBytes) writeRemainder(fd, group, written, at);
    at += groupBytes;
  }
}

function writeRemainder(fd: number, frames: Buffer[], alreadyWritten: number, position: number): void {
  let skip = alreadyWritten;
  let at = position + alreadyWritten;
  for (const frame of frames) {
    if (skip >= frame.length) {
      skip -= frame.length;
      continue;
    }
    writeFully(fd, frame.subarray(skip), frame.length - skip, at);
    at += frame.length - skip;
    skip = 0;
  }
}
