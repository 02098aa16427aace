// Aggregated warnings (issue 15 defect 4): a hostile or broken client can make the broker close
// thousands of connections a minute, and one warning line each fills the disk. The first
// occurrence of a kind in a window is logged at once (with its detail); the rest of the window is
// counted and summed up in one line when the window ends ("N connections closed for malformed
// request header in the last 10 s, e.g. ..."). Each occurrence's detail is also logged at debug.
// So a kind costs at most two lines per window, whatever the rate.
import type { Logger } from 'pino';

type Level = 'warn' | 'error';

interface Window {
  level: Level;
  message: string;
  /** Occurrences after the first in this window. */
  suppressed: number;
  example: Record<string, unknown>;
  timer: ReturnType<typeof setTimeout>;
}

export class WarningDigest {
  readonly #log: Logger;
  readonly #windowMs: number;
  readonly #windows = new Map<string, Window>();

  constructor(log: Logger, windowMs = 10_000) {
    this.#log = log;
    this.#windowMs = windowMs;
  }

  /**
   * One occurrence of `kind` (a fixed phrase, e.g. the reason a connection was closed);
   * `subject` names what it happened to, in the summary ("connections closed for").
   */
  report(kind: string, details: Record<string, unknown>, options: { level?: Level; subject?: string } = {}): void {
    const level = options.level ?? 'warn';
    const message = `${options.subject ?? 'connections closed for'} ${kind}`;
    this.#log.debug({ ...details, reason: kind }, message);
    const open = this.#windows.get(kind);
    if (open) {
      open.suppressed++;
      open.example = details;
      return;
    }
    this.#log[level]({ ...details, reason: kind }, message);
    const timer = setTimeout(() => {
      const window = this.#windows.get(kind);
      this.#windows.delete(kind);
      if (window && window.suppressed > 0) {
        const seconds = Math.round(this.#windowMs / 1000);
        this.#log[window.level]({ count: window.suppressed, reason: kind, example: window.example }, `${window.suppressed} more ${message} in the last ${seconds} s (details at debug)`);
      }
    }, this.#windowMs);
    timer.unref();
    this.#windows.set(kind, { level, message, suppressed: 0, example: details, timer });
  }

  /** Writes out the pending summaries now (shutdown). */
  flush(): void {
    for (const [kind, window] of this.#windows) {
      clearTimeout(window.timer);
      if (window.suppressed > 0) this.#log[window.level]({ count: window.suppressed, reason: kind, example: window.example }, `${window.suppressed} more ${window.message} (details at debug)`);
    }
    this.#windows.clear();
  }
}
