import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    projects: ['charts', 'packages/*', 'scripts'],
  },
});
