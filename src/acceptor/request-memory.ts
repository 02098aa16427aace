// The bound on request memory of all connections together: Kafka's `queued.max.request.bytes`
// (issue 15 defect 2). What counts: the announced size of every frame being received across
// socket reads, and the frame of every request decoded but not yet done with. When the bound is
// reached, connections stop reading until memory is released (a request finishes, a connection
// closes). As in Kafka's memory pool (SimpleMemoryPool, non-strict, SocketServer.scala), a
// reservation succeeds while anything is left, even when it is larger than what is left, so one
// request as large as the frame limit always gets through; the overshoot is at most one frame.
// FrameSplitter allocates a frame above 8 MiB as its bytes arrive until its reservation here is
// held, then once at the announced size (src/protocol/frames.ts); smaller ones at once.

export class RequestMemoryBudget {
  /** The bound in bytes; 0 or less means none (Kafka's -1 default). */
  readonly limitBytes: number;
  #used = 0;
  /** Called, once each, when memory is released below the bound. */
  #waiting = new Set<() => void>();

  constructor(limitBytes: number) {
    this.limitBytes = limitBytes;
  }

  get bounded(): boolean {
    return this.limitBytes > 0;
  }

  /** Bytes reserved or charged now. */
  get usedBytes(): number {
    return this.#used;
  }

  get exhausted(): boolean {
    return this.limitBytes > 0 && this.#used >= this.limitBytes;
  }

  /** Reserves `bytes` unless the bound is reached already (non-strict, as described above). */
  tryReserve(bytes: number): boolean {
    if (this.exhausted) return false;
    this.#used += bytes;
    return true;
  }

  /** Counts bytes already in hand (a frame read whole in one socket read): cannot be refused. */
  charge(bytes: number): void {
    this.#used += bytes;
  }

  release(bytes: number): void {
    if (bytes <= 0) return;
    this.#used -= bytes;
    if (this.#used < 0) this.#used = 0;
    if (this.#waiting.size > 0 && !this.exhausted) {
      const waiting = this.#waiting;
      this.#waiting = new Set();
      for (const wake of waiting) wake();
    }
  }

  /** Calls `wake` once memory is released below the bound; returns a cancel function. */
  whenRoom(wake: () => void): () => void {
    this.#waiting.add(wake);
    return () => this.#waiting.delete(wake);
  }

  /** Connections waiting for memory. */
  get waitingCount(): number {
    return this.#waiting.size;
  }
}
