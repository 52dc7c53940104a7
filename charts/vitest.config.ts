import { defineProject } from 'vitest/config';

export default defineProject({
  // The chart imports @natter/constructs from its TypeScript source (tsconfig.json `paths`), not
  // from the package's build output, so tests and synthesis never see a stale build.
  resolve: { tsconfigPaths: true },
  test: {
    name: 'charts',
    // Hang detectors, not speed goals: CI machines are shared, and 5 s / 10 s (the defaults) are a busy minute's noise.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    include: ['**/*.test.ts'],
  },
});
