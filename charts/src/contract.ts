import type { SecretFile } from '@natter/constructs';

/** Names and numbers agreed across the team (RULES.md "Shared contracts"); change them here only. */
export const NAMESPACE = 'natter-api';
export const SERVICE_PORT = 4567;
export const DATABASE_PORT = 5432;

export const WORKLOAD_NAMES = {
  database: 'natter-database',
  migration: 'natter-database-migration',
  api: 'natter-api',
  linkPreview: 'natter-link-preview',
} as const;

export const SERVICE_NAMES = {
  database: 'natter-database-service',
  api: 'natter-api-service',
  linkPreview: 'natter-link-preview-service',
} as const;

export const DATABASE_NAME = 'natter';
/** The role that owns the database and the schema (not a superuser); the migration logs in as it. */
export const DATABASE_OWNER_USER = 'natter_owner';
/** The least-privilege role the API connects as; the migration Job sets its password. */
export const DATABASE_API_USER = 'natter_api_user';

/** Secrets are created out of band (README) and never appear in dist/. */
export const SECRETS = {
  /** dev (StatefulSet) only: PostgreSQL's superuser, used by the image's bootstrap alone. */
  databaseSuperuser: { secretName: 'natter-database-superuser', key: 'password' },
  databaseOwner: { secretName: 'natter-database-owner', key: 'password' },
  databaseApiUser: { secretName: 'natter-database-api-user', key: 'password' },
  hmacKey: { secretName: 'natter-api-hmac-key', key: 'hmac-key' },
} as const satisfies Record<string, SecretFile>;

/** Every Secret mount lands under `<dir>/<secretName>/<key>`. */
export const SECRETS_DIRECTORY = '/var/run/secrets/natter';
