import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Tests that start Postfix, fauxqs or the daemon own ports and directories; files run in parallel
    // but each file picks its own port 0 / temp dir, so this stays safe.
    pool: 'forks',
    reporters: ['default', './test/support/plain-summary.ts'],
  },
});
