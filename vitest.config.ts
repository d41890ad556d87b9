import { defineConfig } from 'vitest/config';

// Integration and e2e suites start real Prometheus, Postgres and Chromium: on a 2-core
// machine they run one file at a time so their timings stay meaningful.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts', 'test/**/*.test.tsx'],
    environment: 'node',
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default'],
  },
});
