import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { createTestDatabase, type TestDatabase } from './database.js';
import { startApp, type TestApp } from './harness.js';

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
