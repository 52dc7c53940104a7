import { mergeConfig } from 'vitest/config';
import project from './vitest.config.js';

// The suite as `npm run mutation` runs it. Tests that drive the service in a child process are left
// out: Stryker activates a mutant only inside its own test process, so they can never kill one.
// Instrumented code on a shared machine runs several times slower, hence the longer test timeout.
export default mergeConfig(project, {
  test: {
    exclude: ['test/service-wiring.test.ts', 'test/netns.test.ts'],
    testTimeout: 30_000,
  },
});
