import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '@natter/service-kit';
import { createTestPki, opensslAvailable, type TestPki } from '@natter/process-harness';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../src/config.js';
import { parseMigrationConfig } from '../src/migrate.js';

const directory = mkdtempSync(join(tmpdir(), 'natter-config-'));
function secretFile(name: string, content: string): string {
  const path = join(directory, name);
  writeFileSync(path, content);
  return path;
}

const HMAC = secretFile('hmac', `${'k'.repeat(44)}\n`);
const DB_PASSWORD = secretFile('db-password', 's3cret-password\n');
const production = {
  ALLOWED_HOSTS: 'natter-api-service:4567,api.natter.local:30567',
  DATABASE_HOST: 'natter-database-service',
  DATABASE_PASSWORD_FILE: DB_PASSWORD,
  HMAC_KEY_FILE: HMAC,
};

function configError(env: Record<string, string>): ConfigError {
  try {
    parseConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('parseConfig', () => {
  it('when the chart\'s variables are set, then PostgreSQL with the secrets read from files and secure defaults', () => {
    const config = parseConfig(production);
    expect(config.database).toEqual({ kind: 'postgres', host: 'natter-database-service', port: 5432, database: 'natter', user: 'natter_api_user', password: 's3cret-password', poolMax: 10, applicationName: 'natter-api' });
    expect(config.hmacKey?.toString()).toBe('k'.repeat(44));
    expect(config.port).toBe(4567);
    expect(config.allowedHosts).toEqual(['natter-api-service:4567', 'api.natter.local:30567']);
    expect(config.corsOrigin).toBeUndefined();
    expect(config.trustedProxies).toEqual([]);
    expect(config.trustedProxyIdentities).toEqual([]);
    expect(config.linkPreview).toMatchObject({ url: undefined, budgetMs: 2000 });
    expect(config.rateLimit.perAddress).toEqual({ perSecond: 20, burst: 40 });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('when nothing about a database is set, then embedded mode with dev-only defaults', () => {
    const config = parseConfig({ PORT: '4000' });
    expect(config.database).toEqual({ kind: 'embedded' });
    expect(config.hmacKey).toBeUndefined();
    expect(config.allowedHosts).toEqual(['localhost:4000', '127.0.0.1:4000']);
    expect(configError({ PORT: '0' }).variable).toBe('ALLOWED_HOSTS');
  });

  it('when DATABASE_URL is set, then it is parsed without echoing the password on error', () => {
    const config = parseConfig({ ...production, DATABASE_HOST: '', DATABASE_URL: 'postgres://api:p%40ss@127.0.0.1:5433/natter_dev' });
    expect(config.database).toMatchObject({ kind: 'postgres', host: '127.0.0.1', port: 5433, user: 'api', password: 'p@ss', database: 'natter_dev' });
    const error = configError({ ...production, DATABASE_HOST: '', DATABASE_URL: 'postgres://api:hunter2@[bad' });
    expect(error.variable).toBe('DATABASE_URL');
    expect(error.message).not.toContain('hunter2');
  });

  it.each([
    [{ DATABASE_URL: 'postgres://a:b@h/db' }, 'DATABASE_URL'],
    [{ ALLOWED_HOSTS: '' }, 'ALLOWED_HOSTS'],
    [{ ALLOWED_HOSTS: 'good:1,bad host' }, 'ALLOWED_HOSTS'],
    [{ HMAC_KEY_FILE: '' }, 'HMAC_KEY_FILE'],
    [{ HMAC_KEY_FILE: join(directory, 'missing') }, 'HMAC_KEY_FILE'],
    [{ HMAC_KEY_FILE: secretFile('short', 'too short') }, 'HMAC_KEY_FILE'],
    [{ DATABASE_PASSWORD_FILE: '' }, 'DATABASE_PASSWORD_FILE'],
    [{ DATABASE_PORT: 'x' }, 'DATABASE_PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ CORS_ORIGIN: 'https://app.example/' }, 'CORS_ORIGIN'],
    [{ CORS_ORIGIN: '*' }, 'CORS_ORIGIN'],
    [{ TRUSTED_PROXIES: '10.0.0.0/33' }, 'TRUSTED_PROXIES'],
    [{ TRUSTED_PROXIES: 'ingress' }, 'TRUSTED_PROXIES'],
    [{ TRUSTED_PROXIES: '10.0.0.1', TRUSTED_PROXY_IDENTITIES: 'Edge Identity' }, 'TRUSTED_PROXY_IDENTITIES'],
    [{ TRUSTED_PROXY_IDENTITIES: 'edge.ns.serviceaccount.identity.linkerd.cluster.local' }, 'TRUSTED_PROXY_IDENTITIES'],
    [{ LINK_PREVIEW_URL: 'ftp://x' }, 'LINK_PREVIEW_URL'],
    [{ LINK_PREVIEW_URL: 'http://user:pw@x' }, 'LINK_PREVIEW_URL'],
    [{ PREVIEW_BUDGET_MS: '0' }, 'PREVIEW_BUDGET_MS'],
    [{ RATE_LIMIT_PER_USER_PER_SECOND: '-1' }, 'RATE_LIMIT_PER_USER_PER_SECOND'],
    [{ BIND_ADDRESS: 'localhost' }, 'BIND_ADDRESS'],
    [{ DATABASE_APPLICATION_NAME: 'x'.repeat(64) }, 'DATABASE_APPLICATION_NAME'],
    [{ DATABASE_APPLICATION_NAME: 'natter-ąpi' }, 'DATABASE_APPLICATION_NAME'],
  ])('when %j, then a ConfigError names %s', (override, variable) => {
    const error = configError({ ...production, ...override });
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}:`)).toBe(true);
  });

  it('when the secret file holds the DB password, then the error for a bad file never contains a secret', () => {
    const error = configError({ ...production, HMAC_KEY_FILE: secretFile('short2', 'tiny-secret') });
    expect(error.message).not.toContain('tiny-secret');
  });

  it('when optional tuning is given, then it is used', () => {
    const config = parseConfig({
      ...production,
      CORS_ORIGIN: 'https://localhost:9999',
      TRUSTED_PROXIES: '10.0.0.0/8, fd00::/8,192.168.1.1',
      TRUSTED_PROXY_IDENTITIES: 'edge.edge-ns.serviceaccount.identity.linkerd.cluster.local',
      LINK_PREVIEW_URL: 'http://natter-link-preview-service.natter-api.svc.cluster.local:4567',
      PREVIEW_BUDGET_MS: '1500',
      RATE_LIMIT_GLOBAL_PER_SECOND: '50',
      RATE_LIMIT_GLOBAL_BURST: '75',
      DATABASE_POOL_MAX: '4',
      DATABASE_APPLICATION_NAME: 'natter-api-7d9f8-x2k4q',
    });
    expect(config.database).toMatchObject({ poolMax: 4, applicationName: 'natter-api-7d9f8-x2k4q' });
    expect(config.corsOrigin).toBe('https://localhost:9999');
    expect(config.trustedProxies).toEqual(['10.0.0.0/8', 'fd00::/8', '192.168.1.1']);
    expect(config.trustedProxyIdentities).toEqual(['edge.edge-ns.serviceaccount.identity.linkerd.cluster.local']);
    expect(config.linkPreview.url?.href).toBe('http://natter-link-preview-service.natter-api.svc.cluster.local:4567/');
    expect(config.linkPreview.budgetMs).toBe(1500);
    expect(config.rateLimit.global).toEqual({ perSecond: 50, burst: 75 });
  });
});

describe('parseConfig: the Basic credential cache', () => {
  it('when nothing is set, then a 5-minute TTL and 10 000 entries', () => {
    expect(parseConfig(production).basicAuthCache).toEqual({ ttlMs: 300_000, maxEntries: 10_000 });
  });

  it('when BASIC_AUTH_CACHE_TTL_SECONDS and _MAX_ENTRIES are set, then they are used (TTL 0 disables the cache)', () => {
    expect(parseConfig({ ...production, BASIC_AUTH_CACHE_TTL_SECONDS: '30', BASIC_AUTH_CACHE_MAX_ENTRIES: '500' }).basicAuthCache).toEqual({ ttlMs: 30_000, maxEntries: 500 });
    expect(parseConfig({ ...production, BASIC_AUTH_CACHE_TTL_SECONDS: '0' }).basicAuthCache.ttlMs).toBe(0);
  });

  it.each([
    [{ BASIC_AUTH_CACHE_TTL_SECONDS: '3601' }, 'BASIC_AUTH_CACHE_TTL_SECONDS: must be between 0 and 3600, got 3601'],
    [{ BASIC_AUTH_CACHE_TTL_SECONDS: '5m' }, 'BASIC_AUTH_CACHE_TTL_SECONDS: must be a whole number between 0 and 3600, got "5m"'],
    [{ BASIC_AUTH_CACHE_MAX_ENTRIES: '0' }, 'BASIC_AUTH_CACHE_MAX_ENTRIES: must be between 1 and 1000000, got 0'],
    [{ BASIC_AUTH_CACHE_MAX_ENTRIES: '-5' }, 'BASIC_AUTH_CACHE_MAX_ENTRIES: must be a whole number between 1 and 1000000, got "-5"'],
  ])('fails when %j, naming the variable and the accepted range', (override, message) => {
    expect(configError({ ...production, ...override }).message).toBe(message);
  });
});

const withOpenssl = opensslAvailable();
if (!withOpenssl) console.warn('DATABASE_SSL_ROOT_CERT_FILE tests skipped: they mint a test CA with the openssl CLI, which is not installed');

describe.skipIf(!withOpenssl)('parseConfig: DATABASE_SSL_ROOT_CERT_FILE', () => {
  // A real CA certificate and a real server certificate (openssl in a temporary folder).
  let pki: TestPki;
  let serverCertificate: string;
  beforeAll(async () => {
    pki = await createTestPki();
    serverCertificate = (await pki.issueServer('db', { dnsNames: ['natter-db-rw'] })).certFile;
  });
  afterAll(() => pki?.remove());

  const tlsError = (file: string, extra: Record<string, string> = {}): ConfigError => configError({ ...production, DATABASE_SSL_ROOT_CERT_FILE: file, ...extra });

  it('when it names a CA certificate, then TLS is verify-full with exactly that certificate as the trust anchor', () => {
    const config = parseConfig({ ...production, DATABASE_SSL_ROOT_CERT_FILE: pki.caFile });
    expect(config.database).toMatchObject({ kind: 'postgres', host: 'natter-database-service', tls: { mode: 'verify-full', ca: readFileSync(pki.caFile, 'utf8').trim() } });
  });

  it('when it is unset, then the connection stays plaintext as before', () => {
    expect(parseConfig(production).database).toMatchObject({ kind: 'postgres', tls: undefined });
  });

  it.each([
    ['a missing file', () => join(directory, 'no-such-ca.crt'), /cannot read the CA certificate file ".*no-such-ca\.crt" \(ENOENT\)/],
    ['a directory', () => directory, /cannot read the CA certificate file ".*" \(EISDIR\)/],
    ['a private key', () => secretFile('key.pem', '-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIK-not-a-real-key\n-----END PRIVATE KEY-----\n'), /holds no PEM certificate/],
    ['an empty file', () => secretFile('empty.crt', ''), /holds no PEM certificate/],
    ['a damaged certificate', () => secretFile('damaged.crt', '-----BEGIN CERTIFICATE-----\nTUlJQg==\n-----END CERTIFICATE-----\n'), /certificate 1 in ".*" is not a valid X\.509 certificate/],
    ['the server\'s certificate instead of its CA', () => serverCertificate, /holds no CA certificate \(basicConstraints CA:TRUE\): mount the CA's certificate/],
  ])('fails when it names %s', (_case, path, message) => {
    const error = tlsError(path());
    expect(error.variable).toBe('DATABASE_SSL_ROOT_CERT_FILE');
    expect(error.message).toMatch(/^DATABASE_SSL_ROOT_CERT_FILE: /);
    expect(error.message).toMatch(message);
  });

  it('fails when there is no PostgreSQL server to use it with (embedded database)', () => {
    const error = configError({ PORT: '4000', DATABASE_SSL_ROOT_CERT_FILE: pki.caFile });
    expect(error.variable).toBe('DATABASE_SSL_ROOT_CERT_FILE');
    expect(error.message).toContain('the embedded database has no TLS');
  });

  const url = (query: string): Record<string, string> => ({ DATABASE_HOST: '', DATABASE_URL: `postgres://api:hunter2@db.example:5432/natter${query}` });

  it('when DATABASE_URL repeats sslmode=verify-full (or says nothing), then the file applies', () => {
    for (const query of ['', '?sslmode=verify-full']) {
      expect(parseConfig({ ...production, ...url(query), DATABASE_SSL_ROOT_CERT_FILE: pki.caFile }).database).toMatchObject({ host: 'db.example', tls: { mode: 'verify-full' } });
    }
    expect(parseConfig({ ...production, ...url('?sslmode=disable') }).database).toMatchObject({ host: 'db.example', tls: undefined });
  });

  it.each([
    ['?sslmode=disable', true, /sslmode=disable contradicts DATABASE_SSL_ROOT_CERT_FILE, which means sslmode=verify-full/],
    ['?sslmode=require', true, /sslmode=require contradicts/],
    ['?sslmode=verify-ca', true, /sslmode=verify-ca contradicts/],
    ['?sslmode=require', false, /sslmode=require is not supported without DATABASE_SSL_ROOT_CERT_FILE/],
    ['?sslmode=verify-full', false, /sslmode=verify-full is not supported without DATABASE_SSL_ROOT_CERT_FILE/],
    ['?sslmode=prefer', false, /sslmode=prefer is not supported/],
    ['?sslrootcert=/etc/ca.crt', false, /supports only the sslmode query parameter, got "sslrootcert"/],
  ])('fails when DATABASE_URL ends in %s (CA file set: %s)', (query, withFile, message) => {
    const error = configError({ ...production, ...url(query), ...(withFile ? { DATABASE_SSL_ROOT_CERT_FILE: pki.caFile } : {}) });
    expect(error.variable).toBe('DATABASE_URL');
    expect(error.message).toMatch(message);
    expect(error.message).not.toContain('hunter2');
  });
});

describe('parseMigrationConfig', () => {
  const migration = {
    DATABASE_HOST: 'natter-db-rw',
    DATABASE_OWNER_USER: 'natter_owner',
    DATABASE_OWNER_PASSWORD_FILE: DB_PASSWORD,
  };

  it.skipIf(!withOpenssl)('when DATABASE_SSL_ROOT_CERT_FILE is set, then the migration uses verify-full too, and a bad file stops it', async () => {
    const pki = await createTestPki();
    try {
      expect(parseMigrationConfig({ ...migration, DATABASE_SSL_ROOT_CERT_FILE: pki.caFile }).tls).toMatchObject({ mode: 'verify-full' });
      expect(() => parseMigrationConfig({ ...migration, DATABASE_SSL_ROOT_CERT_FILE: join(directory, 'absent') })).toThrow(/^DATABASE_SSL_ROOT_CERT_FILE: cannot read/);
    } finally {
      await pki.remove();
    }
    expect(parseMigrationConfig(migration).tls).toBeUndefined();
  });

  it('when DATABASE_API_PASSWORD_FILE is unset, then the API role is left to whoever declared it (no password held)', () => {
    expect(parseMigrationConfig(migration).apiPassword).toBeUndefined();
    expect(parseMigrationConfig({ ...migration, DATABASE_API_PASSWORD_FILE: DB_PASSWORD }).apiPassword).toBe('s3cret-password');
  });
});
