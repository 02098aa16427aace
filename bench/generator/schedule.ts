// When a throttled producer's requests are due. Latency counts from a request's due time, not its
// send, so a stalled broker cannot hide its stall by holding the generator back (coordinated
// omission). The schedule is re-based once, when measuring starts, if the warm-up left the
// producer behind: otherwise every measured latency would carry that warm-up backlog, and an e2e
// run reported produce p95 1,152 ms beside an e2e p99 of 192 ms (issue 15).

export class RateSchedule {
  readonly intervalMs: number;
  #start: number;
  #baseRequest = 0;
  #rebased = false;
  /** Requests dropped from the schedule at the end of the warm-up. */
  droppedRequests = 0;

  constructor(startAt: number, intervalMs: number) {
    this.#start = startAt;
    this.intervalMs = intervalMs;
  }

  /**
   * The due time of request number `sent` (0-based, counting every request sent so far), as seen
   * at `now`. The first call at or after `measureFrom` drops whatever the warm-up left unsent.
   */
  due(sent: number, now: number, measureFrom: number): number {
    if (!this.#rebased && now >= measureFrom) {
      this.#rebased = true;
      const behind = this.#at(sent);
      if (behind < measureFrom) {
        this.droppedRequests = Math.floor((measureFrom - behind) / this.intervalMs);
        this.#start = measureFrom;
        this.#baseRequest = sent;
      }
    }
    return this.#at(sent);
  }

  #at(sent: number): number {
    return this.#start + (sent - this.#baseRequest) * this.intervalMs;
  }
}
