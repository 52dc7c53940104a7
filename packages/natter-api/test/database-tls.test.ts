/**
 * DATABASE_SSL_ROOT_CERT_FILE against a real PostgreSQL 15 with `ssl = on`: a private cluster of
 * this file's own (never the shared server), a test CA and server certificates made by openssl,
 * a NOCREATEROLE owner and an API role declared outside the migration, as on CloudNativePG.
 */
import './support/timeouts.js';
import { once } from 'node:events';
import { createServer, type AddressInfo } from 'node:net';
import {
  apiEnvironment,
  createSecretsDirectory,
  createTestPki,
  ENTRIES,
  freePort,
  migrationEnvironment,
  opensslAvailable,
  privatePostgresSupport,
  request,
  runToCompletion,
  startPrivatePostgres,
  startService,
  type IssuedCertificate,
  type PrivatePostgres,
  type SecretsDirectory,
  type TestPki,
} from '@natter/process-harness';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseDatabaseTls } from '../src/config.js';
import { createPostgresDatabase } from '../src/db/postgres.js';
import type { ConnectionInfo } from './support/database.js';
import { CONTRACT_PRIVILEGES, createOwnedDatabase, privilegesOf, type OwnedDatabase } from './support/owned-database.js';

const quiet = pino({ level: 'silent' });
const support = await privatePostgresSupport();
const skipReason = !support.available ? support.reason : !opensslAvailable() ? 'the openssl CLI (to mint a test CA) is not installed' : undefined;
if (skipReason !== undefined) console.warn(`database TLS tests against a private PostgreSQL skipped: ${skipReason}`);

/** One statement over a fresh pool configured exactly as the API configures it from DATABASE_SSL_ROOT_CERT_FILE. */
async function queryOverTls<Row>(connection: ConnectionInfo, caFile: string, sql: string): Promise<Row[]> {
  const db = createPostgresDatabase({ ...connection, tls: parseDatabaseTls({ DATABASE_SSL_ROOT_CERT_FILE: caFile }), poolMax: 1, logger: quiet });
  try {
    return await db.query<Row>(sql);
  } finally {
    await db.close();
  }
}

