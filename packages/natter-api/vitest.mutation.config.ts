import { defineProject } from 'vitest/config';

// `npm run mutation`'s test run: the in-process test files that exercise the mutated security
// modules. Almost every mutant there also runs in the fixtures' hooks (registering a user
// authenticates), so Stryker must run all of these for each one: the list is kept to what
// can kill them. Tests that run the services as child processes could not see a mutant anyway.
export default defineProject({
  test: {
    name: 'natter-api-mutation',
    include: [
      'test/authentication.test.ts',
      'test/capabilities.test.ts',
      'test/messages.test.ts',
      'test/pipeline.test.ts',
      'test/security.test.ts',
      'test/security-boundaries.test.ts',
    ],
  },
});
