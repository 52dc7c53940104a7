import { randomBytes } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleService, type BundleResult } from '../bundle.js';
import { request, apiEnvironment, connectionFromUrl, createSecretsDirectory, migrationEnvironment, type PostgresConnection, type SecretsDirectory, baseEnvironment, freePort, runToCompletion, startService, type ServiceProcess } from '@natter/process-harness';
import { temporaryDirectory } from './support/fixtures.js';
import { asSuperuser, SUPERUSER_URL } from './support/postgres.js';

describe('the natter-api production bundles', () => {
  let outDir: { path: string; remove(): Promise<void> };
  let bundle: BundleResult;
  let secrets: SecretsDirectory;
  const server = () => join(outDir.path, 'server.mjs');
  const migrate = () => join(outDir.path, 'migrate.mjs');

  /** server.mjs as the image runs it, behind the Host name the chart would allow. */
  async function startBundledApi(name: string, database: PostgresConnection): Promise<{ api: ServiceProcess; host: string }> {
    const port = await freePort();
    const host = `natter-api-service:${port}`;
    const env = await apiEnvironment({ port, bindAddress: '127.0.0.1', allowedHosts: [host], database, secrets });
    const api = await startService({ name, entry: server(), cwd: outDir.path, env: { ...env, NODE_ENV: 'production' } });
    return { api, host };
  }

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
      // A loopback port nobody listens on.
      const database = { host: '127.0.0.1', port: await freePort(), database: 'natter', user: 'natter_api_user', password: 'unused-password' };
      ({ api, host } = await startBundledApi('natter-api (bundle, database down)', database));
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
      const owner = connectionFromUrl(SUPERUSER_URL!);
      const apiPassword = randomBytes(18).toString('base64url');
      await asSuperuser(undefined, (admin) => admin.query(`CREATE DATABASE ${database}`));
      let api: ServiceProcess | undefined;
      try {
        const migrateLines: string[] = [];
        const migrated = await runToCompletion({
          name: 'migrate (bundle)',
          entry: migrate(),
          env: await migrationEnvironment({ owner: { ...owner, database }, apiUser, apiPassword, secrets }),
          onLine: (line) => migrateLines.push(line),
        });
        expect(migrated, migrateLines.join('\n')).toBe(0);

        const connection = { ...owner, database, user: apiUser, password: apiPassword };
        const started = await startBundledApi('natter-api (bundle, postgres)', connection);
        api = started.api;
        const { host } = started;
        expect((await request(`${api.url}/ready`, { headers: { host } })).status).toBe(200);
        const created = await request(`${api.url}/users`, { headers: { host }, json: { username: 'bundled', password: 'password' } });
        expect(created.status).toBe(201);
      } finally {
        await api?.stop();
        await asSuperuser(undefined, async (admin) => {
          await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
          await admin.query(`DROP ROLE IF EXISTS ${apiUser}`);
        });
      }
    },
  );
});
