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
    // The AWS SDK's Node 20 end-of-support notice is for operators; in test output it is noise.
    env: { AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' },
  },
});
