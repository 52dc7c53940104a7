import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import {
  ConfigError,
  envBindAddress,
  envHostList,
  envInteger,
  envList,
  envLogLevel,
  envOptionalString,
  envSecretFile,
  envString,
  type Env,
} from '@natter/service-kit';
import type { DatabaseTls } from './db/tls.js';

/** Where the API's data lives. */
export type DatabaseConfig =
  | {
      readonly kind: 'postgres';
      readonly host: string;
      readonly port: number;
      readonly database: string;
      readonly user: string;
      /** Read from DATABASE_PASSWORD_FILE (or taken from DATABASE_URL). */
      readonly password: string;
      /** From DATABASE_SSL_ROOT_CERT_FILE: verify-full TLS; `undefined` → plaintext. */
      readonly tls: DatabaseTls | undefined;
      readonly poolMax: number;
      /** From DATABASE_APPLICATION_NAME: how the connections show in pg_stat_activity. */
      readonly applicationName: string;
    }
  /** In-process PGlite: zero-setup development and tests only; data lives in memory. */
  | { readonly kind: 'embedded' };

/** One token bucket: a steady rate and how many requests may arrive at once. */
export interface BucketConfig {
  readonly perSecond: number;
  readonly burst: number;
}

export interface RateLimitConfig {
  /** One ceiling for the whole instance: protects the database and the scrypt thread pool. */
  readonly global: BucketConfig;
  /** Per client address, before authentication. */
  readonly perAddress: BucketConfig;
  /** Per authenticated user. */
  readonly perUser: BucketConfig;
}

export interface LinkPreviewConfig {
  /** Base URL of the link-preview service; previews are off when unset. */
  readonly url: URL | undefined;
  /** One overall budget for all previews of one message. */
  readonly budgetMs: number;
  readonly cacheTtlMs: number;
  readonly cacheMaxEntries: number;
}

/** Successful Basic verifications remembered in memory (src/security/credential-cache.ts). */
export interface BasicAuthCacheConfig {
  /** 0 disables the cache: every Basic request runs scrypt. */
  readonly ttlMs: number;
  readonly maxEntries: number;
}

export interface Config {
  readonly port: number;
  readonly bindAddress: string;
  readonly allowedHosts: readonly string[];
  readonly logLevel: string;
  readonly database: DatabaseConfig;
  /** HMAC-SHA256 key for token MACs; `undefined` only in embedded mode (a random key per start). */
  readonly hmacKey: Buffer | undefined;
  readonly corsOrigin: string | undefined;
  /** Peers (IP or CIDR) whose X-Forwarded-For is believed. */
  readonly trustedProxies: readonly string[];
  /** When set, X-Forwarded-For also needs one of these Linkerd client identities (`l5d-client-id`). */
  readonly trustedProxyIdentities: readonly string[];
  readonly rateLimit: RateLimitConfig;
  readonly linkPreview: LinkPreviewConfig;
  readonly basicAuthCache: BasicAuthCacheConfig;
  readonly tokenPurgeIntervalMs: number;
}

const MIN_HMAC_KEY_BYTES = 32;

