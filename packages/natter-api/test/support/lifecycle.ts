import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { createTestDatabase, type TestDatabase } from './database.js';
import { createSpace, registerUser, startApp, type SpaceUris, type TestApp } from './harness.js';

/** One fresh database for the calling test file (created before its tests, dropped after). */
export function useTestDatabase(): () => TestDatabase {
  let database: TestDatabase | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.close());
  return () => database!;
}

/** A fresh app (own buckets, caches, clock, key) for every test, on the file's database. */
export function useAppPerTest(database: () => TestDatabase): () => TestApp {
  let app: TestApp | undefined;
  beforeEach(async () => {
    app = await startApp(database().db);
  });
  afterEach(() => app?.close());
  return () => app!;
}

/** Starts apps as a test needs them (each with its own env, deps, clock); every one is closed after the test. */
export function useAppsPerTest(database: () => TestDatabase): (options?: Parameters<typeof startApp>[1]) => Promise<TestApp> {
  const apps: TestApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });
  return async (options = {}) => {
    const app = await startApp(database().db, options);
    apps.push(app);
    return app;
  };
}

/** A registered owner and a space of theirs, fresh for every test (read the fields inside tests). */
export function useOwnedSpacePerTest(app: () => TestApp): { readonly owner: { username: string; auth: string }; readonly space: SpaceUris } {
  const fixture = {} as { owner: { username: string; auth: string }; space: SpaceUris };
  beforeEach(async () => {
    fixture.owner = await registerUser(app());
    fixture.space = await createSpace(app(), fixture.owner);
  });
  return fixture;
}
