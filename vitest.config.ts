import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    // The reliability suite (load, crashes, restarts) runs on its own: npm run test:reliability.
    projects: ['charts', 'packages/*', '!packages/reliability', 'scripts'],
  },
});
