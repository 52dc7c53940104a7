import { defineProject } from 'vitest/config';

export default defineProject({
  // The chart imports @natter/constructs from its TypeScript source (tsconfig.json `paths`), not
  // from the package's build output, so tests and synthesis never see a stale build.
  resolve: { tsconfigPaths: true },
  test: {
    name: 'charts',
    include: ['**/*.test.ts'],
  },
});
