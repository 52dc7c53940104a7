import type { Database, Queryable } from './database.js';
import { API_GRANTS, API_SEQUENCES, MIGRATIONS, type Migration } from './schema.js';
import { scramSha256Verifier } from './scram.js';
import { quoteIdentifier, ROLE_NAME } from './sql.js';

export interface MigrateOptions {
  /** The role the API logs in as. @default 'natter_api_user' */
  readonly apiUser?: string;
  /**
   * Sets (or rotates) the API role's password. Without one the role cannot log in: the embedded
   * database switches to it with SET ROLE instead.
   */
  readonly apiPassword?: string;
  /**
   * Who manages the API role itself. `migration`: created when missing, its login set from
   * `apiPassword`; the owner needs CREATEROLE. `external`: declared by someone else (CloudNativePG
   * `managed.roles`), must exist and be able to log in, and only its grants are touched: the owner
   * needs no role privileges at all. @default 'migration'
   */
  readonly apiRole?: 'migration' | 'external';
  /** @default MIGRATIONS */
  readonly migrations?: readonly Migration[];
}

export interface MigrateResult {
  /** Versions applied by this run (empty when the schema was already current). */
  readonly applied: readonly number[];
}

// Serialises concurrent runs (two Job pods, a retried init container): an arbitrary fixed key.
const MIGRATION_LOCK_KEY = 7_405_312_211;
const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

/**
 * Brings the schema up to date and (re)applies the API role's exact privileges, in one
 * transaction under an advisory lock. Run with the schema owner's credentials; idempotent.
 */
export async function migrate(owner: Database, options: MigrateOptions = {}): Promise<MigrateResult> {
  const apiUser = options.apiUser ?? 'natter_api_user';
  if (!ROLE_NAME.test(apiUser)) {
    throw new Error(`the API role name must match ${ROLE_NAME}, got "${apiUser}"`);
  }
  if (options.apiPassword !== undefined && !PRINTABLE_ASCII.test(options.apiPassword)) {
    throw new Error('the API role password must be non-empty printable ASCII without spaces (e.g. base64 of random bytes)');
  }
  const external = options.apiRole === 'external';
  if (external && options.apiPassword !== undefined) {
    throw new Error('an externally managed API role gets its password from whoever manages it; pass no apiPassword');
  }
  return owner.transaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.query(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version INT PRIMARY KEY,
      name TEXT NOT NULL,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
    )`);
    const done = new Set(
      (await tx.query<{ version: number }>('SELECT version FROM schema_migrations')).map((row) => row.version),
    );
    const applied: number[] = [];
    for (const migration of options.migrations ?? MIGRATIONS) {
      if (done.has(migration.version)) continue;
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migrations(version, name) VALUES ($1, $2)', [migration.version, migration.name]);
      applied.push(migration.version);
    }
    if (external) {
      await assertLoginRole(tx, apiUser);
      await assertUnprivileged(tx, apiUser);
    } else {
      await manageApiRole(tx, apiUser, options.apiPassword);
    }
    await grantApiPrivileges(tx, apiUser);
    return { applied };
  });
}

/** Creates the API role when missing and sets its login; needs CREATEROLE (PostgreSQL 16+: and ADMIN OPTION on a role created by someone else). */
async function manageApiRole(tx: Queryable, apiUser: string, password: string | undefined): Promise<void> {
  const role = quoteIdentifier(apiUser);
  try {
    const exists = await tx.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [apiUser]);
    if (exists.length === 0) {
      await tx.query(`CREATE ROLE ${role} WITH NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOLOGIN`);
    }
    // Checked before the password is set: a privileged role must not get a (new) login from us.
    await assertUnprivileged(tx, apiUser);
    // Only the password is stored, as a SCRAM verifier: the plaintext never reaches the server's logs.
    const login = password === undefined ? 'NOLOGIN' : `LOGIN PASSWORD '${scramSha256Verifier(password)}'`;
    await tx.query(`ALTER ROLE ${role} WITH ${login}`);
  } catch (error) {
    if ((error as { code?: unknown }).code !== '42501') throw error;
    throw new Error(
      `the owner may not create or alter the API role "${apiUser}" (it needs CREATEROLE): grant it, or declare the API role elsewhere (CloudNativePG managed.roles) and migrate without its password (apiRole 'external', no DATABASE_API_PASSWORD_FILE)`,
      { cause: error },
    );
  }
}

/** An externally managed API role must already exist and be able to log in, or the API could never connect. */
async function assertLoginRole(tx: Queryable, apiUser: string): Promise<void> {
  const [role] = await tx.query<{ rolcanlogin: boolean }>('SELECT rolcanlogin FROM pg_roles WHERE rolname = $1', [apiUser]);
  if (role === undefined) {
    throw new Error(`the API role "${apiUser}" does not exist: declare it (CloudNativePG managed.roles), or give the migration its password (DATABASE_API_PASSWORD_FILE) and CREATEROLE to create it`);
  }
  if (!role.rolcanlogin) {
    throw new Error(`the API role "${apiUser}" cannot log in (NOLOGIN): declare it with login: true`);
  }
}

/** Exactly the contract's privileges: everything else is revoked first, so hand-added grants go. */
async function grantApiPrivileges(tx: Queryable, apiUser: string): Promise<void> {
  const role = quoteIdentifier(apiUser);

  // Nobody but the owner creates objects or connects by default; the API gets only what it needs.
  await tx.query(`DO $$ BEGIN
    EXECUTE format('REVOKE ALL ON DATABASE %I FROM PUBLIC', current_database());
    EXECUTE format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), ${literal(apiUser)});
  END $$`);
  await tx.query('REVOKE ALL ON SCHEMA public FROM PUBLIC');
  await tx.query(`REVOKE ALL ON SCHEMA public FROM ${role}`);
  await tx.query(`GRANT USAGE ON SCHEMA public TO ${role}`);
  await tx.query(`REVOKE ALL ON ALL TABLES IN SCHEMA public FROM PUBLIC, ${role}`);
  await tx.query(`REVOKE ALL ON ALL SEQUENCES IN SCHEMA public FROM PUBLIC, ${role}`);
  for (const grant of API_GRANTS) {
    await tx.query(`GRANT ${grant.privileges.join(', ')} ON TABLE ${quoteIdentifier(grant.table)} TO ${role}`);
  }
  await tx.query(`GRANT USAGE ON SEQUENCE ${API_SEQUENCES.map(quoteIdentifier).join(', ')} TO ${role}`);
}

/**
 * A pre-existing role could carry attributes or memberships that bypass every grant below; only a
 * superuser may remove those, so refuse to continue rather than pretend the role is least-privileged.
 */
async function assertUnprivileged(tx: Queryable, apiUser: string): Promise<void> {
  const [role] = await tx.query<Record<string, boolean>>(
    `SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls,
            EXISTS (SELECT 1 FROM pg_auth_members m WHERE m.member = r.oid) AS member_of_roles
     FROM pg_roles r WHERE rolname = $1`,
    [apiUser],
  );
  const excess = Object.entries(role ?? {}).filter(([, value]) => value === true).map(([name]) => name);
  if (excess.length > 0) {
    throw new Error(`the API role "${apiUser}" has privileges beyond its grants (${excess.join(', ')}); remove them as a superuser and rerun`);
  }
}

/** A string literal for a name already validated against ROLE_NAME. */
function literal(value: string): string {
  return `'${value.replace(/'/g, "''")}'`;
}
