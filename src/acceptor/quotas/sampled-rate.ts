// A rate over sampled windows, as Kafka's metrics Rate over a SampledStat measures a quota: `samples`
// windows of `windowMs` each; samples older than samples × windowMs are dropped; the rate divides the
// recorded total by the time since the oldest live sample began, but never by less than
// (samples - 1) whole windows, so a short burst is spread over that much time (Rate.windowSize).
//
//   samples:  [ w0 | w1 | ... | w(n-1) ]   each { start, value }, the newest last
//   rate  =   Σ value / max(now - oldest.start, (n-1) × windowMs)   (per second)

export class SampledRate {
  readonly #samples: { start: number; value: number }[] = [];
  readonly #count: number;
  readonly #windowMs: number;
  lastRecordMs = 0;

  constructor(samples: number, windowMs: number) {
    this.#count = Math.max(2, samples);
    this.#windowMs = Math.max(1, windowMs);
  }

  record(value: number, nowMs: number): void {
    this.#purge(nowMs);
    const current = this.#samples.at(-1);
    if (current && nowMs < current.start + this.#windowMs) current.value += value;
    else {
      this.#samples.push({ start: nowMs, value });
      if (this.#samples.length > this.#count) this.#samples.shift();
    }
    this.lastRecordMs = nowMs;
  }

  /** The time the rate is measured over, in ms (Kafka's Rate.windowSize). */
  windowSizeMs(nowMs: number): number {
    this.#purge(nowMs);
    const oldest = this.#samples[0];
    let elapsed = oldest ? nowMs - oldest.start : 0;
    const fullWindows = Math.floor(elapsed / this.#windowMs);
    const minFullWindows = this.#count - 1;
    if (fullWindows < minFullWindows) elapsed += (minFullWindows - fullWindows) * this.#windowMs;
    return elapsed;
  }

  /** Units recorded per second. */
  rate(nowMs: number): number {
    const windowMs = this.windowSizeMs(nowMs);
    let total = 0;
    for (const s of this.#samples) total += s.value;
    return total / (windowMs / 1000);
  }

  #purge(nowMs: number): void {
    const expireBefore = nowMs - this.#count * this.#windowMs;
    while (this.#samples.length > 0 && this.#samples[0]!.start <= expireBefore) this.#samples.shift();
  }
}
