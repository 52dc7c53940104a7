import { defineConfig } from 'vitest/config';

// Run by `npm run test:reliability` (not by `npm test`): real processes, real PostgreSQL, load.
export default defineConfig({
  test: {
    name: 'reliability',
    include: ['test/**/*.test.ts'],
    // One file at a time: each measures its services under load, and CI has two cores.
    fileParallelism: false,
    testTimeout: 120_000,
    hookTimeout: 120_000,
  },
});
