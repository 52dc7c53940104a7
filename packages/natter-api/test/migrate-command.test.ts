import './support/timeouts.js';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate, runMigrationCommand } from '../src/migrate.js';
import { createTestDatabase, TEST_DATABASE_URL, type TestDatabase } from './support/database.js';
import { closedPort } from './support/preview-stub.js';

const directory = mkdtempSync(join(tmpdir(), 'natter-migrate-'));
function file(name: string, content: string): string {
  const path = join(directory, name);
  writeFileSync(path, `${content}\n`);
  return path;
}

describe('migration command', () => {
  it('when a variable is missing, then exit code 2 and nothing is attempted', async () => {
    expect(await runMigrationCommand({ LOG_LEVEL: 'silent', DATABASE_HOST: '127.0.0.1' })).toBe(2);
  });

  it('when the database cannot be reached and no wait is allowed, then exit code 1', async () => {
    const port = await closedPort();
    const code = await runMigrationCommand({
      LOG_LEVEL: 'silent',
      DATABASE_HOST: '127.0.0.1',
      DATABASE_PORT: String(port),
      DATABASE_OWNER_USER: 'natter',
      DATABASE_OWNER_PASSWORD_FILE: file('owner-unreachable', 'x'),
      DATABASE_API_PASSWORD_FILE: file('api-unreachable', 'y'),
      MIGRATE_WAIT_SECONDS: '0',
    });
    expect(code).toBe(1);
  });
});

describe.skipIf(TEST_DATABASE_URL === undefined)('migration command against real PostgreSQL', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.close());

  const canLogIn = async (password: string): Promise<boolean> => {
    const api = database.api!;
    const client = new pg.Client({ ...api, password });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.query('SELECT 1 FROM users LIMIT 1');
      return true;
    } catch {
      return false;
    } finally {
      await client.end().catch(() => {});
    }
  };

  it('when run with the owner\'s secrets, then it succeeds, is idempotent and rotates the API password', async () => {
    const owner = database.ownerConnection!;
    const rotated = randomBytes(18).toString('base64url');
    const env = {
      LOG_LEVEL: 'silent',
      DATABASE_HOST: owner.host,
      DATABASE_PORT: String(owner.port),
      DATABASE_NAME: owner.database,
      DATABASE_OWNER_USER: owner.user,
      DATABASE_OWNER_PASSWORD_FILE: file('owner', owner.password),
      DATABASE_API_USER: database.api!.user,
      DATABASE_API_PASSWORD_FILE: file('api', rotated),
    };
    expect(await runMigrationCommand(env)).toBe(0);
    expect(await runMigrationCommand(env)).toBe(0);
    expect(await canLogIn(rotated)).toBe(true);
    expect(await canLogIn(database.api!.password)).toBe(false);
    // Put the original password back for the pool other tests use.
    await migrate(database.owner, { apiUser: database.api!.user, apiPassword: database.api!.password });
    expect(await canLogIn(database.api!.password)).toBe(true);
  });

  it('when the API role was given extra power by someone, then migration refuses instead of pretending', async () => {
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await admin.connect();
    const role = `natter_api_${randomBytes(6).toString('hex')}`;
    try {
      await admin.query(`CREATE ROLE ${role} LOGIN CREATEDB`);
      await expect(migrate(database.owner, { apiUser: role, apiPassword: 'whatever-password' })).rejects.toThrow(/rolcreatedb/);
    } finally {
      await admin.query(`DROP ROLE IF EXISTS ${role}`);
      await admin.end();
    }
  });

  it('when a grant was added by hand, then the next migration takes it away', async () => {
    const admin = new pg.Client({ connectionString: TEST_DATABASE_URL!.replace(/\/[^/]*$/, `/${database.api!.database}`) });
    await admin.connect();
    try {
      await admin.query(`GRANT UPDATE ON users TO ${database.api!.user}`);
      await migrate(database.owner, { apiUser: database.api!.user, apiPassword: database.api!.password });
      const error = await database.db.query("UPDATE users SET pw_hash = 'x'").catch((caught: unknown) => caught);
      expect(error).toMatchObject({ code: '42501' });
    } finally {
      await admin.end();
    }
  });
});
