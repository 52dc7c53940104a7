import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'scripts',
    include: ['test/**/*.test.ts'],
    // Bundling and starting real processes takes a few seconds per service.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