/** Parses the environment once, failing with a {@link ConfigError} that names the variable. */
export function parseConfig(env: Env): Config {
  const port = envInteger(env, 'PORT', { default: 4567, min: 0, max: 65535 });
  const database = parseDatabase(env);
  const embedded = database.kind === 'embedded';
  return Object.freeze({
    port,
    bindAddress: envBindAddress(env),
    // Only a development run on a known port may default the allowlist; port 0 is not known yet.
    allowedHosts: embedded && port !== 0 && envOptionalString(env, 'ALLOWED_HOSTS') === undefined
      ? [`localhost:${port}`, `127.0.0.1:${port}`]
      : envHostList(env, 'ALLOWED_HOSTS'),
    logLevel: envLogLevel(env),
    database,
    hmacKey: parseHmacKey(env, embedded),
    corsOrigin: parseCorsOrigin(env),
    trustedProxies: parseTrustedProxies(env),
    trustedProxyIdentities: parseTrustedProxyIdentities(env),
    rateLimit: {
      global: parseBucket(env, 'RATE_LIMIT_GLOBAL', { perSecond: 200 }),
      perAddress: parseBucket(env, 'RATE_LIMIT_PER_ADDRESS', { perSecond: 20 }),
      perUser: parseBucket(env, 'RATE_LIMIT_PER_USER', { perSecond: 10 }),
    },
    linkPreview: {
      url: parseLinkPreviewUrl(env),
      budgetMs: envInteger(env, 'PREVIEW_BUDGET_MS', { default: 2000, min: 1, max: 60_000 }),
      cacheTtlMs: envInteger(env, 'PREVIEW_CACHE_TTL_MS', { default: 300_000, min: 0, max: 86_400_000 }),
      cacheMaxEntries: envInteger(env, 'PREVIEW_CACHE_MAX_ENTRIES', { default: 1000, min: 0, max: 1_000_000 }),
    },
    basicAuthCache: {
      ttlMs: 1000 * envInteger(env, 'BASIC_AUTH_CACHE_TTL_SECONDS', { default: 300, min: 0, max: 3600 }),
      maxEntries: envInteger(env, 'BASIC_AUTH_CACHE_MAX_ENTRIES', { default: 10_000, min: 1, max: 1_000_000 }),
    },
    tokenPurgeIntervalMs: envInteger(env, 'TOKEN_PURGE_INTERVAL_MS', { default: 600_000, min: 1000, max: 86_400_000 }),
  });
}



function parseDatabase(env: Env): DatabaseConfig {
  const url = envOptionalString(env, 'DATABASE_URL');
  const host = envOptionalString(env, 'DATABASE_HOST');
  const poolMax = envInteger(env, 'DATABASE_POOL_MAX', { default: 10, min: 1, max: 100 });
  const applicationName = parseApplicationName(env);
  if (url !== undefined && host !== undefined) {
    throw new ConfigError('DATABASE_URL', 'set either DATABASE_URL or DATABASE_HOST (with DATABASE_PASSWORD_FILE), not both');
  }
  const tls = parseDatabaseTls(env);
  if (url !== undefined) {
    const { sslmode, ...connection } = parseDatabaseUrl(url);
    checkSslMode(sslmode, tls);
    return { ...connection, tls, poolMax, applicationName };
  }
  if (host === undefined) {
    if (tls !== undefined) {
      throw new ConfigError(DATABASE_SSL_ROOT_CERT_FILE, 'needs a PostgreSQL server (DATABASE_HOST or DATABASE_URL); the embedded database has no TLS');
    }
    return { kind: 'embedded' };
  }
  return {
    kind: 'postgres',
    host,
    port: envInteger(env, 'DATABASE_PORT', { default: 5432, min: 1, max: 65535 }),
    database: envString(env, 'DATABASE_NAME', { default: 'natter' }),
    user: envString(env, 'DATABASE_USER', { default: 'natter_api_user' }),
    password: envSecretFile(env, 'DATABASE_PASSWORD_FILE'),
    tls,
    poolMax,
    applicationName,
  };
}

/**
 * DATABASE_APPLICATION_NAME: PostgreSQL keeps at most 63 bytes and turns anything but printable
 * ASCII into '?', so a value it would alter is refused rather than shown differently than set.
 */
function parseApplicationName(env: Env): string {
  const name = envString(env, 'DATABASE_APPLICATION_NAME', { default: 'natter-api' });
  if (!/^[\x20-\x7e]{1,63}$/.test(name)) {
    throw new ConfigError('DATABASE_APPLICATION_NAME', `must be 1 to 63 printable ASCII characters (PostgreSQL's application_name), got "${name.replace(/[^\x20-\x7e]/g, '?')}"`);
  }
  return name;
}

