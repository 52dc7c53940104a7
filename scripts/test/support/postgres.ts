import { createRequire } from 'node:module';
import { join } from 'node:path';
import { REPO_ROOT } from '../../bundle.js';

/** CI's superuser URL of a real PostgreSQL server; the real-database cases run only with it. */
export const SUPERUSER_URL = process.env['NATTER_TEST_DATABASE_URL'];

export interface SqlClient {
  query<Row = unknown>(text: string, params?: unknown[]): Promise<{ rows: Row[] }>;
}

interface PgClient extends SqlClient {
  connect(): Promise<void>;
  end(): Promise<void>;
}

// `pg` is a dependency of the API package, not of the repository root.
const pg = createRequire(join(REPO_ROOT, 'packages/natter-api/package.json'))('pg') as {
  Client: new (options: { connectionString: string }) => PgClient;
};

/** Runs `work` connected as the superuser, to `database` or the URL's own database. */
export async function asSuperuser<T>(database: string | undefined, work: (client: SqlClient) => Promise<T>): Promise<T> {
  const url = new URL(SUPERUSER_URL!);
  if (database !== undefined) url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.href });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
