import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Two cores run one file at a time by default (cores - 1); most files wait on PostgreSQL,
    // child processes or sockets, so two at a time keeps the suite well inside ten minutes.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
