// Browser tests (headless Chromium through playwright-core): run with
// `npx vitest run --config test/e2e/vitest.config.ts`. Kept out of the default run's include list.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/e2e/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
