// The main thread's side of the scrubber (src/scrubber/worker.ts): starts its thread, and turns
// what it finds into one log line per damaged batch, a metric and the list the dashboard shows.
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { BrokerMetrics } from '../metrics.ts';
import type { ScrubberInit, ScrubberMessage } from '../scrubber/messages.ts';

export type DamagedBatch = Extract<ScrubberMessage, { kind: 'damaged' }> & { foundAt: number };

/** The dashboard lists at most this many; the metric counts them all. */
const LISTED_DAMAGE = 100;

export class Scrubber {
  readonly #worker: Worker;
  readonly #log: Logger;
  readonly #metrics: BrokerMetrics;
  /** Damage reported so far, keyed by segment and position, so each batch is reported once. */
  readonly #seen = new Map<string, DamagedBatch>();
  #passes = 0;

  constructor(init: ScrubberInit, log: Logger, metrics: BrokerMetrics) {
    this.#log = log.child({ component: 'scrubber' });
    this.#metrics = metrics;
    this.#worker = new Worker(new URL('../scrubber/worker.ts', import.meta.url), { workerData: init, name: 'highwater-scrubber' });
    // Never keeps the process alive, and never competes with a shutdown.
    this.#worker.unref();
    this.#worker.on('message', (m: ScrubberMessage) => this.#onMessage(m));
    this.#worker.on('error', (err) => this.#log.error({ err }, 'scrubber thread failed; closed segments are no longer verified'));
    this.#log.info({ bytesPerSecond: init.bytesPerSecond }, 'scrubber verifying closed segments');
  }

  get damaged(): DamagedBatch[] {
    return [...this.#seen.values()].slice(0, LISTED_DAMAGE);
  }

  get passes(): number {
    return this.#passes;
  }

  #onMessage(m: ScrubberMessage): void {
    if (m.kind === 'progress') {
      this.#metrics.scrubbedBytes.inc(m.bytes);
      return;
    }
    if (m.kind === 'pass-done') {
      this.#passes++;
      return;
    }
    const key = `${m.topic}-${m.partition}/${m.segment}@${m.position}`;
    if (this.#seen.has(key)) return;
    this.#seen.set(key, { ...m, foundAt: Date.now() });
    this.#metrics.damagedBatches.inc({ topic: m.topic, partition: String(m.partition) });
    const { kind: _kind, ...details } = m;
    this.#log.error(details, `damaged batch in a closed segment: ${m.topic}-${m.partition} offsets ${m.baseOffset}..${m.lastOffset} (${m.reason})`);
  }

  async stop(): Promise<void> {
    await this.#worker.terminate();
  }
}
