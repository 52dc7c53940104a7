import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'link-preview',
    include: ['test/**/*.test.ts'],
  },
});
