// Mutation testing of the security modules: `npm run mutation` (from this package).
// Under pnpm, Stryker cannot discover its vitest runner by name (the plugin is not hoisted next
// to @stryker-mutator/core), so it is named by path. Stryker instruments only this process: the
// tests that spawn the service as a child process cannot kill a mutant (see vitest.mutation.config.ts).
import { fileURLToPath } from 'node:url';

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  plugins: [fileURLToPath(import.meta.resolve('@stryker-mutator/vitest-runner'))],
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutation.config.ts' },
  coverageAnalysis: 'perTest',
  // A mutant in a module-level constant (the address lists) takes effect only when the module is
  // imported again, which the vitest runner does only in a fresh worker: such "static" mutants
  // came out killed, timed out or survived depending on scheduling (43 false survivors in one run).
  // They are left out of the score; the lists are guarded by test/address-policy.test.ts instead.
  ignoreStatic: true,
  // The address policy, the target check, the redirect loop, the time budget, the body reader and
  // the head tokenizer: what stands between an attacker's URL (or page) and an internal address,
  // an unbounded read or a spoofed preview.
  mutate: [
    'src/preview/address-policy.ts',
    'src/preview/target.ts',
    'src/preview/previewer.ts',
    'src/preview/deadline.ts',
    'src/preview/head-reader.ts',
    'src/preview/head-metadata.ts',
  ],
  // Two cores are shared with everything else on a developer machine or CI.
  concurrency: 2,
  timeoutMS: 5000,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
