import { randomBytes } from 'node:crypto';
import pg from 'pg';
import pino from 'pino';
import type { Database } from '../../src/db/database.js';
import { createEmbeddedDatabase } from '../../src/db/embedded.js';
import { migrate } from '../../src/db/migrations.js';
import { createPostgresDatabase } from '../../src/db/postgres.js';
import { quoteIdentifier } from '../../src/db/sql.js';

/** Connection parameters of one role on the real test server. */
export interface ConnectionInfo {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: string;
}

/** A fresh, migrated database for one test file. */
export interface TestDatabase {
  readonly kind: 'embedded' | 'postgres';
  /** Connected as the least-privileged API role, as the app is in production. */
  readonly db: Database;
  /** Connected as the schema owner: for inspecting what the API must not (e.g. token hashes). */
  readonly owner: Database;
  /** Real PostgreSQL only: how the API role connects (e.g. to route it through a proxy). */
  readonly api: ConnectionInfo | undefined;
  /** Real PostgreSQL only: how the schema owner connects (e.g. to run the migration command). */
  readonly ownerConnection: ConnectionInfo | undefined;
  close(): Promise<void>;
}

/** Set by CI: a superuser URL of a real PostgreSQL server; unset → embedded PGlite. */
export const TEST_DATABASE_URL = process.env['NATTER_TEST_DATABASE_URL'];

const quietLogger = pino({ level: 'silent' });

/**
 * Embedded PGlite by default; with NATTER_TEST_DATABASE_URL a uniquely named database, owner role
 * and API role on the real server, migrated as the owner and dropped again by `close()`.
 */
export async function createTestDatabase(): Promise<TestDatabase> {
  return TEST_DATABASE_URL === undefined ? createEmbeddedTestDatabase() : createPostgresTestDatabase(TEST_DATABASE_URL);
}

async function createEmbeddedTestDatabase(): Promise<TestDatabase> {
  const embedded = await createEmbeddedDatabase();
  await migrate(embedded.owner, { apiUser: 'natter_api_user' });
  await embedded.actAs('natter_api_user');
  return { kind: 'embedded', db: embedded.db, owner: embedded.owner, api: undefined, ownerConnection: undefined, close: () => embedded.db.close() };
}

async function createPostgresTestDatabase(url: string): Promise<TestDatabase> {
  const server = new URL(url);
  const suffix = randomBytes(6).toString('hex');
  const names = { database: `natter_test_${suffix}`, owner: `natter_owner_${suffix}`, api: `natter_api_${suffix}` };
  const ownerPassword = randomBytes(18).toString('base64url');
  const apiPassword = randomBytes(18).toString('base64url');
  await asSuperuser(url, async (admin) => {
    await admin.query(`CREATE ROLE ${quoteIdentifier(names.owner)} LOGIN CREATEROLE PASSWORD '${ownerPassword}'`);
    await admin.query(`CREATE DATABASE ${quoteIdentifier(names.database)} OWNER ${quoteIdentifier(names.owner)}`);
  });
  const base = { host: server.hostname, port: Number(server.port || 5432), database: names.database };
  const api: ConnectionInfo = { ...base, user: names.api, password: apiPassword };
  const ownerConnection: ConnectionInfo = { ...base, user: names.owner, password: ownerPassword };
  const owner = createPostgresDatabase({ ...ownerConnection, poolMax: 2, logger: quietLogger });
  const db = createPostgresDatabase({ ...api, poolMax: 5, logger: quietLogger });
  const close = async (): Promise<void> => {
    await Promise.allSettled([db.close(), owner.close()]);
    await asSuperuser(url, async (admin) => {
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(names.database)} WITH (FORCE)`);
      await admin.query(`DROP ROLE IF EXISTS ${quoteIdentifier(names.api)}`);
      await admin.query(`DROP ROLE IF EXISTS ${quoteIdentifier(names.owner)}`);
    });
  };
  try {
    await migrate(owner, { apiUser: names.api, apiPassword });
  } catch (error) {
    await close();
    throw error;
  }
  return { kind: 'postgres', db, owner, api, ownerConnection, close };
}

/**
 * Real PostgreSQL only: ends these server processes (as a restart or an administrator would, 57P01)
 * and waits until the server no longer lists them.
 */
export async function terminateBackends(pids: readonly number[]): Promise<void> {
  if (TEST_DATABASE_URL === undefined) throw new Error('terminateBackends needs NATTER_TEST_DATABASE_URL');
  await asSuperuser(TEST_DATABASE_URL, async (admin) => {
    await admin.query('SELECT pg_terminate_backend(pid) FROM unnest($1::int[]) AS pid', [pids]);
    for (let attempt = 0; attempt < 100; attempt += 1) {
      const { rows } = await admin.query('SELECT count(*)::int AS alive FROM pg_stat_activity WHERE pid = ANY($1::int[])', [pids]);
      if (rows[0].alive === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    throw new Error(`backends ${pids.join(', ')} still alive after pg_terminate_backend`);
  });
}

/**
 * Real PostgreSQL only: terminates (57P01) every backend of this test's own database that the given
 * application opened, and nothing else on the shared server. @returns how many were terminated
 */
export async function terminateApplicationBackends(database: string, applicationName: string): Promise<number> {
  if (TEST_DATABASE_URL === undefined) throw new Error('terminateApplicationBackends needs NATTER_TEST_DATABASE_URL');
  let terminated = 0;
  await asSuperuser(TEST_DATABASE_URL, async (admin) => {
    const { rows } = await admin.query(
      'SELECT count(*) FILTER (WHERE pg_terminate_backend(pid))::int AS terminated FROM pg_stat_activity WHERE datname = $1 AND application_name = $2',
      [database, applicationName],
    );
    terminated = rows[0].terminated;
  });
  return terminated;
}

/** Runs `work` on one connection to `url` (a superuser URL here), closed afterwards whatever happens. */
export async function asSuperuser<T>(url: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}
