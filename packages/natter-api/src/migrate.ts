import { pathToFileURL } from 'node:url';
import { createLogger, envInteger, envOptionalString, envSecretFile, envString, ConfigError, type Env } from '@natter/service-kit';
import { parseDatabaseTls } from './config.js';
import { createPostgresDatabase } from './db/postgres.js';
import type { DatabaseTls } from './db/tls.js';
import { migrate } from './db/migrations.js';
import { DatabaseUnavailableError, isConnectionFailure, isTlsFailure } from './db/database.js';

export { migrate, type MigrateOptions, type MigrateResult } from './db/migrations.js';

export interface MigrationCommandConfig {
  readonly host: string;
  readonly port: number;
  readonly database: string;
  readonly ownerUser: string;
  readonly ownerPassword: string;
  readonly apiUser: string;
  /**
   * Set: the migration creates the API role if needed and sets its password (the owner needs
   * CREATEROLE). Unset: the role is declared elsewhere (CloudNativePG `managed.roles`) and only
   * its grants are applied, so the migration never holds the API's password.
   */
  readonly apiPassword: string | undefined;
  /** From DATABASE_SSL_ROOT_CERT_FILE, as for the API: verify-full TLS; `undefined` → plaintext. */
  readonly tls: DatabaseTls | undefined;
  /** How long to keep retrying while the database is still starting. */
  readonly waitSeconds: number;
}

/**
 * Connections the migration holds: one, since it runs one transaction at a time. The chart reserves
 * exactly this many beside the API's pools (charts/src/database-connections.ts).
 */
export const MIGRATION_POOL_MAX = 1;

/** The migration step's environment (the chart runs it with the owner's secret mounted). */
export function parseMigrationConfig(env: Env): MigrationCommandConfig {
  return {
    host: envString(env, 'DATABASE_HOST'),
    port: envInteger(env, 'DATABASE_PORT', { default: 5432, min: 1, max: 65535 }),
    database: envString(env, 'DATABASE_NAME', { default: 'natter' }),
    ownerUser: envString(env, 'DATABASE_OWNER_USER'),
    ownerPassword: envSecretFile(env, 'DATABASE_OWNER_PASSWORD_FILE'),
    apiUser: envString(env, 'DATABASE_API_USER', { default: 'natter_api_user' }),
    apiPassword: envOptionalString(env, 'DATABASE_API_PASSWORD_FILE') === undefined ? undefined : envSecretFile(env, 'DATABASE_API_PASSWORD_FILE'),
    tls: parseDatabaseTls(env),
    waitSeconds: envInteger(env, 'MIGRATE_WAIT_SECONDS', { default: 60, min: 0, max: 3600 }),
  };
}

/** `node migrate.mjs`: migrate as the owner, retrying while the database is not reachable yet. */
export async function runMigrationCommand(env: Env): Promise<number> {
  const logger = createLogger({ name: 'natter-api-migrate', level: env['LOG_LEVEL'] ?? 'info' });
  let config: MigrationCommandConfig;
  try {
    config = parseMigrationConfig(env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    logger.fatal({ variable: error.variable }, error.message);
    return 2;
  }
  const deadline = Date.now() + config.waitSeconds * 1000;
  for (;;) {
    const owner = createPostgresDatabase({
      host: config.host,
      port: config.port,
      database: config.database,
      user: config.ownerUser,
      password: config.ownerPassword,
      tls: config.tls,
      poolMax: MIGRATION_POOL_MAX,
      statementTimeoutMs: 60_000,
      logger,
    });
    try {
      const apiRole = config.apiPassword === undefined ? 'external' : 'migration';
      const { applied } = await migrate(owner, { apiUser: config.apiUser, apiPassword: config.apiPassword, apiRole });
      logger.info(
        { applied, apiUser: config.apiUser, apiRole, databaseTls: config.tls?.mode ?? 'off' },
        applied.length > 0 ? 'schema migrated' : 'schema already current; API role privileges re-applied',
      );
      return 0;
    } catch (error) {
      if (!isConnectionFailure(error) || isTlsFailure(error) || Date.now() >= deadline) {
        const reported = (error instanceof DatabaseUnavailableError ? error.cause : error) as Error & { code?: string };
        logger.fatal({ err: { message: reported.message, code: reported.code } }, 'migration failed');
        return 1;
      }
      logger.warn('database not reachable yet; retrying in 2 s');
      await new Promise((resolve) => setTimeout(resolve, 2000));
    } finally {
      await owner.close();
    }
  }
}

const invokedDirectly = process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href;
if (invokedDirectly) {
  process.exitCode = await runMigrationCommand(process.env);
}
