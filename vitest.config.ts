import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start real processes on loopback; two workers match the two cores we run on.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
