// The byte ring's shared-memory layout, drawn once with its named offsets, and the view both of its
// ends share: a single-producer single-consumer ring of variable-length messages on one SharedArrayBuffer.

/*
 * Layout, version 1.
 *
 *   byte 0     ┌──────────────────────────────┐
 *              │ writeIndex  (u32)            │ producer stores, consumer loads
 *   byte 64    ├──────────────────────────────┤
 *              │ readIndex   (u32)            │ consumer stores, producer loads
 *   byte 128   ├──────────────────────────────┤
 *              │ consumerSleeping (0 | 1)     │ "data" doorbell: the consumer waits on it
 *   byte 192   ├──────────────────────────────┤
 *              │ producerWaiting  (0 | 1)     │ "space" doorbell: the producer waits on it
 *   byte 256   ├──────────────────────────────┤
 *              │ data area: capacity bytes,   │
 *              │ a power of two               │
 *              └──────────────────────────────┘
 *
 * Each header word has a cache line to itself, so the producer's stores do not invalidate the
 * line the consumer stores into and the other way round.
 *
 * writeIndex and readIndex count bytes since creation and wrap at 2^32; the byte position is
 * index & (capacity - 1), and used bytes are (writeIndex - readIndex) mod 2^32. Because the
 * capacity divides 2^32, the wrap of the counters never breaks either formula.
 *
 * A frame is a 4-byte length (native byte order: both ends are threads of one process) and the
 * payload, padded to a multiple of 4:
 *
 *      ... ┌─────────┬──────────────────────┬─────┐ ┌─────────┬────── ...
 *          │ len u32 │ payload (len bytes)  │ pad │ │ len u32 │ next payload
 *      ... └─────────┴──────────────────────┴─────┘ └─────────┴────── ...
 *
 * Frames start at multiples of 4, so the length word never straddles the end of the data area;
 * the payload may. Such a payload is written in two copies (tail of the area, then the head), and
 * the consumer hands it out from a scratch copy; every other payload is handed out in place.
 * Splitting rather than skipping to the start keeps every byte usable: a message of up to
 * capacity - 4 bytes always fits in an empty ring, wherever the indexes stand.
 *
 *   data area   [ ..yload │ free ................ │ len │ pa.. ]
 *                         ^ writeIndex & mask      ^ readIndex & mask
 */
export const RING_LAYOUT_VERSION = 1;
export const RING_HEADER_BYTES = 256;
export const RING_WRITE_INDEX_BYTE_OFFSET = 0;
export const RING_READ_INDEX_BYTE_OFFSET = 64;
export const RING_CONSUMER_SLEEPING_BYTE_OFFSET = 128;
export const RING_PRODUCER_WAITING_BYTE_OFFSET = 192;
export const RING_FRAME_HEADER_BYTES = 4;
export const RING_MIN_CAPACITY = 64;
export const RING_MAX_CAPACITY = 2 ** 30;

/** The header words as Int32Array indexes. */
export const WRITE_INDEX = RING_WRITE_INDEX_BYTE_OFFSET / 4;
export const READ_INDEX = RING_READ_INDEX_BYTE_OFFSET / 4;
export const CONSUMER_SLEEPING = RING_CONSUMER_SLEEPING_BYTE_OFFSET / 4;
export const PRODUCER_WAITING = RING_PRODUCER_WAITING_BYTE_OFFSET / 4;

/**
 * The SharedArrayBuffer for a ring whose data area holds `capacityBytes` (a power of two).
 * Frames cost 4 bytes of header plus padding to 4 bytes.
 */
export function createRingBuffer(capacityBytes: number): SharedArrayBuffer {
  checkCapacity(capacityBytes);
  return new SharedArrayBuffer(RING_HEADER_BYTES + capacityBytes);
}

export function checkCapacity(capacityBytes: number): void {
  if (!Number.isInteger(capacityBytes) || capacityBytes < RING_MIN_CAPACITY || capacityBytes > RING_MAX_CAPACITY
    || (capacityBytes & (capacityBytes - 1)) !== 0) {
    throw new RangeError(`ring capacity must be a power of two in ${RING_MIN_CAPACITY}..${RING_MAX_CAPACITY}, got ${capacityBytes}`);
  }
}

export function frameBytes(payloadBytes: number): number {
  return RING_FRAME_HEADER_BYTES + ((payloadBytes + 3) & ~3);
}

export class RingView {
  readonly buffer: SharedArrayBuffer;
  /** Bytes in the data area. */
  readonly capacity: number;
  /** The largest payload a ring of this capacity can ever take. */
  readonly maxMessageBytes: number;
  protected readonly header: Int32Array;
  protected readonly data: Uint8Array;
  protected readonly dataWords: Uint32Array;
  protected readonly mask: number;

  constructor(buffer: SharedArrayBuffer) {
    const capacity = buffer.byteLength - RING_HEADER_BYTES;
    checkCapacity(capacity);
    this.buffer = buffer;
    this.capacity = capacity;
    this.maxMessageBytes = capacity - RING_FRAME_HEADER_BYTES;
    this.mask = capacity - 1;
    this.header = new Int32Array(buffer, 0, RING_HEADER_BYTES / 4);
    this.data = new Uint8Array(buffer, RING_HEADER_BYTES, capacity);
    this.dataWords = new Uint32Array(buffer, RING_HEADER_BYTES, capacity / 4);
  }

  /** Bytes taken by frames written and not yet released, headers and padding included. */
  usedBytes(): number {
    return (Atomics.load(this.header, WRITE_INDEX) - Atomics.load(this.header, READ_INDEX)) >>> 0;
  }
}

