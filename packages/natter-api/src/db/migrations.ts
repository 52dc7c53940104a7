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
    await applyApiRole(tx, apiUser, options.apiPassword);
    return { applied };
  });
}

async function applyApiRole(tx: Queryable, apiUser: string, password: string | undefined): Promise<void> {
  const role = quoteIdentifier(apiUser);
  const exists = await tx.query('SELECT 1 FROM pg_roles WHERE rolname = $1', [apiUser]);
  if (exists.length === 0) {
    await tx.query(`CREATE ROLE ${role} WITH NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS NOLOGIN`);
  }
  await assertUnprivileged(tx, apiUser);
  // Only the password is stored, as a SCRAM verifier: the plaintext never reaches the server's logs.
  const login = password === undefined ? 'NOLOGIN' : `LOGIN PASSWORD '${scramSha256Verifier(password)}'`;
  await tx.query(`ALTER ROLE ${role} WITH ${login}`);

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