describe.skipIf(skipReason !== undefined)('TLS verify-full to a real PostgreSQL with ssl = on', () => {
  let pki: TestPki;
  let unrelatedPki: TestPki;
  let rightCertificate: IssuedCertificate;
  let server: PrivatePostgres;
  let database: OwnedDatabase;
  let secrets: SecretsDirectory;
  beforeAll(async () => {
    [pki, unrelatedPki, secrets] = await Promise.all([createTestPki('natter database CA'), createTestPki('unrelated CA'), createSecretsDirectory('natter-db-tls-')]);
    rightCertificate = await pki.issueServer('loopback', { dnsNames: ['localhost'], ipAddresses: ['127.0.0.1'] });
    server = await startPrivatePostgres({ tls: rightCertificate });
    database = await createOwnedDatabase(server.url);
  }, 120_000);
  afterAll(async () => {
    await database?.close();
    await server?.close();
    await Promise.all([pki?.remove(), unrelatedPki?.remove(), secrets?.remove()]);
  });

  it('when the CA and the host name are right, then it connects and the server reports the session encrypted; plaintext is refused', async () => {
    const [session] = await queryOverTls<{ ssl: boolean; version: string }>(database.owner, pki.caFile, 'SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()');
    expect(session).toEqual({ ssl: true, version: 'TLSv1.3' });
    // The cluster accepts no plaintext login but the superuser's: whoever connects below used TLS.
    const plaintext = createPostgresDatabase({ ...database.owner, poolMax: 1, logger: quiet });
    await expect(plaintext.query('SELECT 1')).rejects.toThrow(/pg_hba\.conf rejects connection .* no encryption/);
    await plaintext.close();
  });

  it('fails when the server\'s certificate chains to another CA', async () => {
    await expect(queryOverTls(database.owner, unrelatedPki.caFile, 'SELECT 1')).rejects.toMatchObject({
      name: 'DatabaseUnavailableError',
      cause: { code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' },
    });
  });

  it('fails when the certificate names another host (db.example while connecting to 127.0.0.1)', async () => {
    await server.useCertificate(await pki.issueServer('elsewhere', { dnsNames: ['db.example'] }));
    try {
      await expect(queryOverTls(database.owner, pki.caFile, 'SELECT 1')).rejects.toMatchObject({
        name: 'DatabaseUnavailableError',
        cause: { code: 'ERR_TLS_CERT_ALTNAME_INVALID', message: expect.stringContaining("IP: 127.0.0.1 is not in the cert's list") },
      });
    } finally {
      await server.useCertificate(rightCertificate);
    }
  });

  it('when the migration command runs over TLS as the NOCREATEROLE owner, then the API role holds exactly the contract\'s privileges', async () => {
    const output: string[] = [];
    const env = await migrationEnvironment({ owner: database.owner, apiUser: database.api.user, databaseCaFile: pki.caFile, secrets });
    const code = await runToCompletion({ name: 'migrate (TLS)', entry: ENTRIES.migrate, env, onLine: (line) => output.push(line) });
    expect(code, output.join('\n')).toBe(0);
    expect(output.join('\n')).toContain('"databaseTls":"verify-full"');
    expect(output.join('\n')).not.toContain(database.owner.password);
    await database.asSuperuser(async (admin) => expect(await privilegesOf(admin, database.api.user)).toEqual(CONTRACT_PRIVILEGES));
  });

  it('when the migration command trusts another CA, then it fails at once (no retry can fix that) and names the certificate error', async () => {
    const output: string[] = [];
    const env = await migrationEnvironment({ owner: database.owner, apiUser: database.api.user, databaseCaFile: unrelatedPki.caFile, secrets });
    const code = await runToCompletion({ name: 'migrate (wrong CA)', entry: ENTRIES.migrate, env, onLine: (line) => output.push(line) });
    expect(code, output.join('\n')).toBe(1);
    expect(output.join('\n')).not.toContain('retrying');
    expect(output.join('\n')).toContain('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  it('when the API process connects over TLS, then it serves a request that writes to the database, on encrypted sessions only', async () => {
    const port = await freePort();
    const api = await startService({
      name: 'natter-api (database TLS)',
      entry: ENTRIES.api,
      env: await apiEnvironment({ port, bindAddress: '127.0.0.1', allowedHosts: [`127.0.0.1:${port}`], database: database.api, databaseCaFile: pki.caFile, secrets }),
      startTimeoutMs: 60_000,
    });
    try {
      expect((await request(`${api.url}/ready`)).status).toBe(200);
      expect((await request(`${api.url}/users`, { json: { username: 'tlsuser', password: 'password1' } })).status).toBe(201);
      await database.asSuperuser(async (admin) => {
        const { rows } = await admin.query<{ ssl: boolean }>(
          'SELECT s.ssl FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.usename = $1',
          [database.api.user],
        );
        expect(rows.length).toBeGreaterThan(0);
        expect(rows.every((row) => row.ssl)).toBe(true);
        expect((await admin.query("SELECT 1 FROM users WHERE user_id = 'tlsuser'")).rows).toHaveLength(1);
      });
    } finally {
      await api.stop();
    }
    expect(api.recentOutput()).not.toContain(database.api.password);
  }, 90_000);

  it('when the API process trusts another CA, then it starts but is not ready and writes nothing', async () => {
    const port = await freePort();
    const api = await startService({
      name: 'natter-api (wrong database CA)',
      entry: ENTRIES.api,
      env: await apiEnvironment({ port, bindAddress: '127.0.0.1', allowedHosts: [`127.0.0.1:${port}`], database: database.api, databaseCaFile: unrelatedPki.caFile, secrets }),
      startTimeoutMs: 60_000,
    });
    try {
      expect((await request(`${api.url}/ready`)).status).toBe(503);
      // An untrusted database is an unavailable one: 503 with Retry-After, as when it is down, and nothing is written.
      const refused = await request(`${api.url}/users`, { json: { username: 'untrusted', password: 'password1' } });
      expect({ status: refused.status, body: refused.json(), retryAfter: refused.headers['retry-after'] }).toEqual({
        status: 503,
        body: { error: 'service unavailable' },
        retryAfter: '1',
      });
      await database.asSuperuser(async (admin) => {
        expect((await admin.query("SELECT 1 FROM users WHERE user_id = 'untrusted'")).rows).toHaveLength(0);
      });
    } finally {
      await api.stop();
    }
    expect(api.recentOutput()).toContain('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  }, 90_000);
});

describe('DATABASE_SSL_ROOT_CERT_FILE without a TLS server', () => {
  it('when the server answers that it has no TLS, then the client gives up instead of continuing in plaintext', async () => {
    // A fake PostgreSQL that declines the SSLRequest ('N'), as a server with ssl = off does.
    const received: Buffer[] = [];
    const fake = createServer((socket) => {
      socket.on('data', (chunk: Buffer) => {
        received.push(chunk);
        if (received.length === 1) socket.write('N');
      });
      socket.on('error', () => {});
    });
    fake.listen(0, '127.0.0.1');
    await once(fake, 'listening');
    const pki = await createTestPki();
    try {
      const { port } = fake.address() as AddressInfo;
      const connection = { host: '127.0.0.1', port, database: 'natter', user: 'natter_api_user', password: 'never-sent-in-plaintext' };
      await expect(queryOverTls(connection, pki.caFile, 'SELECT 1')).rejects.toMatchObject({
        name: 'DatabaseUnavailableError',
        cause: { message: 'The server does not support SSL connections' },
      });
      const bytes = Buffer.concat(received);
      // Only the 8-byte SSLRequest (length 8, code 80877103) was sent: no StartupMessage, no password.
      expect(bytes.length).toBe(8);
      expect(bytes.readInt32BE(4)).toBe(80877103);
    } finally {
      fake.close();
      await pki.remove();
    }
  });

  it('fails when the file cannot be read: the API process refuses to start (exit 2) and names the variable, not a secret', async () => {
    const secrets = await createSecretsDirectory('natter-db-tls-start-');
    const output: string[] = [];
    try {
      const env = await apiEnvironment({
        port: 0,
        bindAddress: '127.0.0.1',
        allowedHosts: ['api.natter.test'],
        database: { host: '127.0.0.1', port: 5432, database: 'natter', user: 'natter_api_user', password: 'db-secret-must-not-leak' },
        databaseCaFile: `${secrets.path}/no-such-ca.crt`,
        secrets,
      });
      const code = await runToCompletion({ name: 'natter-api (unreadable CA)', entry: ENTRIES.api, env, onLine: (line) => output.push(line) });
      expect(code).toBe(2);
      const fatal = output.map((line) => JSON.parse(line) as Record<string, unknown>).find((line) => line['level'] === 'fatal');
      expect(fatal).toMatchObject({ variable: 'DATABASE_SSL_ROOT_CERT_FILE', msg: expect.stringMatching(/^DATABASE_SSL_ROOT_CERT_FILE: cannot read the CA certificate file ".*no-such-ca\.crt" \(ENOENT\)$/) });
      expect(output.join('\n')).not.toContain('db-secret-must-not-leak');
    } finally {
      await secrets.remove();
    }
  });
});
