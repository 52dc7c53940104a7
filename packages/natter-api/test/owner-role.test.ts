/**
 * The migration run by an owner that is no superuser and may not create roles — as CloudNativePG
 * sets the owner up, with the API role declared by the operator — against real PostgreSQL.
 */
import './support/timeouts.js';
import { apiEnvironment, createSecretsDirectory, ENTRIES, freePort, request, startService, type SecretsDirectory } from '@natter/process-harness';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPostgresDatabase } from '../src/db/postgres.js';
import { migrate, runMigrationCommand } from '../src/migrate.js';
import { TEST_DATABASE_URL } from './support/database.js';
import { CONTRACT_PRIVILEGES, createOwnedDatabase, privilegesOf, publicPrivileges, type OwnedDatabase } from './support/owned-database.js';

const quiet = pino({ level: 'silent' });

describe.skipIf(TEST_DATABASE_URL === undefined)('migration as a non-superuser owner (NOCREATEROLE) with an externally declared API role', () => {
  let database: OwnedDatabase;
  let secrets: SecretsDirectory;
  let migrationEnv: Record<string, string>;
  beforeAll(async () => {
    database = await createOwnedDatabase(TEST_DATABASE_URL!);
    secrets = await createSecretsDirectory('natter-owner-role-');
    const { owner, api } = database;
    // No DATABASE_API_PASSWORD_FILE: the migration never holds the API's password.
    migrationEnv = {
      LOG_LEVEL: 'silent',
      DATABASE_HOST: owner.host,
      DATABASE_PORT: String(owner.port),
      DATABASE_NAME: owner.database,
      DATABASE_OWNER_USER: owner.user,
      DATABASE_OWNER_PASSWORD_FILE: await secrets.write('owner-password', owner.password),
      DATABASE_API_USER: api.user,
      MIGRATE_WAIT_SECONDS: '0',
    };
  });
  afterAll(async () => {
    await database?.close();
    await secrets?.remove();
  });

  const ownerDatabase = () => createPostgresDatabase({ ...database.owner, poolMax: 1, logger: quiet });

  it('when the migration command runs (twice), then it succeeds and the API role holds exactly the contract\'s privileges, PUBLIC none', async () => {
    expect(await runMigrationCommand(migrationEnv)).toBe(0);
    expect(await runMigrationCommand(migrationEnv)).toBe(0);
    await database.asSuperuser(async (admin) => {
      expect(await privilegesOf(admin, database.api.user)).toEqual(CONTRACT_PRIVILEGES);
      expect(await publicPrivileges(admin)).toEqual([]);
      const { rows } = await admin.query('SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = $1', [database.owner.user]);
      expect(rows[0]).toEqual({ rolsuper: false, rolcreaterole: false, rolcreatedb: false });
    });
  });

  it('when a grant was added by hand, then the next run takes it away: the migration still enforces the contract', async () => {
    await database.asSuperuser(async (admin) => {
      await admin.query(`GRANT UPDATE, TRUNCATE ON users TO ${database.api.user}`);
      expect(await privilegesOf(admin, database.api.user)).toEqual(expect.arrayContaining(['users:TRUNCATE', 'users:UPDATE']));
    });
    expect(await runMigrationCommand(migrationEnv)).toBe(0);
    await database.asSuperuser(async (admin) => expect(await privilegesOf(admin, database.api.user)).toEqual(CONTRACT_PRIVILEGES));
  });

  it('when the migration is also asked to set the API role\'s password, then it refuses and says the owner lacks CREATEROLE', async () => {
    const owner = ownerDatabase();
    try {
      await expect(migrate(owner, { apiUser: database.api.user, apiPassword: 'a-new-password' })).rejects.toThrow(
        /the owner may not create or alter the API role "natter_api_\w+" \(it needs CREATEROLE\)/,
      );
    } finally {
      await owner.close();
    }
    expect(await runMigrationCommand({ ...migrationEnv, DATABASE_API_PASSWORD_FILE: await secrets.write('api-password', 'a-new-password') })).toBe(1);
  });

  it('when the declared API role is missing, cannot log in or holds extra power, then the migration refuses', async () => {
    const owner = ownerDatabase();
    try {
      await expect(migrate(owner, { apiUser: 'natter_api_not_declared', apiRole: 'external' })).rejects.toThrow(/"natter_api_not_declared" does not exist: declare it/);
      await database.asSuperuser((admin) => admin.query(`ALTER ROLE ${database.api.user} NOLOGIN`));
      await expect(migrate(owner, { apiUser: database.api.user, apiRole: 'external' })).rejects.toThrow(/cannot log in \(NOLOGIN\)/);
      await database.asSuperuser((admin) => admin.query(`ALTER ROLE ${database.api.user} LOGIN CREATEDB`));
      await expect(migrate(owner, { apiUser: database.api.user, apiRole: 'external' })).rejects.toThrow(/privileges beyond its grants \(rolcreatedb\)/);
    } finally {
      await database.asSuperuser((admin) => admin.query(`ALTER ROLE ${database.api.user} LOGIN NOCREATEDB`));
      await owner.close();
    }
  });

  it('when the API runs as the declared role, then it serves requests that write and read the database', async () => {
    const port = await freePort();
    const api = await startService({
      name: 'natter-api (owner-role test)',
      entry: ENTRIES.api,
      env: await apiEnvironment({ port, bindAddress: '127.0.0.1', allowedHosts: [`127.0.0.1:${port}`], database: database.api, secrets }),
      startTimeoutMs: 60_000,
    });
    try {
      expect((await request(`${api.url}/ready`)).status).toBe(200);
      const created = await request(`${api.url}/users`, { json: { username: 'ownerrole', password: 'password1' } });
      expect(created.status).toBe(201);
      await database.asSuperuser(async (admin) => {
        expect((await admin.query("SELECT user_id FROM users WHERE user_id = 'ownerrole'")).rows).toHaveLength(1);
      });
    } finally {
      await api.stop();
    }
  }, 90_000);
});
