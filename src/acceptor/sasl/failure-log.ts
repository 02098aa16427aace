// The warning for failed authentications, rate-limited: a password-guessing client must not turn
// into a log flood. The first failure in a window is logged with its details; the rest are counted
// and reported with the next warning.
import type { Logger } from 'pino';

/** At most one warning per this many milliseconds. */
const WINDOW_MS = 10_000;

export class AuthenticationFailureLog {
  readonly #log: Logger;
  #lastWarnAt = -Infinity;
  #suppressed = 0;

  constructor(log: Logger) {
    this.#log = log;
  }

  failed(details: { listener: string; mechanism: string; remote: string; reason?: string }, now = performance.now()): void {
    if (now - this.#lastWarnAt < WINDOW_MS) {
      this.#suppressed += 1;
      return;
    }
    const suppressed = this.#suppressed;
    this.#suppressed = 0;
    this.#lastWarnAt = now;
    this.#log.warn({ ...details, failuresNotLogged: suppressed }, 'failed authentication');
  }
}
