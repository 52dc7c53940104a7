import { defineProject } from 'vitest/config';

export default defineProject({
  // The chart imports @natter/constructs from its TypeScript source (tsconfig.json `paths`), not
  // from the package's build output, so tests and synthesis never see a stale build.
  resolve: { tsconfigPaths: true },
  test: {
    name: 'charts',
    // A hang detector, not a speed goal: CI machines are shared, and 5 s (the default) is a busy minute's noise.
    testTimeout: 30_000,
    include: ['**/*.test.ts'],
  },
});