const DATABASE_SSL_ROOT_CERT_FILE = 'DATABASE_SSL_ROOT_CERT_FILE';
const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * DATABASE_SSL_ROOT_CERT_FILE (shared by the API and the migration command): the CA certificate(s),
 * PEM, that the database server's certificate must chain to; set → TLS with sslmode=verify-full
 * semantics. Read and checked once at start-up, so a missing or wrong mount stops the process
 * before it serves anything instead of surfacing as failed requests later.
 */
export function parseDatabaseTls(env: Env): DatabaseTls | undefined {
  const path = envOptionalString(env, DATABASE_SSL_ROOT_CERT_FILE);
  if (path === undefined) return undefined;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(DATABASE_SSL_ROOT_CERT_FILE, `cannot read the CA certificate file "${path}" (${code})`);
  }
  const blocks = text.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) {
    throw new ConfigError(DATABASE_SSL_ROOT_CERT_FILE, `"${path}" holds no PEM certificate (expected "-----BEGIN CERTIFICATE-----" blocks, e.g. the ca.crt of the database's CA Secret)`);
  }
  const certificates = blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch {
      throw new ConfigError(DATABASE_SSL_ROOT_CERT_FILE, `certificate ${index + 1} in "${path}" is not a valid X.509 certificate`);
    }
  });
  // The usual mistake is mounting the server's own certificate (tls.crt) instead of its CA's.
  if (!certificates.some((certificate) => certificate.ca)) {
    throw new ConfigError(DATABASE_SSL_ROOT_CERT_FILE, `"${path}" holds no CA certificate (basicConstraints CA:TRUE): mount the CA's certificate (ca.crt), not the server's`);
  }
  return { mode: 'verify-full', ca: blocks.join('\n') };
}

/**
 * The one sslmode we implement is verify-full, implied by DATABASE_SSL_ROOT_CERT_FILE; a URL may
 * repeat it, or say `disable` when there is no CA file. Anything weaker with a CA file, or stronger
 * without one, would be silently ignored otherwise, so it is refused.
 */
function checkSslMode(sslmode: string | undefined, tls: DatabaseTls | undefined): void {
  if (sslmode === undefined) return;
  if (tls !== undefined && sslmode !== 'verify-full') {
    throw new ConfigError('DATABASE_URL', `sslmode=${sslmode} contradicts DATABASE_SSL_ROOT_CERT_FILE, which means sslmode=verify-full; remove sslmode from the URL or set it to verify-full`);
  }
  if (tls === undefined && sslmode !== 'disable') {
    throw new ConfigError('DATABASE_URL', `sslmode=${sslmode} is not supported without DATABASE_SSL_ROOT_CERT_FILE: set that file for TLS (verify-full, the only mode offered), or use sslmode=disable or no sslmode for plaintext`);
  }
}

function parseDatabaseUrl(raw: string): Omit<Extract<DatabaseConfig, { kind: 'postgres' }>, 'poolMax' | 'tls' | 'applicationName'> & { sslmode: string | undefined } {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    // The URL may hold a password: never echo it.
    throw new ConfigError('DATABASE_URL', 'is not a valid URL (expected postgres://user:password@host:port/database)');
  }
  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') {
    throw new ConfigError('DATABASE_URL', `must use the postgres:// scheme, got "${url.protocol}"`);
  }
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (url.hostname === '' || url.username === '' || database === '') {
    throw new ConfigError('DATABASE_URL', 'must name a host, a user and a database (postgres://user:password@host:port/database)');
  }
  // Other libpq parameters (sslrootcert, sslcert, host, …) would be ignored here without a word.
  const unsupported = [...url.searchParams.keys()].filter((name) => name !== 'sslmode');
  if (unsupported.length > 0) {
    throw new ConfigError('DATABASE_URL', `supports only the sslmode query parameter, got ${unsupported.map((name) => `"${name}"`).join(', ')} (the CA goes in DATABASE_SSL_ROOT_CERT_FILE)`);
  }
  return {
    kind: 'postgres',
    host: url.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: url.port === '' ? 5432 : Number(url.port),
    database,
    user: decodeURIComponent(url.username),
    password: decodeURIComponent(url.password),
    sslmode: url.searchParams.get('sslmode') ?? undefined,
  };
}

