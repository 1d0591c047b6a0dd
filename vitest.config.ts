import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // The fault suite has its own command (npm run test:faults) and config.
    exclude: ['test/faults/**', '**/node_modules/**'],
    // The process check first: vitest ends global setups in reverse order, so it runs last.
    globalSetup: ['test/support/process-check-setup.ts', 'test/support/database-setup.ts'],
    // Each file opens its own database (PGlite is ~250 MB); two cores, two workers.
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 20_000,
    hookTimeout: 60_000,
  },
});
