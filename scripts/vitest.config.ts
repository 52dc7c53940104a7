import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'scripts',
    include: ['test/**/*.test.ts'],
    // Bundling, building and starting real processes: seconds each, much more on a loaded machine.
    testTimeout: 120_000,
    hookTimeout: 240_000,
  },
});
