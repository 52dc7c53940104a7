import { defineProject } from 'vitest/config';

export default defineProject({
  test: {
    name: 'kube-check',
    include: ['test/**/*.test.ts'],
  },
});
