import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'constructs',
    include: ['test/**/*.test.ts'],
  },
});
