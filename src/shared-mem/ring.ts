// A shard's pair of rings (requests acceptor -> shard, completions shard -> acceptor), each a
// single-producer single-consumer byte ring with batched doorbells (ring-layout.ts draws the layout).
import { createRingBuffer } from './ring-layout.ts';
import { RingConsumer } from './ring-consumer.ts';
import { RingProducer } from './ring-producer.ts';

export { RingConsumer } from './ring-consumer.ts';
export { RingProducer } from './ring-producer.ts';
export {
  RING_FRAME_HEADER_BYTES, RING_HEADER_BYTES, RING_LAYOUT_VERSION, RING_MAX_CAPACITY, RING_MIN_CAPACITY,
  RING_CAPACITY_BYTE_OFFSET, RING_CONSUMER_SLEEPING_BYTE_OFFSET, RING_PRODUCER_WAITING_BYTE_OFFSET, RING_VERSION_BYTE_OFFSET, RING_READ_INDEX_BYTE_OFFSET, RING_WRITE_INDEX_BYTE_OFFSET,
  createRingBuffer,
} from './ring-layout.ts';

/** A request ring's size when the caller names none (the broker's comes from --ring-bytes). */
export const DEFAULT_REQUEST_RING_BYTES = 8 * 1024 * 1024;
/**
 * Every shard's completion ring. Completions are small (~50 bytes: 1 MiB holds ~20,000) and the
 * acceptor drains them continuously, so one size serves every configuration; the shard waits for
 * space in the rare case it fills. Every byte of a ring becomes resident once it has wrapped, so
 * it is no bigger than that (8 MiB before: docs/notes/memory.md).
 */
export const COMPLETION_RING_BYTES = 1024 * 1024;

/** What the acceptor posts to a shard worker at start-up; both fields survive postMessage. */
export interface ShardRingBuffers {
  /** acceptor -> shard: produce work. */
  readonly requests: SharedArrayBuffer;
  /** shard -> acceptor: completions. */
  readonly completions: SharedArrayBuffer;
}

export interface AcceptorRings {
  readonly requests: RingProducer;
  readonly completions: RingConsumer;
}

export interface ShardRings {
  readonly requests: RingConsumer;
  readonly completions: RingProducer;
}

/**
 * A shard's rings. The request ring starts at `requestRingInitialBytes` (default: the whole
 * `requestRingBytes`) and grows by doubling up to `requestRingBytes` when a request larger than it
 * finds it empty (ring-layout.ts): every byte of a ring is resident once it has wrapped, so a ring
 * only as big as the largest request seen keeps the rest out of RSS (docs/notes/memory.md).
 */
export function createShardRingBuffers(
  requestRingBytes: number = DEFAULT_REQUEST_RING_BYTES,
  completionRingBytes: number = COMPLETION_RING_BYTES,
  requestRingInitialBytes: number = requestRingBytes,
): ShardRingBuffers {
  return {
    requests: createRingBuffer(Math.min(requestRingInitialBytes, requestRingBytes), requestRingBytes),
    completions: createRingBuffer(completionRingBytes),
  };
}

/** The main thread's ends: it writes requests and reads completions. */
export function openAcceptorRings(buffers: ShardRingBuffers): AcceptorRings {
  return { requests: new RingProducer(buffers.requests), completions: new RingConsumer(buffers.completions) };
}

/** The shard worker's ends, rebuilt from the buffers it was posted. */
export function openShardRings(buffers: ShardRingBuffers): ShardRings {
  return { requests: new RingConsumer(buffers.requests), completions: new RingProducer(buffers.completions) };
}
