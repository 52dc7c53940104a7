import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'service-kit',
    // A hang detector, not a speed goal: CI machines are shared, and 5 s (the default) is a busy minute's noise.
    testTimeout: 30_000,
    include: ['test/**/*.test.ts'],
  },
});
