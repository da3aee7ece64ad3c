import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Sized for a loaded 2-core machine (the suite runs two files at once, each starting real processes): a test that
    // takes 15 s quiet can take a minute there. A hung test still fails, three minutes later.
    testTimeout: 180_000,
    hookTimeout: 180_000,
    // Integration tests start real processes on loopback; two workers match the two cores we run on.
    maxWorkers: 2,
    reporters: ['default'],
  },
});
