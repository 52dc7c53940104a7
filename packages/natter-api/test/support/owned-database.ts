import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { quoteIdentifier } from '../../src/db/sql.js';
import { asSuperuser, type ConnectionInfo } from './database.js';

/**
 * A fresh database set up the way CloudNativePG sets one up: an owner role with LOGIN and no other
 * attribute (NOSUPERUSER, NOCREATEDB, NOCREATEROLE) owning the database, and the API role declared
 * outside the migration (`managed.roles`) with LOGIN and a password. Nothing is migrated yet.
 */
export interface OwnedDatabase {
  readonly owner: ConnectionInfo;
  readonly api: ConnectionInfo;
  /** A superuser session on this database, for what the roles may not do (inspecting, meddling). */
  asSuperuser<T>(work: (client: pg.Client) => Promise<T>): Promise<T>;
  /** Drops the database and both roles. */
  close(): Promise<void>;
}

export async function createOwnedDatabase(superuserUrl: string): Promise<OwnedDatabase> {
  const suffix = randomBytes(6).toString('hex');
  const names = { database: `natter_owned_${suffix}`, owner: `natter_owner_${suffix}`, api: `natter_api_${suffix}` };
  const passwords = { owner: randomBytes(18).toString('base64url'), api: randomBytes(18).toString('base64url') };
  const server = new URL(superuserUrl);
  const session = <T>(database: string, work: (client: pg.Client) => Promise<T>): Promise<T> => {
    const url = new URL(superuserUrl);
    url.pathname = `/${database}`;
    return asSuperuser(url.href, work);
  };
  await session(decodeURIComponent(server.pathname.slice(1)) || 'postgres', async (admin) => {
    await admin.query(`CREATE ROLE ${quoteIdentifier(names.owner)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '${passwords.owner}'`);
    await admin.query(`CREATE ROLE ${quoteIdentifier(names.api)} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS PASSWORD '${passwords.api}'`);
    await admin.query(`CREATE DATABASE ${quoteIdentifier(names.database)} OWNER ${quoteIdentifier(names.owner)}`);
  });
  const base = { host: server.hostname, port: Number(server.port || 5432), database: names.database };
  return {
    owner: { ...base, user: names.owner, password: passwords.owner },
    api: { ...base, user: names.api, password: passwords.api },
    asSuperuser: (work) => session(names.database, work),
    close: () =>
      session(decodeURIComponent(server.pathname.slice(1)) || 'postgres', async (admin) => {
        await admin.query(`DROP DATABASE IF EXISTS ${quoteIdentifier(names.database)} WITH (FORCE)`);
        await admin.query(`DROP ROLE IF EXISTS ${quoteIdentifier(names.api)}`);
        await admin.query(`DROP ROLE IF EXISTS ${quoteIdentifier(names.owner)}`);
      }),
  };
}

/** Every privilege `role` holds in the current database, as `object:PRIVILEGE`, sorted (code points): tables, sequences, the schema and the database. */
export async function privilegesOf(client: pg.Client, role: string): Promise<string[]> {
  const { rows } = await client.query<{ privilege: string }>(
    `SELECT c.relname || ':' || a.privilege_type AS privilege
       FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
      WHERE c.relnamespace = 'public'::regnamespace AND a.grantee = $1::regrole
     UNION ALL
     SELECT 'schema public:' || a.privilege_type FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a
      WHERE n.nspname = 'public' AND a.grantee = $1::regrole
     UNION ALL
     SELECT 'database:' || a.privilege_type FROM pg_database d CROSS JOIN LATERAL aclexplode(d.datacl) a
      WHERE d.datname = current_database() AND a.grantee = $1::regrole
`,
    [role],
  );
  return rows.map((row) => row.privilege).sort();
}

/** What PUBLIC (every role) holds in the current database: nothing, once migrated. */
export async function publicPrivileges(client: pg.Client): Promise<string[]> {
  const { rows } = await client.query<{ privilege: string }>(
    `SELECT 'schema public:' || a.privilege_type AS privilege FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a
      WHERE n.nspname = 'public' AND a.grantee = 0
     UNION ALL
     SELECT 'database:' || a.privilege_type FROM pg_database d CROSS JOIN LATERAL aclexplode(d.datacl) a
      WHERE d.datname = current_database() AND a.grantee = 0
     UNION ALL
     SELECT c.relname || ':' || a.privilege_type FROM pg_class c CROSS JOIN LATERAL aclexplode(c.relacl) a
      WHERE c.relnamespace = 'public'::regnamespace AND a.grantee = 0
`,
  );
  return rows.map((row) => row.privilege).sort();
}

/** The contract's privileges for the API role (CONTRACT.md, "Data"), in {@link privilegesOf}'s form (sorted). */
export const CONTRACT_PRIVILEGES: readonly string[] = [
  'audit_id_seq:USAGE',
  'audit_log:INSERT', 'audit_log:SELECT',
  'database:CONNECT',
  'group_members:DELETE', 'group_members:INSERT', 'group_members:SELECT',
  'messages:DELETE', 'messages:INSERT', 'messages:SELECT',
  'msg_id_seq:USAGE',
  'role_permissions:SELECT',
  'schema public:USAGE',
  'space_id_seq:USAGE',
  'spaces:INSERT', 'spaces:SELECT',
  'tokens:DELETE', 'tokens:INSERT', 'tokens:SELECT',
  'user_roles:DELETE', 'user_roles:INSERT', 'user_roles:SELECT',
  'users:INSERT', 'users:SELECT',
].sort();
