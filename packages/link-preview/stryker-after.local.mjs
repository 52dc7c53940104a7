import base from './stryker.config.mjs';
export default {
  ...base,
  mutate: ['src/preview/address-policy.ts', 'src/preview/target.ts', 'src/preview/head-reader.ts'],
  tempDirName: '.stryker-tmp-after',
  jsonReporter: { fileName: 'reports/mutation/after.json' },
};
