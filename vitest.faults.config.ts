import { defineConfig } from 'vitest/config';

// npm run test:faults: the slower fault-injection suite (process kills, outages, restarts).
export default defineConfig({
  test: {
    include: ['test/faults/**/*.test.ts'],
    // The process check first: vitest ends global setups in reverse order, so it runs last.
    globalSetup: ['test/support/process-check-setup.ts', 'test/support/database-setup.ts'],
    pool: 'forks',
    maxWorkers: 1,
    testTimeout: 240_000,
    hookTimeout: 60_000,
  },
});
