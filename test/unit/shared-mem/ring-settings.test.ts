// --ring-bytes and --ring-initial-bytes: defaults, and both validated as powers of two from 64 KiB to 1 GiB.
import { expect, test } from 'vitest';
import { loadConfig } from '../../../src/config.ts';

test('the request ring starts at 4 MiB and may grow to 32 MiB by default', () => {
  const config = loadConfig({}, {});
  expect(config.ringInitialBytes).toBe(4 * 1024 * 1024);
  expect(config.ringBytes).toBe(32 * 1024 * 1024);
  expect(loadConfig({ ringInitialBytes: String(64 * 1024), ringBytes: String(2 ** 30) }, {})).toMatchObject({ ringInitialBytes: 65536, ringBytes: 2 ** 30 });
  // An initial size above the maximum is allowed (and clamped when the rings are made).
  expect(loadConfig({ ringBytes: String(1024 * 1024) }, {}).ringInitialBytes).toBe(4 * 1024 * 1024);
});

test.each([
  ['ringBytes', 'ring-bytes'],
  ['ringInitialBytes', 'ring-initial-bytes'],
])('%s is refused unless a power of two from 64 KiB to 1 GiB', (key, flag) => {
  for (const bad of [0, -65536, 32 * 1024, 3 * 1024 * 1024, 2 ** 31, 100_000]) {
    expect(() => loadConfig({ [key]: String(bad) }, {})).toThrow(new RegExp(`--${flag} must be a power of two from 65536`));
  }
});
