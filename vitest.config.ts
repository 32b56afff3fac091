import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Temporal's native bridge and its server processes belong in forked processes, not threads.
    pool: 'forks',
    // Most files wait on servers and child processes, not on the CPU: four at a time on two cores
    // (README "Tests": measured against two and three).
    maxWorkers: 4,
    testTimeout: 60_000,
    hookTimeout: 90_000,
    reporters: ['default'],
  },
});
