import './support/timeouts.js';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase } from '../src/db/postgres.js';
import { createTestDatabase, TEST_DATABASE_URL, type TestDatabase } from './support/database.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(() => database?.close());

describe.skipIf(TEST_DATABASE_URL === undefined)('DATABASE_APPLICATION_NAME (real PostgreSQL)', () => {
  it('when given, then the pool\'s connections show it in pg_stat_activity', async () => {
    const pool = createPostgresDatabase({ ...database.api!, applicationName: 'natter-api-bench-b', logger: pino({ level: 'silent' }) });
    try {
      const rows = await pool.query<{ name: string }>("SELECT application_name AS name FROM pg_stat_activity WHERE pid = pg_backend_pid()");
      expect(rows).toEqual([{ name: 'natter-api-bench-b' }]);
    } finally {
      await pool.close();
    }
  });
});
