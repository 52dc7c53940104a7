import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'process-harness',
    include: ['test/**/*.test.ts'],
    // Starts real processes: seconds each on a loaded machine.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