function parseHmacKey(env: Env, embedded: boolean): Buffer | undefined {
  if (embedded && envOptionalString(env, 'HMAC_KEY_FILE') === undefined) return undefined;
  const key = Buffer.from(envSecretFile(env, 'HMAC_KEY_FILE'), 'utf8');
  if (key.length < MIN_HMAC_KEY_BYTES) {
    throw new ConfigError('HMAC_KEY_FILE', `the key must be at least ${MIN_HMAC_KEY_BYTES} bytes (e.g. 32 random bytes, base64-encoded), got ${key.length}`);
  }
  return key;
}

function parseCorsOrigin(env: Env): string | undefined {
  const origin = envOptionalString(env, 'CORS_ORIGIN');
  if (origin === undefined) return undefined;
  const url = httpUrl(origin);
  if (url === undefined || url.origin !== origin) {
    throw new ConfigError('CORS_ORIGIN', `must be one origin such as https://app.example.com (scheme, host, optional port; no path or trailing slash), got "${origin}"`);
  }
  return origin;
}

function parseTrustedProxies(env: Env): readonly string[] {
  const entries = envList(env, 'TRUSTED_PROXIES', { default: [] });
  for (const entry of entries) {
    const [address, prefix, extra] = entry.split('/');
    const family = isIP(address ?? '');
    const maxPrefix = family === 6 ? 128 : 32;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix);
    if (family === 0 || !prefixOk || extra !== undefined) {
      throw new ConfigError('TRUSTED_PROXIES', `"${entry}" is not an IP address or CIDR range (e.g. 10.0.0.0/8, fd00::/8)`);
    }
  }
  return entries;
}

/** Linkerd identities such as `sa.ns.serviceaccount.identity.linkerd.cluster.local`: DNS names. */
function parseTrustedProxyIdentities(env: Env): readonly string[] {
  const entries = envList(env, 'TRUSTED_PROXY_IDENTITIES', { default: [] });
  for (const entry of entries) {
    if (!/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)+$/.test(entry)) {
      throw new ConfigError('TRUSTED_PROXY_IDENTITIES', `"${entry}" is not a mesh identity (e.g. ingress-nginx.ingress-nginx.serviceaccount.identity.linkerd.cluster.local)`);
    }
  }
  if (entries.length > 0 && envList(env, 'TRUSTED_PROXIES', { default: [] }).length === 0) {
    throw new ConfigError('TRUSTED_PROXY_IDENTITIES', 'only narrows TRUSTED_PROXIES, which is empty: set TRUSTED_PROXIES to the address the mesh proxy connects from');
  }
  return entries;
}

function parseBucket(env: Env, prefix: string, defaults: { perSecond: number }): BucketConfig {
  const perSecond = envInteger(env, `${prefix}_PER_SECOND`, { default: defaults.perSecond, min: 1, max: 1_000_000 });
  const burst = envInteger(env, `${prefix}_BURST`, { default: perSecond * 2, min: 1, max: 10_000_000 });
  return { perSecond, burst };
}

function parseLinkPreviewUrl(env: Env): URL | undefined {
  const raw = envOptionalString(env, 'LINK_PREVIEW_URL');
  if (raw === undefined) return undefined;
  const url = httpUrl(raw);
  if (url === undefined || url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw new ConfigError('LINK_PREVIEW_URL', `must be an http(s) base URL without credentials, query or fragment, e.g. http://natter-link-preview-service:4567, got "${raw}"`);
  }
  return url;
}

/** The value as an http(s) URL, or undefined when it is not one. */
function httpUrl(raw: string): URL | undefined {
  try {
    const url = new URL(raw);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : undefined;
  } catch {
    return undefined;
  }
}
