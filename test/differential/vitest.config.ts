import { defineConfig } from 'vitest/config';

// The differential suite against Apache Kafka: one Kafka and one Highwater for the whole run,
// cases in order (they share the two brokers).
export default defineConfig({
  test: {
    include: ['test/differential/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 1,
    sequence: { concurrent: false },
    testTimeout: 180_000,
    hookTimeout: 180_000,
  },
});
