import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Temporal's native bridge and its server processes belong in forked processes, not threads.
    pool: 'forks',
    // Each file may start its own Temporal server; two cores run two files at a time.
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 90_000,
    reporters: ['default'],
  },
});
