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
  // The address policy, the target check, the redirect loop and the body reader: what stands
  // between an attacker's URL and an internal address or an unbounded read.
  mutate: ['src/preview/address-policy.ts', 'src/preview/target.ts', 'src/preview/previewer.ts', 'src/preview/head-reader.ts'],
  // Two cores are shared with everything else on a developer machine or CI.
  concurrency: 2,
  timeoutMS: 5000,
  reporters: ['clear-text', 'progress', 'json'],
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  cleanTempDir: true,
};
