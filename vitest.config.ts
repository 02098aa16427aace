import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/unit/**/*.test.ts', 'test/integration/**/*.test.ts', 'test/regressions/**/*.test.ts', 'test/bench/**/*.test.ts'],
    // Integration tests start real brokers with worker threads; two cores, so keep files from piling up.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
