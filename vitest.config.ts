import { defineConfig } from 'vitest/config';

// Two cores: at most two test files at once. Tests that start Redis topologies or child
// processes take seconds, hence the generous timeouts.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 30_000,
    reporters: ['default'],
  },
});
