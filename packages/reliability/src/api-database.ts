/**
 * A database of the suite's own on a real PostgreSQL server, prepared as the chart prepares one:
 * an owner role and a database it owns, then the real migration command (a child process), which
 * creates the API's least-privileged role. Names are unique per run; `close()` drops all three.
 */
import { randomBytes } from 'node:crypto';
import { connectionFromUrl, createSecretsDirectory, ENTRIES, migrationEnvironment, runToCompletion, type PostgresConnection } from '@natter/process-harness';
import pg from 'pg';

export interface ApiDatabase {
  /** How the API logs in (the role the migration created). */
  readonly api: PostgresConnection;
  /**
   * Ends every server process of the API role on this database — and nothing else on the server,
   * which may be shared — as `pg_terminate_backend` (57P01). Resolves with how many there were.
   */
  terminateApiBackends(): Promise<number>;
  /** Runs SQL as the superuser inside this database (to inspect what the API stored). */
  query<Row>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  close(): Promise<void>;
}

/** Creates, migrates (through `src/migrate.ts` as a process) and hands over a fresh database. */
export async function createApiDatabase(superuserUrl: string): Promise<ApiDatabase> {
  const server = connectionFromUrl(superuserUrl);
  const suffix = randomBytes(5).toString('hex');
  const names = { database: `natter_rel_${suffix}`, owner: `natter_rel_owner_${suffix}`, api: `natter_rel_api_${suffix}` };
  const ownerPassword = randomBytes(18).toString('base64url');
  const apiPassword = randomBytes(18).toString('base64url');
  const admin = (database = server.database): pg.Client => {
    const client = new pg.Client({ ...server, database, connectionTimeoutMillis: 5000 });
    // A restart of a private server ends this session too; the next call opens a new one.
    client.on('error', () => undefined);
    return client;
  };
  const asSuperuser = async <Row>(database: string, text: string, params: readonly unknown[] = []): Promise<Row[]> => {
    const client = admin(database);
    await client.connect();
    try {
      return (await client.query(text, params as unknown[])).rows as Row[];
    } finally {
      await client.end().catch(() => undefined);
    }
  };

  await asSuperuser(server.database, `CREATE ROLE ${names.owner} LOGIN CREATEROLE PASSWORD '${ownerPassword}'`);
  await asSuperuser(server.database, `CREATE DATABASE ${names.database} OWNER ${names.owner}`);
  const close = async (): Promise<void> => {
    await asSuperuser(server.database, `DROP DATABASE IF EXISTS ${names.database} WITH (FORCE)`);
    await asSuperuser(server.database, `DROP ROLE IF EXISTS ${names.api}`);
    await asSuperuser(server.database, `DROP ROLE IF EXISTS ${names.owner}`);
  };

  const secrets = await createSecretsDirectory('natter-reliability-migration-');
  const output: string[] = [];
  try {
    const code = await runToCompletion({
      name: 'migration',
      entry: ENTRIES.migrate,
      env: await migrationEnvironment({
        owner: { ...server, database: names.database, user: names.owner, password: ownerPassword },
        apiUser: names.api,
        apiPassword,
        secrets,
      }),
      onLine: (line) => output.push(line),
    });
    if (code !== 0) throw new Error(`the migration exited with ${code}:\n${output.join('\n')}`);
  } catch (error) {
    await close();
    throw error;
  } finally {
    await secrets.remove();
  }

  return {
    api: { ...server, database: names.database, user: names.api, password: apiPassword },
    async terminateApiBackends() {
      const rows = await asSuperuser<{ terminated: boolean }>(
        server.database,
        'SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE datname = $1 AND usename = $2',
        [names.database, names.api],
      );
      return rows.filter((row) => row.terminated).length;
    },
    query: (text, params) => asSuperuser(names.database, text, params),
    close,
  };
}
