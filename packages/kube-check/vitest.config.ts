import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'kube-check',
    // Hang detectors, not speed goals: CI machines are shared, and 5 s / 10 s (the defaults) are a busy minute's noise.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    include: ['test/**/*.test.ts'],
  },
});
