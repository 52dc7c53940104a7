import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleService, REPO_ROOT, type BundleResult } from '../bundle.js';
import { request } from '../lib/http.js';
import { apiEnvironment, createSecretsDirectory, type SecretsDirectory } from '../lib/natter-services.js';
import { baseEnvironment, freePort, runToCompletion, startService, type ServiceProcess } from '../lib/service-process.js';
import { temporaryDirectory } from './support/fixtures.js';

/** CI's superuser URL of a real PostgreSQL server; the migration round trip runs only with it. */
const SUPERUSER_URL = process.env['NATTER_TEST_DATABASE_URL'];

interface SqlClient {
  connect(): Promise<void>;
  query<Row = unknown>(text: string, params?: unknown[]): Promise<{ rows: Row[] }>;
  end(): Promise<void>;
}
// `pg` is a dependency of the API package, not of the repository root.
const pg = createRequire(join(REPO_ROOT, 'packages/natter-api/package.json'))('pg') as {
  Client: new (options: { connectionString: string }) => SqlClient;
};

async function asSuperuser(statements: readonly string[]): Promise<void> {
  const client = new pg.Client({ connectionString: SUPERUSER_URL! });
  await client.connect();
  try {
    for (const statement of statements) await client.query(statement);
  } finally {
    await client.end();
  }
}

describe('the natter-api production bundles', () => {
  let outDir: { path: string; remove(): Promise<void> };
  let bundle: BundleResult;
  let secrets: SecretsDirectory;
  const server = () => join(outDir.path, 'server.mjs');
  const migrate = () => join(outDir.path, 'migrate.mjs');

  beforeAll(async () => {
    outDir = await temporaryDirectory('natter-bundle-api-');
    secrets = await createSecretsDirectory('natter-bundle-secrets-');
    bundle = await bundleService('natter-api', outDir.path);
  });

  afterAll(async () => {
    await outDir?.remove();
    await secrets?.remove();
  });

  it('are the server and the migration command, nothing else', () => {
    expect(bundle.outputs.map((output) => output.slice(outDir.path.length + 1)).sort()).toEqual(['migrate.mjs', 'server.mjs']);
  });

  it('contain no test or benchmark code and leave the embedded development database out', async () => {
    expect(bundle.inputs.filter((input) => /^packages\/[^/]+\/(test|bench)\//.test(input))).toEqual([]);
    expect(bundle.inputs.filter((input) => input.includes('@electric-sql/pglite') && !input.startsWith('development-only:'))).toEqual([]);
    expect(bundle.inputs).toContain('development-only:@electric-sql/pglite');
    expect((await stat(server())).size).toBeLessThan(4 * 1024 * 1024);
    expect(await readFile(server(), 'utf8')).not.toContain('pglite.wasm');
  });

  it('when no database is configured, then the server refuses to start and says what to configure', async () => {
    const lines: string[] = [];
    const port = await freePort();
    const code = await runToCompletion({
      name: 'natter-api (bundle, embedded)',
      entry: server(),
      env: { ...baseEnvironment(), NODE_ENV: 'production', PORT: String(port), BIND_ADDRESS: '127.0.0.1' },
      onLine: (line) => lines.push(line),
    });
    expect(code).not.toBe(0);
    expect(lines.join('\n')).toContain('configure a PostgreSQL server (DATABASE_HOST) instead of the embedded database');
  });

  it('when the migration is misconfigured, then it exits 2 naming the variable', async () => {
    const lines: string[] = [];
    const code = await runToCompletion({ name: 'migrate (bundle)', entry: migrate(), env: baseEnvironment(), onLine: (line) => lines.push(line) });
    expect(code).toBe(2);
    expect(lines.join('\n')).toContain('DATABASE_HOST: is required but not set');
  });

  describe('when the database is down', () => {
    let api: ServiceProcess;
    let host: string;

    beforeAll(async () => {
      const port = await freePort();
      host = `natter-api-service:${port}`;
      api = await startService({
        name: 'natter-api (bundle, database down)',
        entry: server(),
        cwd: outDir.path,
        env: {
          ...(await apiEnvironment({
            port,
            bindAddress: '127.0.0.1',
            allowedHosts: [host],
            // A loopback port nobody listens on.
            database: { host: '127.0.0.1', port: await freePort(), database: 'natter', user: 'natter_api_user', password: 'unused-password' },
            secrets,
          })),
          NODE_ENV: 'production',
        },
      });
    });

    afterAll(async () => {
      await api?.stop();
    });

    it('runs with plain node and answers the liveness probe for an allowed Host', async () => {
      const response = await request(`${api.url}/health`, { headers: { host } });
      expect(response.status).toBe(200);
      expect(response.json()).toEqual({ status: 'ok' });
    });

    it('rejects a foreign Host', async () => {
      expect((await request(`${api.url}/health`, { headers: { host: 'rebound.attacker.example' } })).status).toBe(400);
    });

    it('reports not ready', async () => {
      const response = await request(`${api.url}/ready`, { headers: { host } });
      expect(response.status).toBe(503);
    });
  });

  it.runIf(SUPERUSER_URL !== undefined)(
    'when run as the image runs them, then the migration prepares a real database and the server serves from it as the API role',
    async () => {
      const suffix = randomBytes(5).toString('hex');
      const database = `natter_bundle_${suffix}`;
      const apiUser = `natter_bundle_api_${suffix}`;
      const superuser = new URL(SUPERUSER_URL!);
      const apiPassword = randomBytes(18).toString('base64url');
      await asSuperuser([`CREATE DATABASE ${database}`]);
      let api: ServiceProcess | undefined;
      try {
        const migrateLines: string[] = [];
        const migrated = await runToCompletion({
          name: 'migrate (bundle)',
          entry: migrate(),
          env: {
            ...baseEnvironment(),
            DATABASE_HOST: superuser.hostname,
            DATABASE_PORT: superuser.port || '5432',
            DATABASE_NAME: database,
            DATABASE_OWNER_USER: decodeURIComponent(superuser.username),
            DATABASE_OWNER_PASSWORD_FILE: await secrets.write(`owner-${suffix}`, decodeURIComponent(superuser.password)),
            DATABASE_API_USER: apiUser,
            DATABASE_API_PASSWORD_FILE: await secrets.write(`api-${suffix}`, apiPassword),
          },
          onLine: (line) => migrateLines.push(line),
        });
        expect(migrated, migrateLines.join('\n')).toBe(0);

        const port = await freePort();
        const host = `natter-api-service:${port}`;
        api = await startService({
          name: 'natter-api (bundle, postgres)',
          entry: server(),
          cwd: outDir.path,
          env: {
            ...(await apiEnvironment({
              port,
              bindAddress: '127.0.0.1',
              allowedHosts: [host],
              database: { host: superuser.hostname, port: Number(superuser.port || 5432), database, user: apiUser, password: apiPassword },
              secrets,
            })),
            NODE_ENV: 'production',
          },
        });
        expect((await request(`${api.url}/ready`, { headers: { host } })).status).toBe(200);
        const created = await request(`${api.url}/users`, { headers: { host }, json: { username: 'bundled', password: 'password' } });
        expect(created.status).toBe(201);
      } finally {
        await api?.stop();
        await asSuperuser([`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`, `DROP ROLE IF EXISTS ${apiUser}`]);
      }
    },
  );
});
