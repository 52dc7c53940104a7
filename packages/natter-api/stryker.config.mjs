// Mutation testing of the security modules: `npm run mutation` (from this package or the root).
// Scores are recorded in README.md (Mutation testing). Run with NATTER_TEST_DATABASE_URL set, as CI
// does, so the tests that need a real server run too.
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  // Under pnpm Stryker cannot find its runner plugin by name: it is named by path.
  plugins: [require.resolve('@stryker-mutator/vitest-runner')],
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  // The modules that decide who a caller is and what a token or capability grants. (A run over
  // every security module, password hashing and Basic parsing included, takes hours on 2 cores:
  // nearly every mutant also runs in the fixtures' hooks, so each one runs every test.)
  mutate: ['src/middleware/authenticate.ts', 'src/middleware/authorize.ts', 'src/security/tokens.ts'],
  coverageAnalysis: 'perTest',
  // The machine (and CI) has 2 cores shared with everything else.
  concurrency: 2,
  // A mutant that hangs a test (a gate never released) is killed after this much more than the test's own time.
  timeoutMS: 10_000,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: 'always',
};
