import './support/timeouts.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { migrate } from '../src/db/migrations.js';
import { MIGRATIONS } from '../src/db/schema.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';

describe('migrations', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(() => database?.close());

  it('when run, then every migration is recorded once', async () => {
    const rows = await database.owner.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version');
    expect(rows.map((row) => row.version)).toEqual(MIGRATIONS.map((migration) => migration.version));
  });

  it('when run again, then nothing is applied and the data survives', async () => {
    await database.owner.query("INSERT INTO users(user_id, pw_hash) VALUES ('survivor', 'x')");
    const apiUser = database.api?.user ?? 'natter_api_user';
    const { applied } = await migrate(database.owner, { apiUser, apiPassword: database.api?.password });
    expect(applied).toEqual([]);
    const rows = await database.owner.query("SELECT 1 FROM users WHERE user_id = 'survivor'");
    expect(rows).toHaveLength(1);
  });

  it('when the API role reads its grants, then they are exactly the contract', async () => {
    const rows = await database.db.query<{ table_name: string; privilege_type: string }>(
      `SELECT table_name, privilege_type FROM information_schema.role_table_grants
       WHERE grantee = current_user ORDER BY table_name, privilege_type`,
    );
    const grants = rows.map((row) => `${row.table_name}:${row.privilege_type}`);
    expect(grants).toEqual([
      'audit_log:INSERT', 'audit_log:SELECT',
      'group_members:DELETE', 'group_members:INSERT', 'group_members:SELECT',
      'messages:DELETE', 'messages:INSERT', 'messages:SELECT',
      'role_permissions:SELECT',
      'spaces:INSERT', 'spaces:SELECT',
      'tokens:DELETE', 'tokens:INSERT', 'tokens:SELECT',
      'user_roles:DELETE', 'user_roles:INSERT', 'user_roles:SELECT',
      'users:INSERT', 'users:SELECT',
    ]);
  });

  it('when the API role reaches for more, then PostgreSQL refuses', async () => {
    const denied = async (sql: string) => {
      const error = await database.db.query(sql).then(() => undefined, (caught: unknown) => caught);
      expect(error, sql).toMatchObject({ code: '42501' });
    };
    await denied('DROP TABLE messages');
    await denied("UPDATE users SET pw_hash = 'x'");
    await denied('DELETE FROM users');
    await denied('UPDATE tokens SET expiry = now()');
    await denied('DELETE FROM audit_log');
    await denied('SELECT * FROM schema_migrations');
    await denied('CREATE TABLE sneaky(id int)');
    await denied("INSERT INTO role_permissions VALUES ('admin', 'rwd')");
  });
});
