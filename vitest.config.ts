import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // DuckDB files and simulator ports are per test; files run in parallel on 2 cores.
    pool: 'forks',
    maxWorkers: 2,
  },
});
