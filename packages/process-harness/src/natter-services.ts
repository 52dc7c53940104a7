/**
 * How to run the two Natter services as local processes with environment configuration, exactly
 * as the chart configures them in a cluster: shared by `npm run dev`, the walkthrough test and
 * the Natter API benchmark so the three cannot drift apart.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { baseEnvironment } from './service-process.js';

/** This file is packages/process-harness/src/natter-services.ts. */
const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export const ENTRIES = {
  api: join(REPO_ROOT, 'packages/natter-api/src/server.ts'),
  migrate: join(REPO_ROOT, 'packages/natter-api/src/migrate.ts'),
  linkPreview: join(REPO_ROOT, 'packages/link-preview/src/server.ts'),
  /** Test-only: link-preview with an explicit allowance for a fixture address range. */
  linkPreviewWithFixtureAllowance: join(REPO_ROOT, 'packages/link-preview/test/support/serve-with-fixture-allowance.ts'),
} as const;

/** Where a real PostgreSQL server lets the API role log in. */
export interface PostgresConnection {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly user: string;
  readonly password: string;
}

/** The parts of a `postgres://user:password@host:port/database` URL. */
export function connectionFromUrl(url: string, defaultDatabase = 'postgres'): PostgresConnection {
  const parsed = new URL(url);
  return {
    host: parsed.hostname.replace(/^\[(.*)\]$/, '$1'),
    port: Number(parsed.port || 5432),
    database: decodeURIComponent(parsed.pathname.slice(1)) || defaultDatabase,
    user: decodeURIComponent(parsed.username),
    password: decodeURIComponent(parsed.password),
  };
}

/** A private temporary folder for secret files (mode 0700 via mkdtemp, files 0600). */
export interface SecretsDirectory {
  readonly path: string;
  write(name: string, value: string): Promise<string>;
  remove(): Promise<void>;
}

export async function createSecretsDirectory(prefix = 'natter-secrets-'): Promise<SecretsDirectory> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return {
    path,
    async write(name, value) {
      const file = join(path, name);
      await writeFile(file, value, { mode: 0o600 });
      return file;
    },
    remove: () => rm(path, { recursive: true, force: true }),
  };
}

/** A fresh 32-byte HMAC key, base64-encoded as the chart's Secret holds it. */
export function generateHmacKey(): string {
  return randomBytes(32).toString('base64');
}

/** What both services read: where to listen, which Host headers to accept, how much to log. */
export interface ListenOptions {
  readonly port: number;
  readonly bindAddress: string;
  readonly allowedHosts: readonly string[];
  /** info or more verbose: {@link startService} learns the URL from the "listening" line. @default 'info' */
  readonly logLevel?: string;
}

function listenEnvironment(options: ListenOptions): Record<string, string | undefined> {
  return {
    ...baseEnvironment(),
    PORT: String(options.port),
    BIND_ADDRESS: options.bindAddress,
    ALLOWED_HOSTS: options.allowedHosts.join(','),
    LOG_LEVEL: options.logLevel ?? 'info',
  };
}

export interface ApiEnvironmentOptions extends ListenOptions {
  readonly linkPreviewUrl?: string;
  /** Real PostgreSQL; omitted → the embedded database. */
  readonly database?: PostgresConnection;
  /** The CA the database's certificate must chain to (DATABASE_SSL_ROOT_CERT_FILE). @default - plaintext */
  readonly databaseCaFile?: string;
  readonly secrets: SecretsDirectory;
  /** Anything else, e.g. rate-limit tuning. */
  readonly extra?: Readonly<Record<string, string>>;
}

/** The Natter API's environment; secrets go into files as in the cluster, never into variables. */
export async function apiEnvironment(options: ApiEnvironmentOptions): Promise<Record<string, string | undefined>> {
  const database = options.database;
  return {
    ...listenEnvironment(options),
    LINK_PREVIEW_URL: options.linkPreviewUrl,
    HMAC_KEY_FILE: await options.secrets.write('hmac-key', generateHmacKey()),
    ...(database === undefined
      ? {}
      : {
          DATABASE_HOST: database.host,
          DATABASE_PORT: String(database.port),
          DATABASE_NAME: database.database,
          DATABASE_USER: database.user,
          DATABASE_PASSWORD_FILE: await options.secrets.write('database-password', database.password),
          DATABASE_SSL_ROOT_CERT_FILE: options.databaseCaFile,
        }),
    ...options.extra,
  };
}

export interface MigrationEnvironmentOptions {
  /** The schema owner, who runs the migration. */
  readonly owner: PostgresConnection;
  /** The least-privileged role the migration creates (or updates) for the API. */
  readonly apiUser: string;
  /**
   * The API role's password, which the migration then sets. @default - none: the role is declared
   * elsewhere (CloudNativePG `managed.roles`) and the migration only grants
   */
  readonly apiPassword?: string;
  /** As for the API (DATABASE_SSL_ROOT_CERT_FILE). @default - plaintext */
  readonly databaseCaFile?: string;
  readonly secrets: SecretsDirectory;
}

/** The migration command's environment (`node migrate.mjs`), as the chart's migration step gets it. */
export async function migrationEnvironment(options: MigrationEnvironmentOptions): Promise<Record<string, string | undefined>> {
  const { owner } = options;
  return {
    ...baseEnvironment(),
    DATABASE_HOST: owner.host,
    DATABASE_PORT: String(owner.port),
    DATABASE_NAME: owner.database,
    DATABASE_OWNER_USER: owner.user,
    DATABASE_OWNER_PASSWORD_FILE: await options.secrets.write('owner-password', owner.password),
    DATABASE_API_USER: options.apiUser,
    DATABASE_API_PASSWORD_FILE: options.apiPassword === undefined ? undefined : await options.secrets.write('api-password', options.apiPassword),
    DATABASE_SSL_ROOT_CERT_FILE: options.databaseCaFile,
  };
}

/** link-preview's environment: the same listening variables as the API's. */
export function linkPreviewEnvironment(options: ListenOptions): Record<string, string | undefined> {
  return listenEnvironment(options);
}

/** `host:port` forms a client on this machine may send for a loopback listener. */
export function loopbackHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}
