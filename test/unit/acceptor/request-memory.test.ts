// The request-memory budget (queued.max.request.bytes) and the warning digest, as pure modules.
import pino from 'pino';
import { Writable } from 'node:stream';
import { expect, test, vi } from 'vitest';
import { RequestMemoryBudget } from '../../../src/acceptor/request-memory.ts';
import { WarningDigest } from '../../../src/acceptor/warning-digest.ts';

test('reservations are admitted until the bound is reached, one past it at most, and waiters wake on release', () => {
  const budget = new RequestMemoryBudget(100);
  expect(budget.tryReserve(60)).toBe(true);
  // Non-strict, as Kafka's pool: admitted while anything is left, even if larger than what is.
  expect(budget.tryReserve(60)).toBe(true);
  expect(budget.exhausted).toBe(true);
  expect(budget.tryReserve(1)).toBe(false);
  const woken: number[] = [];
  budget.whenRoom(() => woken.push(1));
  const cancel = budget.whenRoom(() => woken.push(2));
  cancel();
  budget.release(10);
  expect(woken).toEqual([]);
  budget.release(60);
  expect(woken).toEqual([1]);
  expect(budget.usedBytes).toBe(50);
});

test('no bound when the limit is -1', () => {
  const budget = new RequestMemoryBudget(-1);
  expect(budget.tryReserve(1e12)).toBe(true);
  expect(budget.exhausted).toBe(false);
});

test('the digest logs the first of a kind, then one summary per window with the count', () => {
  vi.useFakeTimers();
  try {
    const lines: { level: number; msg: string; count?: number }[] = [];
    const sink = new Writable({ write(chunk, _e, done) { lines.push(JSON.parse(String(chunk))); done(); } });
    const digest = new WarningDigest(pino({ level: 'info' }, sink), 10_000);
    for (let i = 0; i < 1000; i++) digest.report('malformed request header', { connection: i });
    vi.advanceTimersByTime(10_000);
    for (let i = 0; i < 5; i++) digest.report('malformed request header', { connection: i });
    digest.flush();
    expect(lines.map((l) => [l.msg, l.count])).toEqual([
      ['connections closed for malformed request header', undefined],
      ['999 more connections closed for malformed request header in the last 10 s (details at debug)', 999],
      ['connections closed for malformed request header', undefined],
      ['4 more connections closed for malformed request header (details at debug)', 4],
    ]);
  } finally {
    vi.useRealTimers();
  }
});

test('queued.max.request.bytes: -1 or at least the frame limit, as Kafka requires; default 256 MiB', async () => {
  const { loadConfig } = await import('../../../src/config.ts');
  expect(loadConfig({}, {}).queuedMaxRequestBytes).toBe(256 * 1024 * 1024);
  expect(loadConfig({ queuedMaxRequestBytes: '-1' }, {}).queuedMaxRequestBytes).toBe(-1);
  expect(() => loadConfig({ queuedMaxRequestBytes: '1000' }, {})).toThrow(/must be -1 or at least --max-frame-bytes/);
  expect(loadConfig({ queuedMaxRequestBytes: '2000', maxFrameBytes: '1000' }, {}).queuedMaxRequestBytes).toBe(2000);
});
