/**
 * The API as most tests of the suite want it: on a database of its own on the real PostgreSQL of
 * NATTER_TEST_DATABASE_URL (CI sets it), else on its embedded database.
 */
import { createApiDatabase, type ApiDatabase } from './api-database.js';
import { startApi, type RunningService } from './services.js';

/** A superuser URL of the real PostgreSQL server the suite may use; unset → embedded. */
export const TEST_DATABASE_URL = process.env['NATTER_TEST_DATABASE_URL'];

export interface ApiWithDatabase {
  readonly api: RunningService;
  /** `undefined` on the embedded database. */
  readonly database: ApiDatabase | undefined;
  /** Stops the API (its log is complete afterwards) and drops its database. */
  stop(): Promise<void>;
}

export async function startApiWithDatabase(name = 'natter-api'): Promise<ApiWithDatabase> {
  const database = TEST_DATABASE_URL === undefined ? undefined : await createApiDatabase(TEST_DATABASE_URL);
  let api: RunningService;
  try {
    api = await startApi({ name, database: database?.api });
  } catch (error) {
    await database?.close();
    throw error;
  }
  return {
    api,
    database,
    stop: async () => {
      await api.stop();
      await database?.close();
    },
  };
}
