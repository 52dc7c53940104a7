import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'natter-api',
    include: ['test/**/*.test.ts'],
  },
});
