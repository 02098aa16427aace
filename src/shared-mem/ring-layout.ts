// The byte ring's shared-memory layout, drawn once with its named offsets, and the view both of its
// ends share: a single-producer single-consumer ring of variable-length messages on one SharedArrayBuffer.

/*
 * Layout, version 2.
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
 *              │ capacity    (u32)            │ producer stores (only while the ring is empty),
 *              │ layout version (u32)         │ both ends load; version written once at creation
 *   byte 320   ├──────────────────────────────┤
 *              │ data area: capacity bytes,   │
 *              │ a power of two               │
 *              ├╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌╌┤
 *              │ room to grow, up to          │ reserved address space only (a growable
 *              │ maxCapacity bytes            │ SharedArrayBuffer): no RSS until grown into
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
 *
 * Growing (version 2). The buffer is a growable SharedArrayBuffer: it starts with an initial
 * capacity and may double up to a maximum fixed at creation (the most RSS the ring can ever take).
 * Only the producer grows it, and only when a message's frame is larger than the current capacity
 * AND the ring is empty (writeIndex == readIndex): no frame is in the data area, so no wrapped
 * frame has to move, and the consumer holds no view of one (it releases a drain's space only after
 * the drain's last callback). The producer grows the buffer, stores the new capacity word, THEN
 * writes frames and stores writeIndex; the consumer loads writeIndex at the start of every drain,
 * THEN the capacity word, so a consumer that sees a frame written after a grow also sees the new
 * capacity and rebuilds its views and mask before reading it. Bytes are addressed index & mask
 * with the counters untouched: an empty ring has no bytes whose position the new mask could move.
 * The buffer never shrinks (a growable SharedArrayBuffer cannot).
 */
export const RING_LAYOUT_VERSION = 2;
export const RING_HEADER_BYTES = 320;
export const RING_WRITE_INDEX_BYTE_OFFSET = 0;
export const RING_READ_INDEX_BYTE_OFFSET = 64;
export const RING_CONSUMER_SLEEPING_BYTE_OFFSET = 128;
export const RING_PRODUCER_WAITING_BYTE_OFFSET = 192;
export const RING_CAPACITY_BYTE_OFFSET = 256;
export const RING_VERSION_BYTE_OFFSET = 260;
export const RING_FRAME_HEADER_BYTES = 4;
export const RING_MIN_CAPACITY = 64;
export const RING_MAX_CAPACITY = 2 ** 30;

/** The header words as Int32Array indexes. */
export const WRITE_INDEX = RING_WRITE_INDEX_BYTE_OFFSET / 4;
export const READ_INDEX = RING_READ_INDEX_BYTE_OFFSET / 4;
export const CONSUMER_SLEEPING = RING_CONSUMER_SLEEPING_BYTE_OFFSET / 4;
export const PRODUCER_WAITING = RING_PRODUCER_WAITING_BYTE_OFFSET / 4;
export const CAPACITY = RING_CAPACITY_BYTE_OFFSET / 4;
export const VERSION = RING_VERSION_BYTE_OFFSET / 4;

/**
 * The SharedArrayBuffer for a ring whose data area holds `capacityBytes` (a power of two), and may
 * grow by doubling up to `maxCapacityBytes` (a power of two; default: it never grows).
 * Frames cost 4 bytes of header plus padding to 4 bytes.
 */
export function createRingBuffer(capacityBytes: number, maxCapacityBytes: number = capacityBytes): SharedArrayBuffer {
  checkCapacity(capacityBytes);
  checkCapacity(maxCapacityBytes);
  if (maxCapacityBytes < capacityBytes) throw new RangeError(`ring maximum capacity ${maxCapacityBytes} is below its initial capacity ${capacityBytes}`);
  const buffer = maxCapacityBytes > capacityBytes
    ? new SharedArrayBuffer(RING_HEADER_BYTES + capacityBytes, { maxByteLength: RING_HEADER_BYTES + maxCapacityBytes })
    : new SharedArrayBuffer(RING_HEADER_BYTES + capacityBytes);
  const header = new Int32Array(buffer, 0, RING_HEADER_BYTES / 4);
  header[CAPACITY] = capacityBytes;
  header[VERSION] = RING_LAYOUT_VERSION;
  return buffer;
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

/** The data area's most bytes: the buffer's maximum length (a growable buffer) less the header. */
function maxCapacityOf(buffer: SharedArrayBuffer): number {
  return (buffer.growable ? buffer.maxByteLength : buffer.byteLength) - RING_HEADER_BYTES;
}

export class RingView {
  readonly buffer: SharedArrayBuffer;
  /** The most bytes the data area may grow to (its capacity, for a ring that cannot grow). */
  readonly maxCapacity: number;
  /** The largest payload a ring of the maximum capacity can ever take. */
  readonly maxMessageBytes: number;
  protected readonly header: Int32Array;
  /** Bytes in the data area now; changed only by a grow (see the layout). */
  #capacity = 0;
  protected data!: Uint8Array;
  protected dataWords!: Uint32Array;
  protected mask = 0;

  constructor(buffer: SharedArrayBuffer) {
    if (buffer.byteLength < RING_HEADER_BYTES + RING_MIN_CAPACITY) throw new RangeError(`ring buffer of ${buffer.byteLength} bytes is too small`);
    this.buffer = buffer;
    this.header = new Int32Array(buffer, 0, RING_HEADER_BYTES / 4);
    const version = Atomics.load(this.header, VERSION);
    if (version !== RING_LAYOUT_VERSION) throw new RangeError(`ring layout version ${version}, expected ${RING_LAYOUT_VERSION}`);
    this.maxCapacity = maxCapacityOf(buffer);
    checkCapacity(this.maxCapacity);
    this.maxMessageBytes = this.maxCapacity - RING_FRAME_HEADER_BYTES;
    this.refreshCapacity();
  }

  /** Bytes in the data area now. */
  get capacity(): number {
    return this.#capacity;
  }

  /** Bytes taken by frames written and not yet released, headers and padding included. */
  usedBytes(): number {
    return (Atomics.load(this.header, WRITE_INDEX) - Atomics.load(this.header, READ_INDEX)) >>> 0;
  }

  /** Rebuilds the views if the capacity word moved (a grow); true if it did. */
  protected refreshCapacity(): boolean {
    const capacity = Atomics.load(this.header, CAPACITY) >>> 0;
    if (capacity === this.#capacity) return false;
    checkCapacity(capacity);
    if (capacity > this.maxCapacity || RING_HEADER_BYTES + capacity > this.buffer.byteLength) {
      throw new RangeError(`ring capacity word ${capacity} exceeds the buffer (${this.buffer.byteLength} bytes)`);
    }
    this.#capacity = capacity;
    this.mask = capacity - 1;
    this.data = new Uint8Array(this.buffer, RING_HEADER_BYTES, capacity);
    this.dataWords = new Uint32Array(this.buffer, RING_HEADER_BYTES, capacity / 4);
    return true;
  }
}
