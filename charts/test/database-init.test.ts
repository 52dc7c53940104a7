/**
 * The dev StatefulSet's init script, as synthesized, run against a real PostgreSQL server the way
 * the image's entrypoint runs it (sourced, `docker_process_sql` = psql as the superuser): it must
 * create a non-superuser owner with CREATEROLE that logs in with the password from the file, own
 * the database, and print no password. Needs NATTER_TEST_DATABASE_URL (a superuser; CI sets it).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { findObject } from '@natter/kube-check';
import { manifestsOf, PROFILES } from './natter-cluster.js';

const run = promisify(execFile);
const SUPERUSER_URL = process.env['NATTER_TEST_DATABASE_URL'];
const statefulset = PROFILES.find((profile) => profile.database.engine === 'statefulset');
const suffix = randomBytes(4).toString('hex');
const database = `natter_init_${suffix}`;
const owner = `natter_owner_${suffix}`;
const password = randomBytes(24).toString('base64url');
const directory = mkdtempSync(join(tmpdir(), 'natter-init-'));

function urlFor(user: string, secret: string, name: string): string {
  const url = new URL(SUPERUSER_URL!);
  url.username = user;
  url.password = secret;
  url.pathname = `/${name}`;
  return url.toString();
}

async function sql(query: string, url = urlFor(new URL(SUPERUSER_URL!).username, decodeURIComponent(new URL(SUPERUSER_URL!).password), database)): Promise<string> {
  const { stdout } = await run('psql', ['--no-psqlrc', '--tuples-only', '--no-align', '-v', 'ON_ERROR_STOP=1', '--dbname', url, '-c', query]);
  return stdout.trim();
}

afterAll(async () => {
  rmSync(directory, { recursive: true, force: true });
  if (SUPERUSER_URL === undefined) return;
  await sql(`DROP DATABASE IF EXISTS ${database}`, SUPERUSER_URL);
  await sql(`DROP ROLE IF EXISTS ${owner}`, SUPERUSER_URL);
});

describe.skipIf(SUPERUSER_URL === undefined || statefulset === undefined)('the StatefulSet database init script (real PostgreSQL)', { timeout: 60_000 }, () => {
  it('creates the owner as a non-superuser with CREATEROLE, with the password from the file, owning the database, and prints no password', async () => {
    const configMap = findObject(manifestsOf(statefulset!), 'ConfigMap', 'natter-database-init');
    const [[name, script]] = Object.entries(configMap.data as Record<string, string>) as [[string, string]];
    expect(name).toMatch(/\.sh$/);
    // The server reads the file itself: it must be able to (the pod's fsGroup does that in the cluster).
    chmodSync(directory, 0o755);
    const passwordFile = join(directory, 'password');
    writeFileSync(passwordFile, password, { mode: 0o644 });
    const scriptFile = join(directory, name);
    writeFileSync(scriptFile, script);
    await sql(`CREATE DATABASE ${database}`, SUPERUSER_URL);

    const result = await run('bash', ['-c', 'docker_process_sql() { psql -v ON_ERROR_STOP=1 --no-psqlrc --dbname "$TARGET_URL" "$@"; }; . "$SCRIPT"'], {
      env: { PATH: process.env['PATH'], TARGET_URL: urlFor(new URL(SUPERUSER_URL!).username, decodeURIComponent(new URL(SUPERUSER_URL!).password), database), SCRIPT: scriptFile, NATTER_OWNER_USER: owner, NATTER_OWNER_PASSWORD_FILE: passwordFile },
    });
    expect(`${result.stdout}${result.stderr}`).not.toContain(password);

    expect(await sql(`SELECT rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolcanlogin FROM pg_roles WHERE rolname = '${owner}'`)).toBe('f|f|t|f|f|t');
    expect(await sql(`SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = '${database}'`)).toBe(owner);
    expect(await sql('SELECT current_user', urlFor(owner, password, database))).toBe(owner);
    await expect(sql('SELECT 1', urlFor(owner, `${password}x`, database))).rejects.toThrow(/password authentication failed/);
  });
});
