import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // Spawned `bin/chainrule.js` processes run the TypeScript sources (tsx), never a stale dist/ build.
    env: { CHAINRULE_FROM_SOURCE: '1' },
  },
});
