// A record set served straight from a segment file: (file, position, length) of whole batches,
// never read into memory. It rides in a Fetch response's records field (SplicedBytes) and is
// written to the socket by sendfile (src/acceptor/file-sender.ts); it holds a lease on the
// segment's open handle, so the fd stays open (even if retention deletes the file) until the
// connection releases it after the kernel has the bytes, or drops the response.
import { SplicedBytes } from '../protocol/spliced-bytes.ts';
import type { LeasedHandle } from './handle-cache.ts';

// The backstop for a range dropped without release() (a response lost to an exception): its lease
// is given back when the range is collected, so a handle is never held for ever.
const unreleased = new FinalizationRegistry<LeasedHandle>((lease) => lease.release());

export class FileRange extends SplicedBytes {
  /** The segment file's descriptor, valid while this range is not released. */
  readonly fd: number;
  readonly position: number;
  /** Offsets the range spans (nextOffset - firstOffset): the records-served metric's count. */
  readonly offsetCount: number;
  #lease: LeasedHandle | null;

  constructor(lease: LeasedHandle, position: number, length: number, offsetCount: number) {
    super(length);
    this.fd = lease.handle.fd;
    this.position = position;
    this.offsetCount = offsetCount;
    this.#lease = lease;
    unreleased.register(this, lease, this);
  }

  get released(): boolean {
    return this.#lease === null;
  }

  /** Gives the file handle back; idempotent. */
  release(): void {
    const lease = this.#lease;
    if (lease === null) return;
    this.#lease = null;
    unreleased.unregister(this);
    lease.release();
  }
}

/** Releases every FileRange a Fetch response (or a round of partition results) carries. */
export function releaseFileRanges(partitions: Iterable<{ records?: unknown }>): void {
  for (const p of partitions) if (p.records instanceof FileRange) p.records.release();
}

/** Releases every FileRange among an encoded response's pieces (what Writer.finishChunks() returns). */
export function releaseFileRangePieces(pieces: Iterable<unknown>): void {
  for (const p of pieces) if (p instanceof FileRange) p.release();
}
