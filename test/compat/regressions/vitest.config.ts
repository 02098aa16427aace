import { defineConfig } from 'vitest/config';

// Regression tests driven by clients in other languages, installed by scripts/install-compat-clients.sh.
export default defineConfig({
  test: {
    include: ['test/compat/regressions/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 120_000,
    hookTimeout: 60_000,
  },
});
